/**
 * The processor Artillery runs, driven here as Artillery drives it (require, then runPlan per
 * virtual user with an event emitter) against real HTTP servers on loopback: what it counts in
 * each slice's window, and what it leaves out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../../bench/infra/paths.js';
import type { ArtillerySlice } from '../../../../bench/schema/artillery.js';

interface Served {
  url: string;
  /** When each response was finished, ms since the epoch, and the token it was for. */
  answered: Array<{ at: number; token: string }>;
  close(): Promise<void>;
}

async function serve(status: number, delayMs: number): Promise<Served> {
  const answered: Served['answered'] = [];
  const server: Server = createServer((req, res) => {
    setTimeout(() => {
      res.statusCode = status;
      res.end('{}', () => answered.push({ at: Date.now(), token: String(req.headers.authorization) }));
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answered,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

class Collector {
  counters = new Map<string, number>();
  histograms = new Map<string, number[]>();
  emit(kind: 'counter' | 'histogram', name: string, value: number): void {
    if (kind === 'counter') this.counters.set(name, (this.counters.get(name) ?? 0) + value);
    else this.histograms.set(name, [...(this.histograms.get(name) ?? []), value]);
  }
  n(name: string): number {
    return this.counters.get(name) ?? 0;
  }
}

type RunPlan = (ctx: unknown, events: Collector, done: (err?: Error) => void) => void;

test('closed and open slices: counted only inside their windows, latency in µs, late users left out', async () => {
  const ok = await serve(200, 5);
  const refusing = await serve(503, 1);
  const hanging = await serve(200, 5000);
  const dir = mkdtempSync(join(tmpdir(), 'authbench-processor-'));
  try {
    const t0Ms = Date.now() + 400;
    const slice = (
      s: Partial<ArtillerySlice> &
        Pick<ArtillerySlice, 'id' | 'startMs' | 'measureFromMs' | 'endMs' | 'urls'>,
    ): ArtillerySlice => ({
      kind: 'round',
      strategy: 'db-lookup',
      round: 1,
      open: null,
      ...s,
    });
    const slices = [
      slice({ id: 'round-1.db-lookup', startMs: 0, measureFromMs: 300, endMs: 1300, urls: [ok.url] }),
      slice({
        id: 'round-1.jwt-redis',
        strategy: 'jwt-redis',
        startMs: 1300,
        measureFromMs: 1500,
        endMs: 2000,
        urls: [refusing.url],
      }),
      slice({
        id: 'open-0-rep-1.db-lookup',
        kind: 'open',
        startMs: 2000,
        measureFromMs: 2200,
        endMs: 3200,
        urls: [ok.url],
        open: { run: 0, fraction: 0.5, targetRps: 100 },
      }),
      slice({
        id: 'round-2.jwt-redis',
        strategy: 'jwt-redis',
        round: 2,
        startMs: 3200,
        measureFromMs: 3400,
        endMs: 3900,
        urls: [hanging.url],
      }),
      slice({
        id: 'round-2.db-lookup',
        round: 2,
        startMs: 3900,
        measureFromMs: 4100,
        endMs: 4600,
        urls: [ok.url],
      }),
    ];
    writeFileSync(
      join(dir, 'plan.json'),
      JSON.stringify({
        planId: 'p1',
        t0Ms,
        workers: 1,
        vusPerWorker: 3,
        path: '/api/dashboard',
        timeoutSeconds: 2,
        slices,
      }),
    );
    writeFileSync(join(dir, 'tokens.txt'), 'token-a\ntoken-b\ntoken-c\n');
    copyFileSync(
      join(projectRoot(), 'dist', 'bench', 'engine', 'load', 'artillery-processor.cjs'),
      join(dir, 'processor.cjs'),
    );
    const { runPlan } = createRequire(import.meta.url)(join(dir, 'processor.cjs')) as { runPlan: RunPlan };
    const events = new Collector();
    const user = (): Promise<void> =>
      new Promise((resolve, reject) => runPlan({}, events, (err) => (err ? reject(err) : resolve())));
    // Two users on time; the third arrives after the first slice's guard band.
    const late = new Promise<void>((r) => setTimeout(r, t0Ms + 500 - Date.now())).then(user);
    await Promise.all([user(), user(), late]);

    const m = (id: string, name: string): number => events.n(`authbench.${id}.${name}`);
    assert.equal(m('round-1.db-lookup', 'vus'), 2);
    assert.equal(m('round-1.db-lookup', 'late_vus'), 1, 'the late user skipped the slice it missed');
    assert.equal(m('round-1.jwt-redis', 'vus'), 3, 'and joined the next');
    // What the server finished inside the window is what was counted (a response in flight at a
    // boundary may land on either side: one per user).
    const inWindow = ok.answered.filter((a) => a.at >= t0Ms + 300 && a.at <= t0Ms + 1300).length;
    const counted = m('round-1.db-lookup', 'ok');
    assert.ok(counted > 50, `closed loop of 2 users at ≈ 5 ms: ${counted}`);
    assert.ok(
      Math.abs(counted - inWindow) <= 3,
      `counted ${counted}, the server answered ${inWindow} in the window`,
    );
    assert.ok(
      ok.answered.filter((a) => a.at < t0Ms + 1300).length > counted,
      'the guard band was sent to, not counted',
    );
    const lat = events.histograms.get('authbench.round-1.db-lookup.latency_us') ?? [];
    assert.equal(lat.length, counted);
    assert.ok(
      lat.every((us) => us >= 4500 && us < 1_000_000),
      'µs, at least the server delay',
    );
    assert.ok(new Set(ok.answered.map((a) => a.token)).size === 3, 'tokens rotate');
    assert.equal(m('round-1.jwt-redis', 'ok'), 0);
    assert.ok(m('round-1.jwt-redis', 'non2xx') > 0);
    assert.equal(m('round-1.jwt-redis', 'non2xx'), m('round-1.jwt-redis', 'status_503'));
    // Open: 100 req/s over 1 s measured, whatever the answers.
    const due = m('open-0-rep-1.db-lookup', 'due');
    assert.ok(due >= 95 && due <= 105, `due ${due} at 100 req/s for 1 s`);
    assert.ok(Math.abs(m('open-0-rep-1.db-lookup', 'sent') - due) <= 3, 'sent on time, inside the window');
    assert.equal(m('open-0-rep-1.db-lookup', 'ok'), due, 'every measured request answered and counted');
    assert.equal(m('open-0-rep-1.db-lookup', 'unfinished'), 0);
    // A server that hangs: each user's request is given up when the next slice starts measuring,
    // counted where it was sent; the next slice has all its users.
    assert.equal(m('round-2.jwt-redis', 'unanswered'), 3);
    assert.equal(m('round-2.jwt-redis', 'ok'), 0);
    assert.equal(m('round-2.db-lookup', 'vus'), 3);
    assert.equal(m('round-2.db-lookup', 'late_vus'), 0);
    assert.ok(m('round-2.db-lookup', 'ok') > 0);
    assert.equal(events.n('authbench.plan.p1'), 3, "each user counts the plan's id");
    const cpu = events.histograms.get('authbench.round-1.db-lookup.generator_cpu_pct') ?? [];
    assert.equal(cpu.length, 1, 'one CPU figure per process and slice');
  } finally {
    await ok.close();
    await refusing.close();
    await hanging.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
