/**
 * The plan as Artillery runs it (pure): a scenario's timed phases become time slices after a
 * shared start t0, in the plan's order, each with a guard band at its start, and the Artillery
 * script that starts one virtual user per connection to run them (the processor,
 * bench/engine/load/artillery-processor.cts, does the rest).
 */
import type { StrategyName } from '../../servers/strategies/index.js';
import type { ArtilleryPlan, ArtillerySlice } from '../schema/artillery.js';
import type { Phase } from '../schema/plan.js';
import { usage } from './usage.js';

export interface ArtilleryOptions {
  /** Seconds from export to t0: Artillery's start-up (≈ 10 s here) and the workers' start spread must fit. */
  leadSeconds: number;
  /** Seconds at each slice's start that are not counted: the slice before drains into them. */
  guardSeconds: number;
  /** Workers that each run the whole script: connections and open rates are split over them. */
  workers: number;
}

export const ARTILLERY_DEFAULTS: ArtilleryOptions = { leadSeconds: 20, guardSeconds: 1, workers: 1 };

/** The slices' metric prefix: what and which strategy, unique in a plan. */
export function sliceId(p: Extract<Phase, { kind: 'warmup' | 'round' | 'open' }>): string {
  switch (p.kind) {
    case 'warmup':
      return `warmup.${p.strategy}`;
    case 'round':
      return `round-${p.round}.${p.strategy}`;
    case 'open':
      return `open-${p.run}-rep-${p.repetition}.${p.strategy}`;
  }
}

/**
 * The timed phases Artillery runs, as slices back to back from t0 + 0. Closed-model phases
 * (warm-ups, rounds) always; open-model runs when their rates are known (`openRates`: req/s by
 * the plan's run number, every worker together), else none. A calibration cannot be run this
 * way (its counters are read around each short run): callers refuse it before.
 */
export function artillerySlices(
  phases: readonly Phase[],
  urls: (strategy: StrategyName) => string[],
  guardSeconds: number,
  openRates: ReadonlyMap<number, number> | null,
): ArtillerySlice[] {
  const slices: ArtillerySlice[] = [];
  let at = 0;
  const guardMs = Math.round(guardSeconds * 1000);
  for (const p of phases) {
    if (p.kind === 'calibrate')
      throw new Error('a calibration cannot run on Artillery (its counters are read around each run)');
    if (p.kind !== 'warmup' && p.kind !== 'round' && p.kind !== 'open') continue;
    let open: ArtillerySlice['open'] = null;
    let leadIn = guardMs;
    if (p.kind === 'open') {
      const rate = openRates?.get(p.run);
      if (rate === undefined) continue;
      open = { run: p.run, fraction: p.fraction, targetRps: rate };
      // Its warm-up at the rate is discarded, as the embedded generator discards it.
      leadIn = Math.max(guardMs, p.warmupSeconds * 1000);
    }
    const startMs = at;
    const measureFromMs = startMs + leadIn;
    const endMs = measureFromMs + p.seconds * 1000;
    slices.push({
      id: sliceId(p),
      kind: p.kind,
      strategy: p.strategy,
      round: p.kind === 'round' ? p.round : p.kind === 'open' ? p.repetition : 0,
      startMs,
      measureFromMs,
      endMs,
      urls: urls(p.strategy),
      open,
    });
    at = endMs;
  }
  return slices;
}

/** Virtual users per worker: the closed model's connections, split evenly over the workers. */
export function vusPerWorker(connections: number, workers: number): number {
  if (connections % workers !== 0)
    throw usage(
      '--workers',
      `a divisor of --connections (${connections}): each worker runs its share`,
      String(workers),
    );
  return connections / workers;
}

/**
 * The Artillery script (JSON, which Artillery reads as it reads YAML): one phase that starts
 * the virtual users within a second, long before t0; each runs the processor's runPlan once.
 */
export function artilleryScript(plan: Pick<ArtilleryPlan, 'vusPerWorker' | 'slices'>): object {
  return {
    config: {
      target: plan.slices[0]?.urls[0] ?? 'http://127.0.0.1',
      phases: [
        { name: 'authbench: one virtual user per connection', duration: 1, arrivalCount: plan.vusPerWorker },
      ],
      processor: './processor.cjs',
      // run-fargate and run-lambda ship these with the script.
      includeFiles: ['./plan.json', './tokens.txt'],
    },
    scenarios: [{ name: 'authbench plan', flow: [{ function: 'runPlan' }] }],
  };
}

/** Seconds from t0 to the last slice's end, and the timeout after it for the last answers. */
export function artillerySeconds(plan: Pick<ArtilleryPlan, 'slices' | 'timeoutSeconds'>): number {
  return (plan.slices.at(-1)?.endMs ?? 0) / 1000 + plan.timeoutSeconds;
}
