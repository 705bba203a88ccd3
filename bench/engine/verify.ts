import type { StrategyName } from '../../servers/strategies/index.js';
import type { VerificationResult } from '../analysis/build-record.js';
import type { MeasuredCosts, StrategyMap } from '../schema/results.js';
import type { Counters, CounterSnapshot } from './counters.js';

export type { VerificationResult };

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
}

interface Target {
  strategy: StrategyName;
  /** One server, or the replicas of one strategy (target mode): every one is checked. */
  urls: readonly string[];
}

async function get(url: string, token: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.text() };
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const around = (s: string): string => JSON.stringify(s.slice(Math.max(0, i - 40), i + 40));
  return `at character ${i}: ${around(a)} vs ${around(b)}`;
}

/**
 * The verification pass, before any timing (as TechEmpower does): every response must be 2xx
 * and byte-identical across strategies for the same user and route; then the measured route is
 * requested once per user against each server in turn, counting statements and commands on the
 * database's and Redis' side and on the server's. Throws VerificationError at the first fault.
 */
export async function verify(opts: {
  /** At least two; every other target's bodies are compared with the first's. */
  targets: Target[];
  tokens: string[];
  routes: string[];
  measuredRoute: string;
  counters: Counters;
}): Promise<VerificationResult> {
  const { targets, tokens, routes } = opts;
  if (targets.length < 2) throw new RangeError('verification compares at least two servers');
  // Every replica of every strategy answers each request; all are compared with the first.
  const servers = targets.flatMap((t) =>
    t.urls.map((url) => ({ url, name: t.urls.length > 1 ? `${t.strategy} (${url})` : t.strategy })),
  );
  let compared = 0;
  for (const route of routes) {
    for (const [i, token] of tokens.entries()) {
      const answers = await Promise.all(servers.map((s) => get(s.url + route, token)));
      for (const [j, r] of answers.entries()) {
        if (r.status < 200 || r.status > 299) {
          throw new VerificationError(
            `${servers[j]!.name} answered ${r.status} to GET ${route} for token #${i + 1}: ${r.body.slice(0, 200)}`,
          );
        }
      }
      const first = answers[0]!;
      for (const [j, r] of answers.entries()) {
        if (r.body !== first.body) {
          throw new VerificationError(
            `${servers[0]!.name} and ${servers[j]!.name} differ for GET ${route}, token #${i + 1}, ${firstDifference(first.body, r.body)}`,
          );
        }
      }
      compared++;
    }
  }

  const warnings: string[] = [];
  const costs: StrategyMap<MeasuredCosts> = {};
  for (const target of targets) {
    const before = await opts.counters.snapshot(target.urls);
    // The replicas in turn: the counts are summed over them, per request sent.
    for (const [i, token] of tokens.entries()) {
      const r = await get(target.urls[i % target.urls.length]! + opts.measuredRoute, token);
      if (r.status < 200 || r.status > 299)
        throw new VerificationError(`${target.strategy} answered ${r.status} to GET ${opts.measuredRoute}`);
    }
    const after = await opts.counters.snapshot(target.urls);
    const c = perRequest(before, after, tokens.length);
    costs[target.strategy] = c;
    if (c.queriesSource === 'pg_stat_statements' && c.queriesPerRequest !== c.serverQueriesPerRequest) {
      warnings.push(
        `${target.strategy}: Postgres counted ${c.queriesPerRequest} statements/request, the server ${c.serverQueriesPerRequest}`,
      );
    }
    if (c.redisCommandsSource === 'redis' && c.redisCommandsPerRequest !== c.serverRedisCommandsPerRequest) {
      warnings.push(
        `${target.strategy}: Redis counted ${c.redisCommandsPerRequest} commands/request, the server ${c.serverRedisCommandsPerRequest} (other Redis clients?)`,
      );
    }
  }
  if (!opts.counters.hasDatabase) {
    warnings.push(
      "no Postgres given (--pg-url): queries/request are the servers' own counts, not cross-checked on the database's side",
    );
  } else if (!opts.counters.hasStatementStats) {
    warnings.push(
      "pg_stat_statements is not loaded in this Postgres: queries/request come from the servers' own counters",
    );
  }
  if (!opts.counters.hasRedis) {
    warnings.push(
      "no Redis given (--redis-url): Redis commands/request are the servers' own counts, not cross-checked on Redis' side",
    );
  }
  return { comparedResponses: compared, routes, costs, warnings };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** (after − before) ÷ n to hundredths; null where either reading was not counted. */
function perN(before: number | null, after: number | null, n: number): number | null {
  return before === null || after === null ? null : round2((after - before) / n);
}

/** Each count from the service's side where it was read, else the servers' own: said which. */
function perRequest(before: CounterSnapshot, after: CounterSnapshot, n: number): MeasuredCosts {
  const server = perN(before.serverQueries, after.serverQueries, n)!;
  const db = perN(before.dbStatements, after.dbStatements, n);
  const serverRedis = perN(before.serverRedisCommands, after.serverRedisCommands, n)!;
  const redis = perN(before.redisCommands, after.redisCommands, n);
  return {
    queriesPerRequest: db ?? server,
    queriesSource: db === null ? 'server counters' : 'pg_stat_statements',
    serverQueriesPerRequest: server,
    redisCommandsPerRequest: redis ?? serverRedis,
    redisCommandsSource: redis === null ? 'server counters' : 'redis',
    serverRedisCommandsPerRequest: serverRedis,
    requests: n,
  };
}
