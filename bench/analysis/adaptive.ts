/**
 * Adaptive rounds: measure at least a minimum of rounds, then stop as soon as every
 * candidate's gain is known to the target precision (its 95% CI half-width), or at the maximum.
 * Pure: the rounds so far in, a decision out.
 *
 * Rounds stop early only after an even round, so both orders are equally represented (drift).
 * Stopping when the interval happens to be narrow is optional stopping: the intervals of runs
 * that stop early cover the true ratio less often than 95%. Two rules keep that small: at least
 * `minRounds`, and the precision must hold after two consecutive rounds, not once. Simulated
 * (test/bench/analysis/adaptive.test.ts; paired ratios scattering 6% and 10% around 1.08, 400
 * runs): stopping at the first precise round covered 85.5% and 89.7%; with both rules 90.5% and
 * 91.5%; stopping only at even rounds too, 92.5% and 94.0%, against 94% for a fixed number of
 * rounds. Every adaptive record says so in its method section.
 */
import type { StrategyName } from '../../servers/strategies/index.js';
import type { RoundRecord } from '../schema/results.js';
import { compareStrategies } from './build-record.js';

/** Resamples for the stopping decision: enough for a half-width, cheap enough after every round. */
export const DECISION_ITERATIONS = 2000;

export interface StopDecision {
  stop: boolean;
  /** Per candidate, the CI half-width of its throughput ratio (null: no pair yet). */
  halfWidths: Partial<Record<StrategyName, number | null>>;
}

/** Per candidate, the CI half-width of its ratio over rounds 1..upTo (null: no pair yet). */
function halfWidthsAt(
  rounds: readonly RoundRecord[],
  strategies: readonly StrategyName[],
  upTo: number,
  iterations: number,
): StopDecision['halfWidths'] {
  const [baseline, ...candidates] = strategies;
  const within = rounds.filter((r) => r.round <= upTo);
  const out: StopDecision['halfWidths'] = {};
  for (const candidate of candidates) {
    const c = compareStrategies(within, baseline!, candidate, iterations);
    out[candidate] = c ? (c.throughputRatio.ci95[1] - c.throughputRatio.ci95[0]) / 2 : null;
  }
  return out;
}

const precise = (widths: StopDecision['halfWidths'], target: number): boolean =>
  Object.values(widths).every((w) => w !== null && w !== undefined && w <= target);

/** The decision after `completed` rounds (every strategy measured in each). */
export function stopDecision(
  rounds: readonly RoundRecord[],
  strategies: readonly StrategyName[],
  completed: number,
  rule: { minRounds: number; maxRounds: number; targetPrecision: number },
  iterations = DECISION_ITERATIONS,
): StopDecision {
  const halfWidths = halfWidthsAt(rounds, strategies, completed, iterations);
  if (completed >= rule.maxRounds) return { stop: true, halfWidths };
  // Only after an even round: each pair of rounds runs both orders, so linear drift leaves the
  // median ratio alone (over an odd number it leans toward one order: stats.ts pairedRatios).
  if (completed % 2 === 1 || completed < rule.minRounds || !precise(halfWidths, rule.targetPrecision))
    return { stop: false, halfWidths };
  // Precise now; stop only if it was after the round before as well.
  const before = halfWidthsAt(rounds, strategies, completed - 1, iterations);
  return { stop: completed - 1 >= rule.minRounds && precise(before, rule.targetPrecision), halfWidths };
}
