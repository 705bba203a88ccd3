import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../infra/paths.js';
import type { JwtVerifyVariant } from '../../servers/jwt.js';
import type { StrategyName } from '../../servers/strategies/index.js';
import { registerCleanup } from '../infra/cleanup.js';
import type { LoadJob } from './load/closed-loop.js';
import type { OpenLoopJob, OpenLoopReport } from './load/open-loop.js';
import type { GeneratorReport } from './load/round-record.js';

const READY_TIMEOUT_MS = 30_000;
const TASKSET = '/usr/bin/taskset';

/**
 * The CPU to pin servers to: the last one, when there are at least two and taskset exists
 * (Linux). A server that shares its core with Postgres or the generator by the scheduler's
 * whim measures the placement: on the 2-core development machine, unpinned runs gave gain
 * medians of 1.24, 1.16 and 1.06; pinned ones 1.08, 1.04 and 1.08.
 */
export function defaultServerCpu(): number | null {
  const cpus = availableParallelism();
  return cpus >= 2 && existsSync(TASKSET) ? cpus - 1 : null;
}

/** The CPUs other than the servers', as a taskset list ("0,1,2"); null when the servers are not pinned. */
export function otherCpuList(serverCpu: number | null): string | null {
  if (serverCpu === null || !existsSync(TASKSET)) return null;
  const others = Array.from({ length: availableParallelism() }, (_, i) => i).filter((i) => i !== serverCpu);
  return others.length > 0 ? others.join(',') : null;
}

/**
 * Moves a running process, every thread of it, off the servers' CPU: left to the scheduler, a
 * load generator or proxy sometimes runs beside the server it measures and takes its cycles.
 */
export function pinAway(pid: number, serverCpu: number | null): void {
  const list = otherCpuList(serverCpu);
  if (list !== null) execFileSync(TASKSET, ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
}

/** A command prefix that starts a program off the servers' CPU ([] when they are not pinned). */
export function awayPrefix(serverCpu: number | null): string[] {
  const list = otherCpuList(serverCpu);
  return list === null ? [] : [TASKSET, '-c', list];
}

let userHz: number | null | undefined;

/**
 * USER_HZ, the unit of utime and stime in /proc/<pid>/stat, as the system states it
 * (`getconf CLK_TCK`), read once; null where it cannot be read, and CPU is then not measured
 * rather than computed with an assumed rate.
 */
export function clockTicksPerSecond(): number | null {
  if (userHz === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      userHz = Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      userHz = null;
    }
  }
  return userHz;
}

/**
 * CPU seconds of the processes among `pids` that run `command` on this machine (a pid from
 * another machine or container may name an unrelated process here: its name must match);
 * null when none does.
 */
export function cpuSecondsOf(pids: readonly number[], command: string): number | null {
  let total: number | null = null;
  for (const pid of pids) {
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const cpu = comm === command ? cpuSeconds(pid) : null;
    if (cpu !== null) total = (total ?? 0) + cpu;
  }
  return total;
}

/** CPU seconds (user + system) a process has used so far, from /proc; null where there is none. */
export function cpuSeconds(pid: number): number | null {
  const hz = clockTicksPerSecond();
  if (hz === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks.
    return (Number(fields[11]) + Number(fields[12])) / hz;
  } catch {
    return null;
  }
}

/** Kills a child and waits for it; registered so Ctrl-C or a crash never leaves it behind. */
function tracked(child: ChildProcess): { stop(): Promise<void> } {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  const unregister = registerCleanup(stop, () => {
    child.kill('SIGKILL');
  });
  void exited.then(unregister);
  return { stop };
}

