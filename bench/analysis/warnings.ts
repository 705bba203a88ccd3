/**
 * The warning policy: what a reader must be told before trusting the numbers. Pure; the
 * sentences go into the record as they are.
 */
import type { StrategyName } from '../../servers/strategies/index.js';
import type { Comparison, OpenModelResult, RoundRecord } from '../schema/results.js';

/** Above this share of one core the load generator is measuring itself. */
export const GENERATOR_SATURATION_PERCENT = 90;
/** Fewer valid pairs than this make an interval too wide to lean on. */
export const FEW_PAIRS = 5;

export function roundWarnings(warmup: readonly RoundRecord[], rounds: readonly RoundRecord[]): string[] {
  const out: string[] = [];
  for (const r of rounds) {
    if (r.status === 'invalid')
      out.push(`${r.strategy} round ${r.round} is invalid: ${r.invalidReasons.join('; ')}`);
  }
  for (const r of [...warmup, ...rounds]) {
    if (r.generatorCpuPercent > GENERATOR_SATURATION_PERCENT) {
      const which = r.round === 0 ? 'warm-up' : `round ${r.round}`;
      out.push(
        `the load generator used ${r.generatorCpuPercent.toFixed(0)}% of a core in ${r.strategy} ${which}: it may be measuring itself`,
      );
    }
  }
  return out;
}

export function openModelWarnings(runs: readonly OpenModelResult[]): string[] {
  const out: string[] = [];
  for (const o of runs) {
    const at = `open model at ${o.fraction * 100}%`;
    for (const [name, r] of Object.entries(o.strategies)) {
      if (r.non2xx + r.errors + r.unfinished > 0) {
        out.push(
          `${at} (${o.targetRps.toFixed(0)} req/s), ${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.unfinished} unanswered at the timeout${r.non2xx + r.errors > 0 ? ' (runs with refusals or errors left out of the medians and pairs)' : ''}`,
        );
      }
      if (r.achievedRps < 0.95 * o.targetRps) {
        out.push(`${at}, ${name}: achieved ${r.achievedRps.toFixed(0)} of ${o.targetRps.toFixed(0)} req/s`);
      }
    }
  }
  return out;
}

export function comparisonWarnings(
  comparisons: readonly Comparison[],
  missing: readonly StrategyName[],
  baseline: StrategyName,
): string[] {
  const out: string[] = [];
  // With one candidate the sentences read as they always did; with several they name it.
  const several = comparisons.length + missing.length > 1;
  for (const name of missing) {
    out.push(
      several
        ? `${name} vs ${baseline}: no pair of valid rounds, no comparison possible`
        : 'no pair of valid rounds: no comparison possible',
    );
  }
  for (const c of comparisons) {
    const which = several ? `${c.candidate} vs ${c.baseline}: ` : '';
    if (!c.throughputRatio.significant)
      out.push(`${which}no significant difference in throughput: the 95% CI of the ratio contains 1`);
    if (c.throughputRatio.pairs < FEW_PAIRS)
      out.push(`${which}only ${c.throughputRatio.pairs} valid pairs: the confidence interval is wide`);
  }
  return out;
}
