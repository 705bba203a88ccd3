/**
 * OS process helpers shared by the throwaway-service modules: liveness checks that treat
 * zombies as gone, waiting for a pid to go away, and running a command as another user.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A user (and its primary group) to run a child process as. */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/**
 * Whether `pid` is a running process.
 *
 * A process that exited but has not been reaped (a zombie) still answers kill(pid, 0); the
 * postmaster started by pg_ctl is reparented to init, which may reap it only seconds later, so
 * on Linux the state in /proc decides.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else, so it is running.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may itself contain spaces or parentheses.
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Blocks the thread for `ms`; only for 'exit' handlers, where nothing async can run. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits until `pid` is gone; resolves true if it went within `timeoutMs`. */
export async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

/** Synchronous twin of {@link waitUntilGone} for 'exit' handlers. */
export function waitUntilGoneSync(pid: number, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() >= deadline) return false;
    sleepSync(25);
  }
  return true;
}

/** Sends `signal`, ignoring "no such process" (it may have just exited). */
export function signalIfRunning(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export interface RunOptions {
  runAs?: RunAs | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Runs a command to completion and returns its output.
 * @throws an error naming the command, its exit status and the tail of its output.
 */
export function run(
  file: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: opts.cwd,
        env: opts.env ?? childEnv(),
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}),
      },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ stdout, stderr });
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        const status = e.killed
          ? `killed after ${opts.timeoutMs ?? 60_000} ms`
          : typeof e.code === 'number'
            ? `exit code ${e.code}`
            : e.signal
              ? `signal ${e.signal}`
              : e.message;
        const output = tail(`${stdout}\n${stderr}`.trim(), 20);
        const who = opts.runAs ? ` (as ${opts.runAs.name})` : '';
        reject(
          new Error(
            `${path.basename(file)} ${args.join(' ')}${who} failed: ${status}${output ? `\n${output}` : ''}`,
          ),
        );
      },
    );
  });
}

/**
 * The environment for server processes: a bare one, so a developer's PGDATA, PGPORT, LANG or
 * REDIS_* settings cannot change how the throwaway instances behave.
 */
export function childEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };
}

/** The last `lines` lines of `text`. */
export function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** The last `lines` lines of a log file, or a note that it could not be read. */
export function tailOfFile(file: string, lines = 30): string {
  try {
    return tail(fs.readFileSync(file, 'utf8').trimEnd(), lines);
  } catch (err) {
    return `(could not read ${file}: ${(err as Error).message})`;
  }
}
