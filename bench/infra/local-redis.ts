/**
 * A throwaway redis-server on a free loopback port, without persistence, in a temp dir;
 * torn down by destroy(), on exit, on error and on SIGINT/SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { defaultRedisSearchPath, findExecutable } from './binaries.js';
import { ThrowawayInstance, startInTempDir } from './throwaway.js';
import { assertPortFree, onFreePort } from './ports.js';
import { childEnv, run, signalIfRunning, sleep, tailOfFile, type RunAs } from './processes.js';
import { chownTree, serverUser } from './run-as.js';

/** How long a starting redis-server gets to answer PING. */
const READY_DEADLINE_MS = 15_000;

/** Options for {@link startLocalRedis}. */
export interface LocalRedisOptions {
  /** TCP port on 127.0.0.1; default: a free one. */
  port?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Directories to look for redis-server in; default: PATH, /usr/bin, /usr/local/bin. */
  searchPath?: readonly string[];
}

/** A running (or stopped, restartable) throwaway redis-server. */
export interface LocalRedis {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The temp dir: the server's working dir and its log. */
  dir: string;
  /** e.g. "Redis 7.0.15" */
  version: string;
  /** The server's pid while running. */
  pid(): number | undefined;
  /** Starts a fresh server on the same port; it starts empty (no persistence). */
  start(): Promise<void>;
  /** Stops the server, keeping the temp dir for start(). */
  stop(): Promise<void>;
  /** Stops the server and removes the temp dir; idempotent. */
  destroy(): Promise<void>;
}

/**
 * Starts a throwaway redis-server and waits until it answers PING.
 * @throws when redis-server is missing or does not come up (with the tail of its log);
 *   nothing is left behind in that case.
 */
export async function startLocalRedis(opts: LocalRedisOptions = {}): Promise<LocalRedis> {
  const searchPath = opts.searchPath ?? defaultRedisSearchPath();
  const bin = findExecutable('redis-server', searchPath);
  if (!bin) {
    throw new Error(
      `no redis-server in ${searchPath.length ? searchPath.join(':') : '(an empty search path)'}; ` +
        'install it (e.g. apt-get install redis-server) or add its directory to PATH',
    );
  }
  const runAs = serverUser(['redis', 'nobody']);
  const version = await redisVersion(bin);
  const log = opts.log ?? (() => {});
  return onFreePort(
    opts.port,
    (port) =>
      startInTempDir(
        'redis',
        (dir) => new Server(bin, runAs, version, port, dir, log),
        async (server) => {
          await chownTree(server.dir, runAs);
          await server.start();
        },
      ),
    log,
  );
}

class Server extends ThrowawayInstance implements LocalRedis {
  readonly url: string;
  private readonly logFile: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly bin: string,
    private readonly runAs: RunAs | undefined,
    readonly version: string,
    readonly port: number,
    dir: string,
    log: (line: string) => void,
  ) {
    super(dir, log, 'redis');
    this.url = `redis://127.0.0.1:${port}`;
    this.logFile = path.join(dir, 'redis.log');
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    return this.serial(async () => {
      if (this.destroyed) throw new Error(`local redis in ${this.dir} was destroyed; start a new one`);
      if (this.child) return;
      await assertPortFree(this.port, 'redis-server');
      this.spawnServer();
      await this.waitUntilReady();
      this.log(`redis: started on 127.0.0.1:${this.port} (pid ${this.pid() ?? '?'})`);
    });
  }

  private spawnServer(): void {
    // Server output goes straight to a file: a pipe would tie the server's life to ours and
    // fill up if nobody reads it. Errors printed before redis sets up logging land there too.
    const logFd = fs.openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        this.bin,
        // Persistence off: the benchmark wants a clean, memory-only server on every start.
        [
          '--port',
          String(this.port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          this.dir,
          '--daemonize',
          'no',
        ],
        {
          cwd: this.dir,
          env: childEnv(),
          stdio: ['ignore', logFd, logFd],
          // Own process group: a terminal's Ctrl-C reaches only us, and our handler stops the
          // server in order instead of it dying mid-request.
          detached: true,
          ...(this.runAs ? { uid: this.runAs.uid, gid: this.runAs.gid } : {}),
        },
      );
    } finally {
      fs.closeSync(logFd);
    }
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (err) => {
        fs.appendFileSync(this.logFile, `authbench: could not run ${this.bin}: ${err.message}\n`);
        resolve();
      });
    });
    void this.exited.then(() => {
      if (this.child === child) this.child = undefined;
    });
    // A forgotten destroy() must not keep the process alive; the 'exit' fallback kills the server.
    child.unref();
    this.child = child;
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + READY_DEADLINE_MS;
    let gone = false;
    void this.exited.then(() => (gone = true));
    for (;;) {
      if (gone) {
        throw new Error(
          `redis-server on 127.0.0.1:${this.port} exited during startup\n` +
            `--- ${this.logFile} ---\n${tailOfFile(this.logFile)}`,
        );
      }
      if (await pingRedis(this.port, 500)) return;
      if (Date.now() >= deadline) {
        await this.stopNow();
        throw new Error(
          `redis-server on 127.0.0.1:${this.port} did not answer PING within ${READY_DEADLINE_MS} ms\n` +
            `--- ${this.logFile} ---\n${tailOfFile(this.logFile)}`,
        );
      }
      await sleep(50);
    }
  }

  protected async stopNow(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const pid = child.pid;
    child.ref(); // keep the event loop alive until the exit is seen (and the child reaped)
    child.kill('SIGTERM');
    const timedOut = Symbol('timeout');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.exited,
      new Promise<symbol>((resolve) => (timer = setTimeout(() => resolve(timedOut), 5_000))),
    ]);
    clearTimeout(timer);
    if (outcome === timedOut) {
      child.kill('SIGKILL');
      await this.exited;
    }
    this.child = undefined;
    this.log(`redis: stopped (pid ${pid ?? '?'})`);
  }

  protected destroySync(): void {
    const pid = this.child?.pid;
    if (pid !== undefined) signalIfRunning(pid, 'SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Whether a redis server on 127.0.0.1:`port` answers PING with +PONG within `timeoutMs`. */
export function pingRedis(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

async function redisVersion(bin: string): Promise<string> {
  const { stdout } = await run(bin, ['--version'], { cwd: '/', timeoutMs: 10_000 });
  const match = /v=(\S+)/.exec(stdout);
  return match ? `Redis ${match[1]}` : stdout.trim();
}
