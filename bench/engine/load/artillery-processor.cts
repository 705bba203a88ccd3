/**
 * Artillery's processor for an authbench plan (see bench/schema/artillery.ts). Artillery starts
 * the virtual users; each one runs the whole plan here: it waits for the shared t0, then goes
 * through the slices in order, sending to that slice's servers, and counts what it saw into
 * custom metrics named by slice (`authbench.<slice id>.<name>`), which Artillery sums over
 * virtual users, periods and workers. Artillery's own http engine is not used: its timings have
 * 1 ms resolution and it cannot switch targets mid-scenario.
 *
 * It runs on Artillery's workers, wherever those are (a laptop, Fargate, Lambda): CommonJS, no
 * dependencies, only the files next to it (plan.json, tokens.txt).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import type { ArtilleryPlan, ArtillerySlice } from '../../schema/artillery.js' with {
  'resolution-mode': 'import',
};

/** The part of Artillery's event emitter a processor uses. */
interface Events {
  emit(kind: 'counter' | 'histogram', name: string, value: number): void;
}

type Outcome = { status: number } | { error: 'timeout' | 'socket' };

const plan = JSON.parse(fs.readFileSync(path.join(__dirname, 'plan.json'), 'utf8')) as ArtilleryPlan;
const tokens = fs
  .readFileSync(path.join(__dirname, 'tokens.txt'), 'utf8')
  .split('\n')
  .map((t) => t.trim())
  .filter((t) => t !== '');
if (tokens.length === 0) throw new Error('authbench processor: tokens.txt holds no tokens');

// A later launch of the same export sets its own start (every worker must get the same value).
const t0Ms = Number(process.env.AUTHBENCH_T0_MS || plan.t0Ms);
if (!Number.isFinite(t0Ms)) throw new Error('authbench processor: AUTHBENCH_T0_MS is not a time in ms');

/** A monotonic clock with sub-microsecond resolution, in ms. */
const hrMs = (): number => Number(process.hrtime.bigint()) / 1e6;
// The wall clock is read once: t0 comes from it (shared between workers); all timing is hrtime.
const t0Hr = t0Ms - (Date.now() - hrMs());

/** The same names bench/schema/artillery.ts's sliceMetric builds (import reads them). */
const metric = (s: ArtillerySlice, name: string): string => `authbench.${s.id}.${name}`;

async function sleepUntil(atHr: number): Promise<void> {
  for (;;) {
    const wait = atHr - hrMs();
    if (wait <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(wait, 60_000)));
  }
}

/** One GET of the plan's route with a token, given up after `timeoutMs`; never rejects. */
function send(base: string, agent: http.Agent, token: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (o: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const url = new URL(plan.path, base);
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.on('error', () => finish({ error: 'socket' }));
      res.on('end', () => finish({ status: res.statusCode ?? 0 }));
      res.resume();
    });
    const timer = setTimeout(
      () => {
        finish({ error: 'timeout' });
        req.destroy();
      },
      Math.max(0, timeoutMs),
    );
    req.on('error', () => finish({ error: 'socket' }));
    req.end();
  });
}

/** One response into the slice's metrics; latency in µs, 2xx only (as autocannon records it). */
function count(events: Events, s: ArtillerySlice, o: Outcome, latencyUs: number): void {
  if ('error' in o) {
    events.emit('counter', metric(s, o.error === 'timeout' ? 'timeouts' : 'errors'), 1);
  } else if (o.status >= 200 && o.status < 300) {
    events.emit('counter', metric(s, 'ok'), 1);
    events.emit('histogram', metric(s, 'latency_us'), latencyUs);
  } else {
    events.emit('counter', metric(s, 'non2xx'), 1);
    events.emit('counter', metric(s, `status_${o.status}`), 1);
  }
}

/**
 * Closed model: one request in flight; the next as soon as it is answered, until the slice ends.
 * 2xx answers count by when they came (the window is exactly measureFrom..end); failures count
 * in the slice they were sent in, whenever they happen. The last request may run into the next
 * slice's guard band, not to its end: one still unanswered just before the next window is given
 * up and counted `unanswered` here, so it can neither vanish nor make the user late for it.
 */
async function closedSlice(
  events: Events,
  s: ArtillerySlice,
  agent: http.Agent,
  base: string,
  next: () => string,
  giveUpAt: number,
): Promise<void> {
  const from = t0Hr + s.measureFromMs;
  const end = t0Hr + s.endMs;
  const timeoutMs = plan.timeoutSeconds * 1000;
  while (hrMs() < end) {
    const began = hrMs();
    const stuck = giveUpAt - began < timeoutMs;
    const o = await send(base, agent, next(), Math.min(timeoutMs, giveUpAt - began));
    const at = hrMs();
    if ('error' in o && o.error === 'timeout' && stuck) events.emit('counter', metric(s, 'unanswered'), 1);
    else if (!('error' in o) && o.status >= 200 && o.status < 300) {
      if (at >= from && at <= end) count(events, s, o, 1000 * (at - began));
    } else count(events, s, o, 0);
  }
}

