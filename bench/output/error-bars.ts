/**
 * A Chart.js plugin that draws vertical error bars from `dataset.errorBars[i] = [low, high]`.
 * Self-contained on purpose (no imports, no outer variables): the HTML report inlines its
 * source via Function.prototype.toString, the PNG renderer registers it directly.
 */
export function errorBarsPlugin(): { id: string; afterDatasetsDraw(chart: unknown): void } {
  return {
    id: 'errorBars',
    afterDatasetsDraw(chart: unknown) {
      const c = chart as {
        ctx: CanvasRenderingContext2DLike;
        data: { datasets: Array<{ errorBars?: Array<[number, number] | null> }> };
        getDatasetMeta(i: number): { hidden?: boolean; data: Array<{ x: number; width?: number }> };
        scales: Record<string, { getPixelForValue(v: number): number }>;
      };
      const y = c.scales.y;
      if (!y) return;
      const ctx = c.ctx;
      ctx.save();
      ctx.strokeStyle = '#222222';
      ctx.lineWidth = 1.5;
      c.data.datasets.forEach((dataset, i) => {
        const meta = c.getDatasetMeta(i);
        if (meta.hidden || !dataset.errorBars) return;
        dataset.errorBars.forEach((bar, j) => {
          const el = meta.data[j];
          if (!bar || !el || !Number.isFinite(bar[0]) || !Number.isFinite(bar[1])) return;
          const top = y.getPixelForValue(bar[1]);
          const bottom = y.getPixelForValue(bar[0]);
          const half = Math.min(12, (el.width ?? 24) / 4);
          ctx.beginPath();
          ctx.moveTo(el.x, top);
          ctx.lineTo(el.x, bottom);
          ctx.moveTo(el.x - half, top);
          ctx.lineTo(el.x + half, top);
          ctx.moveTo(el.x - half, bottom);
          ctx.lineTo(el.x + half, bottom);
          ctx.stroke();
        });
      });
      ctx.restore();
    },
  };
}

interface CanvasRenderingContext2DLike {
  save(): void;
  restore(): void;
  beginPath(): void;
  stroke(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  strokeStyle: string;
  lineWidth: number;
}
