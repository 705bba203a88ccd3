/** Number formatting shared by the HTML and Markdown reports: units always, never "NaN". */
export function num(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return '–';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ms(x: number): string {
  return `${num(x, x < 10 ? 2 : 1)} ms`;
}

/** A ratio as a signed percentage change: 1.034 → "+3.4%". */
export function gain(ratio: number): string {
  if (!Number.isFinite(ratio)) return '–';
  const pct = (ratio - 1) * 100;
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)}%`;
}