/**
 * Open model: sends at fixed times whatever the answers (this user's share of the rate, its
 * phase staggered); latency from the intended send time, so a slow server cannot slow the
 * arrivals down. `due` counts the requests intended inside the window (each ends as ok,
 * non-2xx, error or unfinished); `sent` those actually sent inside it (the achieved rate: a
 * saturated generator shows). A request unanswered at its intended time + the timeout is
 * `unfinished`, entered at the timeout. A user that reaches the slice late skips the sends
 * already past (they were the warm-up's) instead of sending them in a burst.
 */
async function openSlice(
  events: Events,
  s: ArtillerySlice,
  vu: number,
  agent: http.Agent,
  base: string,
  next: () => string,
): Promise<Array<Promise<void>>> {
  const open = s.open!;
  const intervalMs = 1000 / (open.targetRps / (plan.workers * plan.vusPerWorker));
  const from = t0Hr + s.measureFromMs;
  const end = t0Hr + s.endMs;
  const timeoutMs = plan.timeoutSeconds * 1000;
  const first =
    t0Hr + s.startMs + (((vu % plan.vusPerWorker) + Math.random()) / plan.vusPerWorker) * intervalMs;
  const inFlight: Array<Promise<void>> = [];
  for (let k = Math.max(0, Math.ceil((hrMs() - first) / intervalMs)); ; k++) {
    const intended = first + k * intervalMs;
    if (intended >= end) break;
    await sleepUntil(intended);
    const measured = intended >= from;
    const sentAt = hrMs();
    if (measured) events.emit('counter', metric(s, 'due'), 1);
    if (sentAt >= from && sentAt < end) events.emit('counter', metric(s, 'sent'), 1);
    inFlight.push(
      send(base, agent, next(), intended + timeoutMs - sentAt).then((o) => {
        if (!measured) return;
        const latencyMs = hrMs() - intended;
        if ('error' in o && o.error === 'timeout') {
          events.emit('counter', metric(s, 'unfinished'), 1);
          events.emit('histogram', metric(s, 'latency_us'), 1000 * Math.max(latencyMs, timeoutMs));
        } else count(events, s, o, 1000 * latencyMs);
      }),
    );
  }
  return inFlight;
}

/** This virtual user through every slice; the slices it reached too late it leaves out (import sees fewer users). */
async function runSlices(vu: number, events: Events): Promise<void> {
  const agents = new Map<string, http.Agent>();
  const agentFor = (base: string): http.Agent => {
    let a = agents.get(base);
    if (!a) {
      // Its own keep-alive connection per server, as each autocannon connection is one socket.
      a = base.startsWith('https:')
        ? new https.Agent({ keepAlive: true })
        : new http.Agent({ keepAlive: true });
      agents.set(base, a);
    }
    return a;
  };
  let i = 0;
  const next = (): string => tokens[i++ % tokens.length]!;
  const pending: Array<Promise<void>> = [];
  events.emit('counter', `authbench.plan.${plan.planId}`, 1);
  try {
    for (const [n, s] of plan.slices.entries()) {
      if (hrMs() > t0Hr + s.measureFromMs) {
        events.emit('counter', metric(s, 'late_vus'), 1);
        continue;
      }
      await sleepUntil(t0Hr + s.startMs);
      const base = s.urls[vu % s.urls.length]!;
      // Every slice walks the same tokens from the same place for this user, whichever strategy.
      i = Math.floor((vu * tokens.length) / plan.vusPerWorker);
      // Just before the next slice's measured window (after the last slice: a guard band on),
      // so a user that gives up there is still on time for it.
      const nextSlice = plan.slices[n + 1];
      const guardMs = s.measureFromMs - s.startMs;
      const giveUpAt =
        t0Hr + (nextSlice ? nextSlice.measureFromMs - Math.min(100, guardMs / 4) : s.endMs + guardMs);
      if (s.open === null) await closedSlice(events, s, agentFor(base), base, next, giveUpAt);
      else pending.push(...(await openSlice(events, s, vu, agentFor(base), base, next)));
      events.emit('counter', metric(s, 'vus'), 1);
    }
    await Promise.all(pending);
  } finally {
    for (const a of agents.values()) a.destroy();
  }
}

/**
 * The generator's CPU over each slice's measured window, once per worker process: the
 * process's user + system time ÷ the window, in % of one core.
 */
async function watchCpu(events: Events): Promise<void> {
  for (const s of plan.slices) {
    if (hrMs() > t0Hr + s.measureFromMs) continue;
    await sleepUntil(t0Hr + s.measureFromMs);
    const cpu = process.cpuUsage();
    const began = hrMs();
    await sleepUntil(t0Hr + s.endMs);
    const used = process.cpuUsage(cpu);
    events.emit(
      'histogram',
      metric(s, 'generator_cpu_pct'),
      (100 * (used.user + used.system)) / (1000 * (hrMs() - began)),
    );
  }
}

let vus = 0;
let cpuWatch: Promise<void> | null = null;

/** The scenario's one step (`flow: [{ function: runPlan }]`). */
export function runPlan(_context: unknown, events: Events, done: (err?: Error) => void): void {
  const vu = vus++;
  if (vu >= plan.vusPerWorker) {
    done();
    return;
  }
  cpuWatch ??= watchCpu(events);
  // The first user stays until the CPU watch ends, so its emitter outlives the last slice.
  Promise.all([runSlices(vu, events), vu === 0 ? cpuWatch : null]).then(
    () => done(),
    (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
  );
}
