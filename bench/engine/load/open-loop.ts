/**
 * An open-model load generator: requests are sent at a constant arrival rate whatever the
 * server does, and each is timed from its *intended* send time. A server stall then shows up
 * as the queue it causes, instead of being hidden by clients that politely wait
 * (coordinated omission). autocannon's -R caps each connection's rate and corrects for 1 ms,
 * which is not this (docs/method.md). Runs in the load-generator process.
 */
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { latencyHistogram, type LatencyUs } from './histogram.js';

export interface OpenLoopJob {
  /** One server, or replicas: request i goes to url[i % length]. */
  url: string | string[];
  path: string;
  tokens: string[];
  /** Target arrival rate, requests per second. */
  rate: number;
  durationSeconds: number;
  /**
   * Seconds sent at the same rate before the measured window, then discarded: the agent opens its
   * sockets and the server's queue reaches its steady state first. 0: none.
   */
  warmupSeconds?: number;
  /** Sockets the client may open: enough never to limit the rate. */
  maxSockets: number;
  /** A request unanswered this long after its intended send time is a failure (see `unfinished`). */
  timeoutSeconds: number;
}

export interface OpenLoopReport {
  targetRate: number;
  /**
   * Requests per second actually sent in the measured window (first send to last, plus one
   * interval): the rate the server was offered, not diluted by the wait for stragglers.
   */
  achievedRate: number;
  /** Requests sent in the measured window (warm-up excluded); every one is counted once below. */
  sent: number;
  ok: number;
  non2xx: number;
  /** Connection errors (refused, reset) before the deadline. */
  errors: number;
  /**
   * Requests without a complete response at their deadline (intended send time + timeout):
   * failures, counted here only, and entered in the latency at the timeout, a lower bound of
   * what they took; dropping them would let a server that stops answering look fast.
   */
  unfinished: number;
  /**
   * From intended send time to the end of the response, in microseconds: 2xx responses, and the
   * unfinished at the timeout.
   */
  latencyUs: LatencyUs;
  cpuPercent: number;
}

interface InFlight {
  deadline: bigint;
  measured: boolean;
  done: boolean;
  req: http.ClientRequest | null;
}

export async function runOpenLoop(job: OpenLoopJob): Promise<OpenLoopReport> {
  // urlToHttpOptions: the default port for https, IPv6 hosts without their brackets.
  const targets = [job.url].flat().map((u) => {
    const url = new URL(u);
    const secure = url.protocol === 'https:';
    const { hostname, port } = urlToHttpOptions(url);
    return {
      request: secure ? https.request : http.request,
      agent: secure
        ? new https.Agent({ keepAlive: true, maxSockets: job.maxSockets })
        : new http.Agent({ keepAlive: true, maxSockets: job.maxSockets }),
      hostname,
      port: port ?? (secure ? 443 : 80),
    };
  });
  const latencies = latencyHistogram();
  const headers = job.tokens.map((t) => ({ authorization: `Bearer ${t}` }));
  const intervalNs = 1e9 / job.rate;
  const warmup = Math.floor(job.rate * (job.warmupSeconds ?? 0));
  const total = warmup + Math.floor(job.rate * job.durationSeconds);
  const timeoutNs = BigInt(Math.round(job.timeoutSeconds * 1e9));
  let sent = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let unfinished = 0;
  // In intended order, so deadlines are ascending: the tick only looks at the head.
  const inFlight: InFlight[] = [];
  let head = 0;
  const start = process.hrtime.bigint();
  let cpuBefore = process.cpuUsage();
  let firstMeasuredSent = start;
  let lastSent = start;
  const send = (i: number): void => {
    const now = process.hrtime.bigint();
    const measured = i >= warmup;
    if (i === warmup) {
      cpuBefore = process.cpuUsage();
      firstMeasuredSent = now;
    }
    if (measured) lastSent = now;
    const intended = start + BigInt(Math.round(i * intervalNs));
    const entry: InFlight = { deadline: intended + timeoutNs, measured, done: false, req: null };
    const fail = (): void => {
      if (entry.done) return;
      entry.done = true;
      if (measured) errors++;
    };
    inFlight.push(entry);
    const target = targets[i % targets.length]!;
    const req = target.request(
      {
        hostname: target.hostname,
        port: target.port,
        path: job.path,
        method: 'GET',
        agent: target.agent,
        // Each replica sees every user in turn, whatever the replica and token counts share.
        headers: headers[Math.floor(i / targets.length) % headers.length],
      },
      (res) => {
        res.on('error', fail);
        res.resume();
        res.on('end', () => {
          if (entry.done) return;
          entry.done = true;
          if (!measured) return;
          if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
            ok++;
            latencies.record(Number((process.hrtime.bigint() - intended) / 1000n));
          } else {
            non2xx++;
          }
        });
      },
    );
    entry.req = req;
    req.on('error', fail);
    req.end();
  };
  const expire = (now: bigint): void => {
    while (head < inFlight.length) {
      const e = inFlight[head]!;
      if (!e.done) {
        if (e.deadline > now) return;
        e.done = true;
        if (e.measured) {
          unfinished++;
          latencies.record(Number(timeoutNs / 1000n));
        }
        e.req?.destroy();
      }
      e.req = null;
      head++;
    }
  };
  await new Promise<void>((resolve) => {
    // Send everything whose intended time has come; a 1 ms tick keeps the schedule without
    // one timer per request. A late tick sends the backlog at once: still timed from intent.
    // The same tick retires requests past their deadline, so a run ends at most one timeout
    // after its last send, with every request answered, refused or failed.
    const tick = setInterval(() => {
      const now = process.hrtime.bigint();
      const due = Math.min(total, Math.floor(Number(now - start) / intervalNs) + 1);
      while (sent < due) send(sent++);
      expire(process.hrtime.bigint());
      if (sent >= total && head >= inFlight.length) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  const elapsedS = Number(process.hrtime.bigint() - firstMeasuredSent) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  for (const t of targets) t.agent.destroy();
  const measuredSent = total - warmup;
  const report: OpenLoopReport = {
    targetRate: job.rate,
    achievedRate: measuredSent / (Number(lastSent - firstMeasuredSent) / 1e9 + intervalNs / 1e9),
    sent: measuredSent,
    ok,
    non2xx,
    errors,
    unfinished,
    latencyUs: latencies.summary(),
    cpuPercent: (100 * (cpu.user + cpu.system)) / (elapsedS * 1e6),
  };
  latencies.destroy();
  return report;
}
