/**
 * An open-model load generator: requests are sent at a constant arrival rate whatever the
 * server does, and each is timed from its *intended* send time. A server stall then shows up
 * as the queue it causes, instead of being hidden by clients that politely wait
 * (coordinated omission). autocannon's -R caps each connection's rate and corrects for 1 ms,
 * which is not this (docs/method.md). Runs in the load-generator process.
 */
import http from 'node:http';
import { latencyHistogram, type LatencyUs } from './histogram.js';

export interface OpenLoopJob {
  url: string;
  path: string;
  tokens: string[];
  /** Target arrival rate, requests per second. */
  rate: number;
  durationSeconds: number;
  /** Sockets the client may open: enough never to limit the rate. */
  maxSockets: number;
  timeoutSeconds: number;
}

export interface OpenLoopReport {
  targetRate: number;
  /**
   * Requests per second actually sent, over the sending window only (first send to last, plus
   * one interval): the rate the server was offered, not diluted by the wait for stragglers.
   */
  achievedRate: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Requests still unanswered when the run ended plus a grace period. */
  unfinished: number;
  /** From intended send time to the end of the response, 2xx only, in microseconds. */
  latencyUs: LatencyUs;
  cpuPercent: number;
}

export async function runOpenLoop(job: OpenLoopJob): Promise<OpenLoopReport> {
  const url = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.maxSockets });
  const latencies = latencyHistogram();
  const headers = job.tokens.map((t) => ({ authorization: `Bearer ${t}` }));
  const cpuBefore = process.cpuUsage();
  const total = Math.floor(job.rate * job.durationSeconds);
  const intervalNs = 1e9 / job.rate;
  let sent = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let finished = 0;
  const start = process.hrtime.bigint();
  let lastSent = start;
  const send = (i: number): void => {
    lastSent = process.hrtime.bigint();
    const intended = start + BigInt(Math.round(i * intervalNs));
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: job.path,
        method: 'GET',
        agent,
        headers: headers[i % headers.length],
        timeout: job.timeoutSeconds * 1000,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          finished++;
          if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
            ok++;
            latencies.record(Number((process.hrtime.bigint() - intended) / 1000n));
          } else {
            non2xx++;
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      finished++;
      errors++;
    });
    req.end();
  };
  await new Promise<void>((resolve) => {
    // Send everything whose intended time has come; a 1 ms tick keeps the schedule without
    // one timer per request. A late tick sends the backlog at once: still timed from intent.
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(Number(process.hrtime.bigint() - start) / intervalNs) + 1);
      while (sent < due) send(sent++);
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  const deadline = Date.now() + job.timeoutSeconds * 1000;
  while (finished < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const elapsedS = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  const report: OpenLoopReport = {
    targetRate: job.rate,
    achievedRate: sent / (Number(lastSent - start) / 1e9 + intervalNs / 1e9),
    sent,
    ok,
    non2xx,
    errors,
    unfinished: sent - finished,
    latencyUs: latencies.summary(),
    cpuPercent: (100 * (cpu.user + cpu.system)) / (elapsedS * 1e6),
  };
  latencies.destroy();
  return report;
}
