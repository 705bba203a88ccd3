/**
 * The load generator, run as a child process of its own (never in a server's event loop, never
 * in the driver's): receives jobs over IPC, runs autocannon for each, reports the results.
 * The only module that imports autocannon.
 */
import autocannon from 'autocannon';
import { runOpenLoop, type OpenLoopJob } from './open-loop.js';
import { latencyHistogram } from './histogram.js';
import type { GeneratorReport } from './round-record.js';

export interface LoadJob {
  /** One server, or replicas: autocannon spreads the connections over them round-robin. */
  url: string | string[];
  path: string;
  /** Bearer tokens of distinct users; request i uses tokens[i % length]. */
  tokens: string[];
  connections: number;
  durationSeconds: number;
  timeoutSeconds: number;
}

export async function runLoad(job: LoadJob): Promise<GeneratorReport> {
  // Only 2xx responses are recorded, as autocannon does with excludeErrorStats.
  const latencies = latencyHistogram();
  let next = 0;
  const headers = job.tokens.map((t) => ({ authorization: `Bearer ${t}` }));
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        // autocannon takes an array too (its types say string): connection i → url[i % length].
        url: job.url as string,
        connections: job.connections,
        duration: job.durationSeconds,
        timeout: job.timeoutSeconds,
        pipelining: 1,
        excludeErrorStats: true,
        requests: [
          {
            method: 'GET',
            path: job.path,
            setupRequest: (req) => {
              req.headers = headers[next++ % headers.length]!;
              return req;
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) latencies.record(responseTimeMs * 1000);
    });
  });
  const cpu = process.cpuUsage(cpuBefore);
  const wallUs = Number(process.hrtime.bigint() - wallBefore) / 1000;
  const report: GeneratorReport = {
    // Passed on whole: round-record.ts is the one place that reads autocannon's field names.
    result: JSON.parse(JSON.stringify(result)) as GeneratorReport['result'],
    latencyUs: latencies.summary(),
    cpuPercent: (100 * (cpu.user + cpu.system)) / wallUs,
  };
  latencies.destroy();
  return report;
}

// As a child process: jobs in, one report out per job, until the parent disconnects. One
// process serves the whole run, so a round pays no process start-up.
if (process.send && process.argv[2] === '--child') {
  process.on('disconnect', () => process.exit(0));
  process.on('message', (job: LoadJob | (OpenLoopJob & { open: true })) => {
    const run: Promise<unknown> = 'open' in job ? runOpenLoop(job) : runLoad(job);
    run.then(
      (report) => process.send!({ ok: true, report }),
      (err: unknown) => process.send!({ ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
