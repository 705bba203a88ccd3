import { pg } from '../../sql/pg-types.js';
import { median } from '../analysis/stats.js';

/**
 * The idle round trip of the servers' path to Postgres (through the delay proxy, if any):
 * the median of sequential `SELECT 1`s on one connection. The proxy's timers only ever fire
 * late, so the configured delay is a lower bound; the cost model uses this measured value.
 */
export async function idleRoundTripMs(pgUrl: string, samples = 50): Promise<number> {
  const client = new pg.Client({ connectionString: pgUrl, application_name: 'authbench-link-probe' });
  await client.connect();
  try {
    const ping = { name: 'authbench_link_probe', text: '/* authbench-counters */ SELECT 1' };
    await client.query(ping); // prepares, and warms the path
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await client.query(ping);
      times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    await client.end().catch(() => {});
  }
}
