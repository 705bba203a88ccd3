import type pg from 'pg';

/** The phase's one clock: ms since the phase started, monotonic. */
export type PhaseClock = () => number;

export function phaseClock(): PhaseClock {
  const t0 = performance.now();
  return () => performance.now() - t0;
}

export interface ClockSample {
  /** Phase ms at the sample. */
  atMs: number;
  /** Postgres wall-clock ms minus phase ms, at the sample. */
  offsetMs: number;
  /** Half the round trip of the best sample: how far off the offset can be. */
  uncertaintyMs: number;
}

/**
 * Where Postgres' clock (commit timestamps) stands against the phase clock, NTP-style: the
 * server's reading is taken to be halfway through the round trip of the fastest of `n` samples.
 */
export async function sampleClock(client: pg.Client, now: PhaseClock, n = 15): Promise<ClockSample> {
  let best: ClockSample | undefined;
  for (let i = 0; i < n; i++) {
    const t0 = now();
    const { rows } = await client.query<{ ms: number }>(
      'SELECT extract(epoch from clock_timestamp())::float8 * 1000 AS ms',
    );
    const t1 = now();
    const sample = {
      atMs: (t0 + t1) / 2,
      offsetMs: rows[0]!.ms - (t0 + t1) / 2,
      uncertaintyMs: (t1 - t0) / 2,
    };
    if (!best || sample.uncertaintyMs < best.uncertaintyMs) best = sample;
  }
  return best!;
}

/** Postgres ms → phase ms, interpolating the offset linearly between two samples. */
export function pgToPhase(start: ClockSample, end: ClockSample): (pgMs: number) => number {
  const startPg = start.atMs + start.offsetMs;
  const span = end.atMs + end.offsetMs - startPg;
  return (pgMs) => {
    const f = span > 0 ? Math.min(1, Math.max(0, (pgMs - startPg) / span)) : 0;
    return pgMs - (start.offsetMs + f * (end.offsetMs - start.offsetMs));
  };
}
