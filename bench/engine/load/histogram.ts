import * as hdr from 'hdr-histogram-js';

/** Latency percentiles in microseconds, with the number of values recorded. */
export interface LatencyUs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
}

/**
 * A latency histogram at microsecond resolution up to 10 minutes, 3 significant digits:
 * autocannon's own rounds to whole milliseconds, too coarse for a p50 of a few ms.
 */
export function latencyHistogram(): { record(us: number): void; summary(): LatencyUs; destroy(): void } {
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  return {
    record: (us) => h.recordValue(Math.max(1, Math.round(us))),
    summary: () => ({
      p50: h.getValueAtPercentile(50),
      p90: h.getValueAtPercentile(90),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      max: h.maxValue,
      count: h.totalCount,
    }),
    destroy: () => h.destroy(),
  };
}

/** Microseconds to the record's milliseconds. */
export function toLatencyMs(us: LatencyUs): {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
} {
  return {
    p50: us.p50 / 1000,
    p90: us.p90 / 1000,
    p99: us.p99 / 1000,
    p999: us.p999 / 1000,
    max: us.max / 1000,
  };
}
