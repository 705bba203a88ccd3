/**
 * The sentences a reader gets: the verdict of each comparison and the cost model's
 * explanation, rendered from the record's numbers (pure), so old and new records read alike.
 */
import { CLAIMED_GAIN } from '../analysis/claims.js';
import type { Comparison, CostModel, ResultsRecord, StrategyModel } from '../schema/results.js';
import { fixed, gain, num } from './format.js';

/** From this share of its core on, the explanation points out that the CPU is near its limit too. */
export const CPU_NEAR_LIMIT = 0.85;

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

/** What bounds one strategy, in words a reader can check against the numbers. */
export function describeBound(name: string, m: StrategyModel, poolSize: number, connections: number): string {
  const rps = num(Math.round(m.predictedRps));
  const measured = m.roundTripSource === 'measured';
  const link =
    m.linkMsPerRequest > 0
      ? `${m.roundTripsPerRequest} round trips take ${measured ? '' : '≥ '}${fixed(m.linkMsPerRequest, 2)} ms ` +
        `(${fixed(m.roundTripMs, 2)} ms each, ${measured ? 'measured idle' : 'configured'})`
      : '';
  const exec = m.dbExecMsPerRequest === null ? '' : `Postgres executes ${fixed(m.dbExecMsPerRequest, 2)} ms`;
  const dbPart =
    link || exec
      ? `of the ${fixed(m.poolMsPerRequest, 2)} ms held per request, ${[link, exec].filter(Boolean).join(' and ')}`
      : '';
  const rest =
    m.dbExecMsPerRequest === null ? null : m.poolMsPerRequest - m.linkMsPerRequest - m.dbExecMsPerRequest;
  const used = `${fixed(100 * m.cpuUtilization)}%`;
  switch (m.binding) {
    case 'server CPU':
      return `${name} is bound by server CPU: ${fixed(m.cpuMsPerRequest, 3)} ms of CPU per request allows ≤ ${rps} req/s on one core (it used ${used})`;
    case 'database pool': {
      const busyCore =
        m.cpuUtilization >= CPU_NEAR_LIMIT
          ? `; its core is ${used} busy too (CPU alone would allow ≤ ${num(Math.round(m.boundsRps['server CPU']))} req/s), ` +
            'so that time is mostly replies waiting for the event loop'
          : '';
      const more =
        rest !== null && rest > 0 ? `; ${fixed(rest, 2)} ms more pass in the server${busyCore}` : '';
      return (
        `${name} is bound by the database pool: ${fixed(m.poolMsPerRequest, 2)} ms holding a connection per request ` +
        `allows ≤ ${rps} req/s with ${poolSize} connections (${fixed(m.poolBusy, 1)} of ${poolSize} busy on average` +
        `${dbPart ? `; ${dbPart}` : ''}${more})`
      );
    }
    case 'client connections':
      return (
        `${name} is bound by its ${connections} clients: each waits ≥ ${fixed(m.cpuMsPerRequest + m.poolMsPerRequest, 2)} ms ` +
        `per request (CPU + pool), so ≤ ${rps} req/s`
      );
  }
}

/** The cost model in a paragraph: what bounds each strategy, then predicted vs measured per candidate. */
export function modelExplanation(model: CostModel): string {
  const bounds = Object.entries(model.strategies).map(([n, m]) =>
    describeBound(n, m, model.poolSize, model.connections),
  );
  const ratios = model.comparisons.map((c) => {
    const who = model.comparisons.length > 1 ? ` for ${c.candidate}` : '';
    return `From these measured costs the model predicts ${gain(c.predictedRatio)}${who}; the measured medians differ by ${gain(c.measuredRatio)}.`;
  });
  return `${bounds.join('; ')}. ${ratios.join(' ')}`;
}
