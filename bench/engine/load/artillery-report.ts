/**
 * Artillery's JSON report (`artillery run --output report.json`) back into the records the
 * embedded generators produce (pure): per slice of the plan, the processor's counters and
 * histograms as Artillery summed them over virtual users, periods and workers. The only place
 * Artillery's report shape is read.
 *
 * Latency percentiles come from Artillery's merged summaries: DDSketch, relative accuracy
 * about 1 % (not HDR's 0.1 %), as the record's method says.
 */
import type { OpenModelMeasurement } from '../../analysis/open-model.js';
import { sliceMetric, type ArtilleryPlan } from '../../schema/artillery.js';
import type { RoundRecord } from '../../schema/results.js';
import { toRoundRecord } from './round-record.js';

/** The part of Artillery's report this reads. */
interface Summary {
  count: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

interface ReportLike {
  aggregate: { counters: Record<string, number>; summaries: Record<string, Summary> };
}

/** Throws naming what is missing when the file is not an Artillery report. */
function asReport(report: unknown): ReportLike {
  const r = report as Partial<ReportLike> | null;
  if (r === null || typeof r !== 'object' || typeof r.aggregate !== 'object' || r.aggregate === null)
    throw new Error('not an Artillery report: no "aggregate" (artillery run --output writes one)');
  return {
    aggregate: { counters: r.aggregate.counters ?? {}, summaries: r.aggregate.summaries ?? {} },
  };
}

export interface ImportedSlices {
  warmup: RoundRecord[];
  rounds: RoundRecord[];
  openModel: OpenModelMeasurement[];
}

/**
 * Every slice of the plan, in order. A slice with no data, or fewer virtual users than planned
 * over its whole window (a worker that started late or died, a request stuck past the slice's
 * start), is invalid with the reason; a closed one is judged by the same rules as any round.
 */
export function importArtilleryReport(report: unknown, plan: ArtilleryPlan): ImportedSlices {
  const { counters, summaries } = asReport(report).aggregate;
  // Slice ids repeat from plan to plan; the plan's random id does not.
  if (!counters[`authbench.plan.${plan.planId}`])
    throw new Error(
      `this report is not of this plan: no virtual user counted authbench.plan.${plan.planId} (was it run from another export?)`,
    );
  const out: ImportedSlices = { warmup: [], rounds: [], openModel: [] };
  const expectedVus = plan.workers * plan.vusPerWorker;
  for (const [index, s] of plan.slices.entries()) {
    const n = (name: string): number => counters[sliceMetric(s.id, name)] ?? 0;
    const windowSeconds = (s.endMs - s.measureFromMs) / 1000;
    const latency = summaries[sliceMetric(s.id, 'latency_us')];
    const cpu = summaries[sliceMetric(s.id, 'generator_cpu_pct')];
    const missing = partial(n, expectedVus, s.open !== null) ?? (n('ok') > 0 && !latency ? NO_LATENCY : null);
    const latencyUs = latency
      ? {
          p50: latency.p50,
          p90: latency.p90,
          p99: latency.p99,
          p999: latency.p999,
          max: latency.max,
          count: latency.count,
        }
      : { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, count: 0 };
    // The busiest worker process's CPU (one figure per process per slice).
    const cpuPercent = cpu?.max ?? 0;
    if (s.open !== null) {
      out.openModel.push({
        run: s.open.run,
        fraction: s.open.fraction,
        targetRps: s.open.targetRps,
        strategy: s.strategy,
        repetition: s.round,
        achievedRps: n('sent') / windowSeconds,
        sent: n('due'),
        non2xx: n('non2xx'),
        errors: n('errors'),
        unfinished: n('unfinished'),
        generatorCpuPercent: cpuPercent,
        latencyMs: {
          p50: latencyUs.p50 / 1000,
          p90: latencyUs.p90 / 1000,
          p99: latencyUs.p99 / 1000,
          p999: latencyUs.p999 / 1000,
          max: latencyUs.max / 1000,
        },
        ...(missing ? { missing } : {}),
      });
      continue;
    }
    const statusCodeStats: Record<string, { count: number }> = {};
    if (n('ok') > 0) statusCodeStats['2xx'] = { count: n('ok') };
    const prefix = sliceMetric(s.id, 'status_');
    for (const [name, count] of Object.entries(counters))
      if (name.startsWith(prefix)) statusCodeStats[name.slice(prefix.length)] = { count };
    const record = toRoundRecord(
      {
        result: {
          duration: windowSeconds,
          // As autocannon counts them: a timeout is an error too (toRoundRecord separates them).
          errors: n('errors') + n('timeouts'),
          timeouts: n('timeouts'),
          non2xx: n('non2xx'),
          '2xx': n('ok'),
          statusCodeStats,
        },
        latencyUs,
        cpuPercent,
      },
      {
        index,
        round: s.kind === 'round' ? s.round : 0,
        strategy: s.strategy,
        serverCpuPercent: null,
        invalidReasons: missing ? [missing] : [],
      },
    );
    (s.kind === 'warmup' ? out.warmup : out.rounds).push(record);
  }
  return out;
}

/** 2xx answers without their latencies: 0 ms would pass for a measurement. */
const NO_LATENCY = 'no latency summary for its 2xx answers in the Artillery report';

/** Why a slice's data is incomplete or not the plan's, or null. */
function partial(n: (name: string) => number, expected: number, open: boolean): string | null {
  const names = ['ok', 'non2xx', 'errors', 'timeouts', 'due', 'sent', 'vus', 'late_vus', 'unanswered'];
  if (names.every((name) => n(name) === 0)) return 'no data for this slice in the Artillery report';
  if (n('vus') < expected) {
    const late = n('late_vus');
    return (
      `partial: ${n('vus')} of ${expected} virtual users ran the whole slice` +
      (late > 0 ? ` (${late} reached it after its guard band)` : '')
    );
  }
  // More users than planned: more workers ran it than it was exported for (--workers).
  if (n('vus') > expected)
    return `${n('vus')} virtual users ran the slice, ${expected} planned: more workers than the plan was exported for (--workers)`;
  if (n('unanswered') > 0)
    return `${n('unanswered')} requests still unanswered at the end of the next slice's guard band (given up: raise --guard-seconds above the slowest answers)`;
  const settled = n('ok') + n('non2xx') + n('errors') + n('timeouts') + n('unfinished');
  if (open && settled !== n('due'))
    return `partial: ${settled} of ${n('due')} requests due in the window have an outcome in the report`;
  return null;
}
