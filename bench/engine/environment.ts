import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { projectRoot } from '../infra/paths.js';
import { redactUrl } from '../../servers/urls.js';
import type { Target } from '../schema/plan.js';
import type { Environment } from '../schema/results.js';

export function gitCommit(): string | null {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: projectRoot(),
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: projectRoot(),
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return null;
  }
}

/** What a scenario talks to: services resolved here (Infra), or only given (target mode). */
export interface Services {
  pgUrl: string | null;
  redisUrl: string | null;
  pgMode: string;
  redisMode: string;
  description: string;
}

/** Target mode's services: only the URLs given, never started; credentials never printed. */
export function targetServices(
  targets: readonly Target[],
  urls: { pgUrl?: string; redisUrl?: string },
): Services {
  const servers = targets.map((t) => `${t.strategy} at ${t.urls.map(redactUrl).join(', ')}`).join('; ');
  const given = (url: string | undefined, name: string): string =>
    url ? `${name} ${redactUrl(url)}` : `${name} not given (its counts come from the servers alone)`;
  return {
    pgUrl: urls.pgUrl ?? null,
    redisUrl: urls.redisUrl ?? null,
    pgMode: urls.pgUrl ? 'url' : 'not given',
    redisMode: urls.redisUrl ? 'url' : 'not given',
    description: `target mode: ${servers}; ${given(urls.pgUrl, 'postgres')}; ${given(urls.redisUrl, 'redis')}`,
  };
}

/** The machine and versions, stored next to the numbers. */
export function describeEnvironment(
  infra: Services,
  versions: { postgres: string; redis: string },
  serverCpu: number | null,
  targets: readonly Target[] | null = null,
): Environment {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres: versions.postgres,
    redis: versions.redis,
    gitCommit: gitCommit(),
    infrastructure: { postgres: infra.pgMode, redis: infra.redisMode, description: infra.description },
    serverCpu,
    targets: targets ? Object.fromEntries(targets.map((t) => [t.strategy, t.urls.map(redactUrl)])) : null,
  };
}
