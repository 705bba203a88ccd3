import { errorBarsPlugin } from './error-bars.js';

export const PNG_WIDTH = 960;
export const PNG_HEIGHT = 540;

export interface PngOutcome {
  rendered: Record<string, Buffer>;
  /** Why nothing (or a chart) could be rendered: e.g. the optional native renderer is missing. */
  failures: Array<{ id: string; reason: string }>;
}

/**
 * Renders the charts to PNG with chartjs-node-canvas, an optional dependency (it needs the
 * native canvas module). Without it, every chart is reported as a failure with the reason; the
 * caller carries on with the HTML and Markdown.
 */
export async function renderPngs(
  specs: ReadonlyArray<{ id: string; config: Record<string, unknown> }>,
): Promise<PngOutcome> {
  let Renderer: typeof import('chartjs-node-canvas').ChartJSNodeCanvas;
  try {
    ({ ChartJSNodeCanvas: Renderer } = await import('chartjs-node-canvas'));
  } catch (err) {
    const reason = `the PNG renderer (optional dependency chartjs-node-canvas → canvas) is not installed or did not build: ${firstLine(err)}`;
    return { rendered: {}, failures: specs.map((s) => ({ id: s.id, reason })) };
  }
  const renderer = new Renderer({
    width: PNG_WIDTH,
    height: PNG_HEIGHT,
    backgroundColour: '#ffffff',
    plugins: { modern: [errorBarsPlugin() as never] },
  });
  const out: PngOutcome = { rendered: {}, failures: [] };
  for (const spec of specs) {
    try {
      const config = { ...spec.config, options: { ...(spec.config.options as object), responsive: false } };
      out.rendered[spec.id] = await renderer.renderToBuffer(config as never, 'image/png');
    } catch (err) {
      out.failures.push({ id: spec.id, reason: firstLine(err) });
    }
  }
  return out;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
}