export interface ServerProcess {
  strategy: StrategyName;
  url: string;
  pid: number;
  /** Settles when the process exits, however it exits (a crash, or stop()). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  stop(): Promise<void>;
}

/**
 * Starts `authbench serve` for one strategy as a child process of its own and waits for its
 * ready line. The secret travels in the environment, never on the command line.
 */
export async function spawnServer(opts: {
  strategy: StrategyName;
  pgUrl: string;
  redisUrl: string;
  poolSize: number;
  jwtSecret: string;
  jwtVerify: JwtVerifyVariant;
  /** Pin the server to this CPU (taskset), or leave placement to the scheduler. */
  cpu: number | null;
}): Promise<ServerProcess> {
  const cli = join(projectRoot(), 'dist', 'bench', 'cli', 'bin.js');
  const [command, ...prefix] =
    opts.cpu === null ? [process.execPath] : [TASKSET, '-c', String(opts.cpu), process.execPath];
  const child = spawn(
    command!,
    [
      ...prefix,
      cli,
      'serve',
      '--strategy',
      opts.strategy,
      '--port',
      '0',
      '--pool-size',
      String(opts.poolSize),
      '--jwt-verify',
      opts.jwtVerify,
      '--pg-url',
      opts.pgUrl,
      '--redis-url',
      opts.redisUrl,
    ],
    {
      env: { ...process.env, JWT_SECRET: opts.jwtSecret, DATABASE_URL: '', REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const handle = tracked(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal, stderr }));
    },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${opts.strategy} server not ready within ${READY_TIMEOUT_MS / 1000} s`)),
        READY_TIMEOUT_MS,
      );
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const found = /ready at (http:\/\/\S+)/.exec(line)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${opts.strategy} server exited with code ${code}`));
      });
    });
    return { strategy: opts.strategy, url, pid: child.pid!, exited, stop: handle.stop };
  } catch (err) {
    await handle.stop();
    throw new Error(`${(err as Error).message}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
}

export interface LoadGenerator {
  pid: number;
  /** Runs one closed-model job; jobs run one at a time. */
  run(job: LoadJob): Promise<GeneratorReport>;
  /** Runs one open-model (constant arrival rate) job. */
  runOpen(job: OpenLoopJob): Promise<OpenLoopReport>;
  stop(): Promise<void>;
}

/** Starts the load-generator process, which then runs the run's rounds one after another. */
export function spawnLoadGenerator(): LoadGenerator {
  const child = fork(join(projectRoot(), 'dist', 'bench', 'engine', 'load', 'closed-loop.js'), ['--child'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const handle = tracked(child);
  const ask = <T>(job: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null): void =>
        reject(new Error(`load generator exited with code ${code} before reporting`));
      child.once('exit', onExit);
      child.once('message', (msg: { ok: true; report: T } | { ok: false; error: string }) => {
        child.off('exit', onExit);
        if (msg.ok) resolve(msg.report);
        else reject(new Error(`load generator failed: ${msg.error}`));
      });
      // A shutdown (Ctrl-C) may have stopped the generator while the caller was between jobs:
      // reject rather than let a failed send surface as an unhandled 'error' event.
      const fail = (err: Error): void => {
        child.off('exit', onExit);
        reject(err);
      };
      if (!child.connected) {
        fail(new Error('the load generator is no longer running'));
        return;
      }
      child.send(job as object, (err) => {
        if (err) fail(err);
      });
    });
  return {
    pid: child.pid!,
    run: (job) => ask<GeneratorReport>(job),
    runOpen: (job) => ask<OpenLoopReport>({ ...job, open: true }),
    stop: handle.stop,
  };
}

export interface DelayProxy {
  /** The Postgres URL with host and port replaced by the proxy's. */
  url: string;
  pid: number;
  /** Changes the delay each way from now on; resolves once the proxy has applied it. */
  setDelay(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts bench/proxy.ts as a child process in front of the Postgres at `pgUrl`. */
export async function spawnDelayProxy(pgUrl: string, delayMs: number): Promise<DelayProxy> {
  const target = new URL(pgUrl);
  const options = { targetHost: target.hostname, targetPort: Number(target.port || 5432), delayMs };
  const child = spawn(
    process.execPath,
    [join(projectRoot(), 'dist', 'bench', 'engine', 'delay-proxy.js'), '--child', JSON.stringify(options)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const handle = tracked(child);
  const acks: Array<() => void> = [];
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('delay proxy not listening within 10 s')), 10_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const found = /^port (\d+)$/.exec(line)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(Number(found));
        }
        if (line.startsWith('delay ')) acks.shift()?.();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`delay proxy exited with code ${code}`));
      });
    });
    const url = new URL(pgUrl);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    const setDelay = (ms: number): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (child.exitCode !== null || !child.stdin!.writable) {
          reject(new Error('the delay proxy is not running'));
          return;
        }
        acks.push(resolve);
        child.stdin!.write(`delay ${ms}\n`);
      });
    return { url: url.toString(), pid: child.pid!, setDelay, stop: handle.stop };
  } catch (err) {
    await handle.stop();
    throw err;
  }
}
