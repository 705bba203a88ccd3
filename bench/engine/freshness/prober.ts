/**
 * The probers: mint tokens (recording the snapshot each was minted in) and send them, without
 * pause, to every server: tokens minted before each revocation and fresh ones after it, a few
 * from another dataset, and bursts right after every revocation so its latency is measured to
 * the millisecond. Every request is recorded with its start and end on the phase clock.
 */
import http from 'node:http';
import type { KeyObject } from 'node:crypto';
import type pg from 'pg';
import { currentClaimsWithSnapshot } from '../../../fixtures/tokens.js';
import { signToken } from '../../../servers/jwt.js';
import type { MintEvent, ProbeEvent, Rights, XidSnapshot } from '../../schema/freshness.js';
import type { PhaseClock } from './clock.js';

export interface ProbeTarget {
  name: string;
  /** Current URL: a server restarted after a crash listens elsewhere. */
  url(): string;
}

/** After a revocation: probe the user's pre-revocation tokens at these offsets (ms) on every server. */
export const BURST_OFFSETS_MS = [0, 1, 2, 4, 8, 15, 30, 60, 120, 250, 500, 800, 1100, 1400];
const FRESH_OFFSETS_MS = [0, 5, 50, 300, 1200];
const RECENT_KEPT = 3;
const PRE_KEPT = 4;
const TIMEOUT_MS = 5000;

export function parseSnapshot(text: string): XidSnapshot {
  const [xmin, xmax, xip = ''] = text.split(':');
  return { xmin: Number(xmin), xmax: Number(xmax), xip: xip === '' ? [] : xip.split(',').map(Number) };
}

interface Burst {
  dueMs: number;
  token: number;
  server: number;
}

