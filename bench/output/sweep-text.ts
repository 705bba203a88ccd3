/** A sweep as a terminal table, with where the write-up's latency claim is reached (pure). */
import { CLAIMED_LATENCY_GAIN_MS } from '../analysis/claims.js';
import type { ModelResource } from '../schema/results.js';
import type { SweepRecord } from '../schema/sweep.js';
import { fixed, gain, withInterval } from './format.js';
import { renderTable } from './table.js';

const SHORT: Record<ModelResource, string> = {
  'server CPU': 'CPU',
  'database pool': 'pool',
  'other CPUs': 'other CPUs',
  clients: 'clients',
};

export function renderSweep(s: SweepRecord): string {
  const names = [...new Set(s.points.flatMap((p) => Object.keys(p.strategies)))] as Array<
    keyof SweepRecord['points'][number]['strategies']
  >;
  const candidates = [...new Set(s.points.flatMap((p) => p.comparisons.map((c) => c.candidate)))];
  const many = candidates.length > 1;
  const header = [
    s.param,
    ...names.map((n) => `${n} req/s (model)`),
    ...candidates.flatMap((c) => [
      many ? `gain ${c} (95% CI)` : 'gain (95% CI)',
      many ? `model ${c}` : 'model',
    ]),
    'bound by',
    'p50 ms',
    ...candidates.flatMap((c) => [many ? `p50 Δ ${c}` : 'p50 Δ ms', many ? `p99 Δ ${c}` : 'p99 Δ ms']),
    'valid',
  ];
  const d1 = (x: number): string => fixed(x, 1);
  const rows = s.points.map((p) => {
    const of = (name: string) => p.comparisons.find((c) => c.candidate === name);
    return [
      p.value,
      ...names.map((n) => {
        const st = p.strategies[n];
        if (!st) return '–';
        const e = st.modelError;
        return `${fixed(st.requestsPerSecond)}${e == null ? '' : ` (${gain(1 + e)})`}`;
      }),
      ...candidates.flatMap((name) => {
        const c = of(name);
        return [
          c ? withInterval(c.throughputRatio, gain) : '–',
          c?.modelRatio != null ? gain(c.modelRatio) : '–',
        ];
      }),
      p.costs ? [...new Set(Object.values(p.costs).map((c) => SHORT[c.binding]))].join(' / ') : '–',
      names.map((n) => d1(p.strategies[n]?.p50Ms ?? NaN)).join(' → '),
      ...candidates.flatMap((name) => {
        const c = of(name);
        return [c ? withInterval(c.p50DeltaMs, d1) : '–', c ? withInterval(c.p99DeltaMs, d1) : '–'];
      }),
      p.valid ? 'yes' : 'NO',
    ];
  });
  const out = [renderTable(header, rows)];
  if (s.param === 'connections') {
    for (const name of candidates) {
      const at = s.latencyClaimReachedAt[name] ?? null;
      const who = many ? ` of ${name}` : '';
      out.push(
        at !== null
          ? `The p50 latency difference${who} reaches the write-up's ${CLAIMED_LATENCY_GAIN_MS} ms (95% CI entirely beyond it) at ${at} connections, measured.`
          : `The p50 latency difference${who} does not reach the write-up's ${CLAIMED_LATENCY_GAIN_MS} ms anywhere in the measured range.`,
      );
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
