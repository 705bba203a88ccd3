/** Number formatting for every renderer (terminal, Markdown, HTML): units always, never "NaN". */

const DASH = '–';

/** With thousands separators: 12,345.6. */
export function num(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return DASH;
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Fixed decimals, no separators (terminal tables): 12345.60. */
export function fixed(x: number, digits = 0): string {
  return Number.isFinite(x) ? x.toFixed(digits) : DASH;
}

/** At most `digits` decimals, trailing zeros dropped: 0.8, 1.059, 3. */
export function rounded(x: number, digits = 3): string {
  return Number.isFinite(x) ? String(Number(x.toFixed(digits))) : DASH;
}

/** Whole numbers from 100 on, two decimals below. */
export function compact(x: number): string {
  return fixed(x, Math.abs(x) >= 100 ? 0 : 2);
}

/** Milliseconds as a duration: 4.25 ms, 120.5 ms, 1.50 s; "–" when there is none. */
export function duration(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 2 : 1)} ms`;
}

export function ms(x: number): string {
  return `${num(x, x < 10 ? 2 : 1)} ms`;
}

/** A percentage change with its sign: 3.4 → "+3.4%", −20 → "−20.0%"; an infinite one is "new". */
export function percentChange(pct: number): string {
  if (Number.isNaN(pct)) return DASH;
  if (!Number.isFinite(pct)) return 'new';
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)}%`;
}

/** A ratio as a signed percentage change: 1.034 → "+3.4%". */
export function gain(ratio: number): string {
  return Number.isFinite(ratio) ? percentChange((ratio - 1) * 100) : DASH;
}

/** A value with its sign: +1.25, −0.50. */
export function signed(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return DASH;
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
}

/**
 * A paired median with its distribution-free interval and that interval's confidence:
 * "−1.0 (−1.2 to −0.9, 87.5 %)".
 */
export function withCoverage(
  e: { median: number; interval: [number, number]; coverage: number },
  show: (x: number) => string,
): string {
  const pct = (100 * e.coverage).toFixed(e.coverage * 100 === Math.round(e.coverage * 100) ? 0 : 1);
  return `${show(e.median)} (${show(e.interval[0])} to ${show(e.interval[1])}, ${pct} %)`;
}

/** An estimate and its interval: "1.2 (0.9 to 1.5)". */
export function withInterval(
  e: { median: number; ci95: [number, number] },
  show: (x: number) => string,
): string {
  return `${show(e.median)} (${show(e.ci95[0])} to ${show(e.ci95[1])})`;
}
