/**
 * The sentences a reader gets: the verdict of each comparison and the calibrated model's
 * prediction, rendered from the record's numbers (pure), so old and new records read alike.
 */
import { CLAIMED_GAIN } from '../analysis/claims.js';
import type { StrategyName } from '../../servers/strategies/index.js';
import type { CalibratedModel, Comparison, ResultsRecord } from '../schema/results.js';
import { fixed, gain, num } from './format.js';

/** The one-sentence verdict of a comparison, plain about a gain below the write-up's 30 %. */
export function verdictSentence(c: Comparison, q: { baseline: number; candidate: number }): string {
  const r = c.throughputRatio;
  const claimed = `+${CLAIMED_GAIN * 100}%`;
  const change =
    `${c.candidate} served ${Math.abs((r.median - 1) * 100).toFixed(1)}% ${r.median >= 1 ? 'more' : 'fewer'} ` +
    `requests per second than ${c.baseline} (95% CI ${gain(r.ci95[0])} to ${gain(r.ci95[1])}), ` +
    `with ${q.baseline} → ${q.candidate} database queries per request.`;
  if (!r.significant) return `No significant difference: ${change}`;
  if (r.ci95[1] < 1 + CLAIMED_GAIN) return `${change} That is below the write-up's ${claimed}.`;
  if (r.ci95[0] >= 1 + CLAIMED_GAIN) return `${change} That meets the write-up's ${claimed}.`;
  return `${change} The write-up's ${claimed} lies within the interval.`;
}

/** Every comparison's verdict, in order; one sentence when there is none. */
export function verdicts(record: ResultsRecord): string[] {
  if (record.comparisons.length === 0) return ['No comparison: no pair of valid rounds.'];
  return record.comparisons.map((c) =>
    verdictSentence(c, {
      baseline: record.strategies[c.baseline]?.queriesPerRequest ?? NaN,
      candidate: record.strategies[c.candidate]?.queriesPerRequest ?? NaN,
    }),
  );
}

/** What the model predicts for one strategy, in words a reader can check against the numbers. */
export function describePrediction(name: StrategyName, m: CalibratedModel): string {
  const p = m.predicted[name];
  const cal = m.calibration.strategies[name];
  if (!p || !cal) return `${name}: no prediction (${cal?.invalidReason ?? 'not calibrated'})`;
  const busy = (u: number): string => `${fixed(100 * u)}% busy`;
  const where =
    p.binding === 'database pool'
      ? `the pool ${busy(p.utilization.pool)}, each request holding a connection ${fixed(p.poolHoldMs, 2)} ms (${fixed(cal.poolMs, 2)} ms unloaded) and waiting ${fixed(p.poolWaitMs, 2)} ms for one`
      : p.binding === 'server CPU'
        ? `its core ${busy(p.utilization.serverCpu)} at ${fixed(cal.cpuMs, 3)} ms of CPU per request`
        : p.binding === 'other CPUs'
          ? `the other CPUs ${busy(p.utilization.otherCpu)} (load generator, proxy, Postgres, Redis: ${fixed(cal.otherCpuMs ?? NaN, 3)} ms per request)`
          : `no resource ≥ 80 % busy: the ${m.conditions.connections} clients wait ${fixed(p.meanLatencyMs, 2)} ms per request`;
  const e = m.error[name];
  return `${name} ${num(Math.round(p.requestsPerSecond))} req/s (${where})${e === undefined ? '' : `, measured ${num(Math.round(m.measured[name]?.requestsPerSecond ?? NaN))}: ${gain(1 + e)}`}`;
}

/**
 * The model in a paragraph: what it was calibrated on, what it predicts and why, the gain
 * predicted beside the measured one, and where it misses.
 */
export function modelExplanation(m: CalibratedModel): string {
  const names = Object.keys(m.calibration.strategies) as StrategyName[];
  const c = m.calibration;
  const conditions = `${m.conditions.connections} connections, a pool of ${m.conditions.poolSize}, a ${fixed(m.conditions.linkRoundTripMs, 2)} ms database round trip`;
  const gains = Object.entries(m.predicted.gains).map(([cand, g]) => {
    const who = Object.keys(m.predicted.gains).length > 1 ? ` for ${cand}` : '';
    const measured = m.measured.gains[cand as StrategyName];
    return `predicted gain${who} ${gain(g!)}, measured ${measured === undefined ? '–' : gain(measured)}`;
  });
  return (
    `Calibrated at ${c.connections} connection${c.connections === 1 ? '' : 's'} (${c.seconds} s per strategy, nothing queueing), ` +
    `predicted for ${conditions}: ${names.map((n) => describePrediction(n, m)).join('; ')}. ` +
    `${gains.join('; ')}.` +
    (m.misses.length > 0 ? ` Misses beyond ±10 %: ${m.misses.join(' ')}` : ' Every prediction within ±10 %.')
  );
}
