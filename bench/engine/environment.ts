import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { projectRoot } from '../infra/paths.js';
import type { Infra } from '../infra/index.js';
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

/** The machine and versions, stored next to the numbers. */
export function describeEnvironment(
  infra: Infra,
  versions: { postgres: string; redis: string },
  serverCpu: number | null,
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
  };
}