export class Prober {
  readonly mints: MintEvent[] = [];
  readonly probes: ProbeEvent[] = [];
  private readonly tokens = new Map<number, { user: number; jwt: string }>();
  private readonly recent = new Map<number, number[]>();
  private readonly pre = new Map<number, number[]>();
  private readonly foreign: number[] = [];
  private readonly bursts: Burst[] = [];
  private readonly agents = new Map<string, http.Agent>();
  private readonly inFlight = new Set<Promise<void>>();
  private nextToken = 1;
  private budget = 0;
  private lastTick = 0;
  private ticker: NodeJS.Timeout | undefined;
  private minter: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly opts: {
      clock: PhaseClock;
      /** Where own tokens are minted from (a direct connection: mints are the checker's reference). */
      db: pg.Pool;
      key: KeyObject;
      ttlSeconds: number;
      servers: ProbeTarget[];
      users: readonly number[];
      random: () => number;
      ratePerSecond: number;
      maxInFlight: number;
      mintEveryMs: number;
    },
  ) {}

  /** Mints own tokens for these users now; returns their token ids (users without a role get none). */
  async mint(users: readonly number[]): Promise<number[]> {
    const { claims, snapshot } = await currentClaimsWithSnapshot(this.opts.db, users);
    const atMs = this.opts.clock();
    const snap = parseSnapshot(snapshot);
    const ids: number[] = [];
    for (const [user, c] of claims) {
      const id = this.nextToken++;
      // exp = iat + ttl with iat in whole seconds (jsonwebtoken): the same arithmetic on the phase clock.
      const wall = Date.now();
      const expMs = this.opts.clock() + (Math.floor(wall / 1000) + this.opts.ttlSeconds) * 1000 - wall;
      this.tokens.set(id, { user, jwt: signToken(c, this.opts.key, this.opts.ttlSeconds) });
      this.mints.push({
        expMs,
        token: id,
        user,
        atMs,
        dataset: 'own',
        snapshot: snap,
        incarnation: c.inc,
        rights: { role: c.role, permissions: c.permissions },
      });
      push(this.recent, user, id, RECENT_KEPT);
      ids.push(id);
    }
    return ids;
  }

  /** Marks tokens as minted right before a revocation: probed until the end, and in a burst after it. */
  keepAsPre(ids: readonly number[]): void {
    for (const id of ids) {
      const t = this.tokens.get(id);
      if (t) push(this.pre, t.user, id, PRE_KEPT);
    }
  }

  /** Every user's tokens minted before a revocation (the newest few per user). */
  preTokens(): number[] {
    return [...this.pre.values()].flat();
  }

  /** Tokens minted against another dataset with the same secret: every 2xx is a violation. */
  addForeign(
    tokens: ReadonlyArray<{ user: number; jwt: string; incarnation: number; rights: Rights }>,
  ): void {
    for (const t of tokens) {
      const id = this.nextToken++;
      this.tokens.set(id, { user: t.user, jwt: t.jwt });
      this.mints.push({
        token: id,
        user: t.user,
        atMs: this.opts.clock(),
        dataset: 'foreign',
        snapshot: null,
        incarnation: t.incarnation,
        rights: t.rights,
      });
      this.foreign.push(id);
    }
  }

  /** Probes these tokens on every server at each offset from now. */
  burst(ids: readonly number[], offsetsMs: readonly number[] = BURST_OFFSETS_MS): void {
    const now = this.opts.clock();
    for (const token of ids) {
      for (const offset of offsetsMs) {
        for (let server = 0; server < this.opts.servers.length; server++)
          this.bursts.push({ dueMs: now + offset, token, server });
      }
    }
    this.bursts.sort((a, b) => a.dueMs - b.dueMs);
  }

  /**
   * Probes these tokens without pause on every server (one request in flight per token and
   * server) until the returned function is called: an API revocation is watched from before its
   * COMMIT to after its answer, so a server that honours the old claims for even a millisecond
   * after the commit is caught.
   */
  watch(ids: readonly number[]): () => void {
    let watching = true;
    for (const token of ids) {
      for (let server = 0; server < this.opts.servers.length; server++) {
        const loop = (): void => {
          if (!watching || !this.running) return;
          const p = this.sendNow(token, server);
          // At most one request every 2 ms per token and server: fine enough to catch a window of
          // a few milliseconds, without flooding the history during a long lock wait.
          if (p) void Promise.all([p, new Promise((r) => setTimeout(r, 2))]).then(loop);
        };
        loop();
      }
    }
    return () => {
      watching = false;
    };
  }

  freshBurst(ids: readonly number[]): void {
    this.burst(ids, FRESH_OFFSETS_MS);
  }

  start(): void {
    this.running = true;
    this.lastTick = this.opts.clock();
    this.ticker = setInterval(() => this.tick(), 4);
    this.minter = setInterval(() => {
      void this.mint(this.opts.users).catch(() => {});
    }, this.opts.mintEveryMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.ticker) clearInterval(this.ticker);
    if (this.minter) clearInterval(this.minter);
    await Promise.allSettled([...this.inFlight]);
    for (const agent of this.agents.values()) agent.destroy();
  }

  private tick(): void {
    if (!this.running) return;
    const now = this.opts.clock();
    this.budget = Math.min(
      this.budget + ((now - this.lastTick) * this.opts.ratePerSecond) / 1000,
      this.opts.maxInFlight,
    );
    this.lastTick = now;
    // Bursts have a budget of their own: slow answers to random probes must not delay them.
    while (
      this.bursts.length > 0 &&
      this.bursts[0]!.dueMs <= now &&
      this.inFlight.size < 2 * this.opts.maxInFlight
    ) {
      const b = this.bursts.shift()!;
      this.sendNow(b.token, b.server);
    }
    while (this.budget >= 1 && this.inFlight.size < this.opts.maxInFlight) {
      const token = this.pickToken();
      if (token === undefined) break;
      this.budget -= 1;
      this.sendNow(token, Math.floor(this.opts.random() * this.opts.servers.length));
    }
  }

  private pickToken(): number | undefined {
    const r = this.opts.random();
    if (r < 0.03 && this.foreign.length > 0)
      return this.foreign[Math.floor(this.opts.random() * this.foreign.length)];
    // A user without a role (or deleted) has no recent tokens: try others.
    for (let attempt = 0; attempt < 8; attempt++) {
      const user = this.opts.users[Math.floor(this.opts.random() * this.opts.users.length)]!;
      const pool = r < 0.4 ? (this.pre.get(user) ?? this.recent.get(user)) : this.recent.get(user);
      if (pool && pool.length > 0) return pool[Math.floor(this.opts.random() * pool.length)];
    }
    return undefined;
  }

  private sendNow(tokenId: number, serverIndex: number): Promise<void> | undefined {
    const token = this.tokens.get(tokenId);
    const server = this.opts.servers[serverIndex];
    if (!token || !server) return undefined;
    const p = this.request(server, tokenId, token.jwt).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return p;
  }

  private request(server: ProbeTarget, tokenId: number, jwt: string): Promise<void> {
    const base = server.url();
    let agent = this.agents.get(base);
    if (!agent)
      this.agents.set(
        base,
        (agent = new http.Agent({ keepAlive: true, maxSockets: 4 * this.opts.maxInFlight })),
      );
    const url = new URL('/api/dashboard', base);
    const startMs = this.opts.clock();
    return new Promise<void>((resolve) => {
      let done = false;
      const record = (status: number, rights: Rights | null, error?: string): void => {
        if (done) return;
        done = true;
        this.probes.push({
          server: server.name,
          token: tokenId,
          startMs,
          endMs: this.opts.clock(),
          status,
          rights,
          ...(error ? { error } : {}),
        });
        resolve();
      };
      const req = http.get(
        url,
        { agent, headers: { authorization: `Bearer ${jwt}` }, timeout: TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            let rights: Rights | null = null;
            if (status === 503) {
              // Which dependency the server gave up on: the report counts 503s by it.
              const dep = /dependency \((\w+)\)/.exec(Buffer.concat(chunks).toString())?.[1];
              record(status, null, dep ? `unavailable: ${dep}` : undefined);
              return;
            }
            if (status >= 200 && status < 300) {
              try {
                const body = JSON.parse(Buffer.concat(chunks).toString()) as {
                  user?: { role?: unknown; permissions?: unknown };
                };
                if (typeof body.user?.role === 'string' && Array.isArray(body.user.permissions)) {
                  rights = {
                    role: body.user.role,
                    permissions: (body.user.permissions as string[]).slice().sort(),
                  };
                }
              } catch {
                rights = null;
              }
            }
            record(status, rights);
          });
          res.on('error', (err) => record(0, null, err.message));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => record(0, null, err.message));
    });
  }
}

function push(map: Map<number, number[]>, user: number, id: number, keep: number): void {
  let list = map.get(user);
  if (!list) map.set(user, (list = []));
  list.push(id);
  if (list.length > keep) list.shift();
}
