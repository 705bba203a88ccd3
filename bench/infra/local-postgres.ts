/**
 * A throwaway PostgreSQL cluster: initdb into a temp dir, pg_ctl start on a free loopback port,
 * torn down (and the dir removed) by destroy(), on exit, on error and on SIGINT/SIGTERM.
 *
 * Owning the cluster lets the benchmark fix its settings (no fsync, pg_stat_statements
 * preloaded, enough connections) so that runs are repeatable from machine to machine.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { defaultPgSearchPath, findPgBinaries, type PgBinaries } from './binaries.js';
import { ThrowawayInstance, startInTempDir } from './throwaway.js';
import { onFreePort } from './ports.js';
import {
  isRunning,
  run,
  signalIfRunning,
  tailOfFile,
  waitUntilGone,
  waitUntilGoneSync,
  type RunAs,
} from './processes.js';
import { chownTree, serverUser } from './run-as.js';

/** The database created in the cluster and named in its URL. */
export const LOCAL_PG_DATABASE = 'authbench';

/** Options for {@link startLocalPostgres}. */
export interface LocalPostgresOptions {
  /** TCP port on 127.0.0.1; default: a free one. */
  port?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Directories to look for initdb/pg_ctl/postgres in; default: PATH, then /usr/lib/postgresql/*\/bin. */
  searchPath?: readonly string[];
  /**
   * wal_level = logical, so committed changes can be read back in commit order (the freshness
   * checker's ground truth). Off by default: the benchmark measures a plain replica-level cluster.
   */
  logicalDecoding?: boolean;
}

/** A running (or stopped, restartable) throwaway cluster. */
export interface LocalPostgres {
  /** postgres://postgres@127.0.0.1:PORT/authbench (trust authentication, no password). */
  url: string;
  port: number;
  /** The temp dir holding the data dir, the socket dir and the server log. */
  dir: string;
  dataDir: string;
  /** e.g. "PostgreSQL 15.14" */
  version: string;
  /** Whether pg_stat_statements is in shared_preload_libraries (false when the library is not installed). */
  pgStatStatements: boolean;
  /** The postmaster's pid while running. */
  pid(): number | undefined;
  /** Starts the cluster again after stop(), on the same port with the same data. */
  start(): Promise<void>;
  /** Stops the server (fast shutdown), keeping the data for start(). */
  stop(): Promise<void>;
  /** Stops the server and removes the temp dir; idempotent. */
  destroy(): Promise<void>;
}

/**
 * Creates and starts a throwaway cluster with a database `authbench`.
 * @throws when the binaries are missing or initdb/pg_ctl fail (with the server log's tail);
 *   nothing is left behind in that case.
 */
export async function startLocalPostgres(opts: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const searchPath = opts.searchPath ?? defaultPgSearchPath();
  const bins = findPgBinaries(searchPath);
  if (!bins) {
    throw new Error(
      `no PostgreSQL server binaries (initdb, pg_ctl and postgres in one directory) in ` +
        `${searchPath.length ? searchPath.join(':') : '(an empty search path)'}; install them ` +
        '(e.g. apt-get install postgresql) or add their directory to PATH',
    );
  }
  const runAs = serverUser(['postgres', 'nobody']);
  const version = await postgresVersion(bins, runAs);
  const log = opts.log ?? (() => {});
  return onFreePort(
    opts.port,
    (port) =>
      startInTempDir(
        'pg',
        (dir) => new Cluster(bins, runAs, version, port, dir, log, opts.logicalDecoding ?? false),
        async (cluster) => {
          await cluster.init();
          await cluster.start();
          await cluster.createDatabase();
        },
      ),
    log,
  );
}

class Cluster extends ThrowawayInstance implements LocalPostgres {
  readonly url: string;
  readonly dataDir: string;
  pgStatStatements = false;
  private readonly socketDir: string;
  private readonly logFile: string;
  private postmasterPid: number | undefined;

  constructor(
    private readonly bins: PgBinaries,
    private readonly runAs: RunAs | undefined,
    readonly version: string,
    readonly port: number,
    dir: string,
    log: (line: string) => void,
    private readonly logicalDecoding: boolean,
  ) {
    super(dir, log, 'postgres');
    this.url = `postgres://postgres@127.0.0.1:${port}/${LOCAL_PG_DATABASE}`;
    this.dataDir = path.join(dir, 'data');
    this.socketDir = path.join(dir, 'sock');
    this.logFile = path.join(dir, 'postgres.log');
  }

  pid(): number | undefined {
    return this.postmasterPid;
  }

  async init(): Promise<void> {
    await fs.promises.mkdir(this.socketDir);
    await chownTree(this.dir, this.runAs);
    const who = this.runAs ? `, as user ${this.runAs.name}` : '';
    this.log(`postgres: initdb ${this.dataDir} (${this.version}${who})`);
    await run(
      this.bins.initdb,
      ['-D', this.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'],
      this.runOpts(),
    );
    this.pgStatStatements = await pgStatStatementsInstalled(this.bins, this.runAs);
    // Settings go into postgresql.conf rather than pg_ctl -o: restarts reuse them and no
    // shell quoting of the socket path is needed.
    const settings: Record<string, string | number> = {
      port: this.port,
      listen_addresses: '127.0.0.1',
      unix_socket_directories: this.socketDir,
      max_connections: 200,
      // Durability is irrelevant for a scratch cluster; without these the benchmark would
      // measure the disk.
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      ...(this.pgStatStatements ? { shared_preload_libraries: 'pg_stat_statements' } : {}),
      ...(this.logicalDecoding ? { wal_level: 'logical', max_replication_slots: 4 } : {}),
    };
    const lines = Object.entries(settings).map(([key, value]) => `${key} = ${confValue(value)}`);
    await fs.promises.appendFile(
      path.join(this.dataDir, 'postgresql.conf'),
      `\n# authbench throwaway cluster\n${lines.join('\n')}\n`,
    );
  }

  start(): Promise<void> {
    return this.serial(async () => {
      if (this.destroyed) throw new Error(`local postgres in ${this.dir} was destroyed; start a new one`);
      if (this.postmasterPid !== undefined) return;
      try {
        await run(
          this.bins.pgCtl,
          ['start', '-w', '-t', '60', '-D', this.dataDir, '-l', this.logFile],
          this.runOpts(90_000),
        );
      } catch (err) {
        throw new Error(
          `could not start postgres on 127.0.0.1:${this.port}: ${(err as Error).message}\n` +
            `--- ${this.logFile} ---\n${tailOfFile(this.logFile)}`,
        );
      }
      this.postmasterPid = this.readPidFile();
      this.log(`postgres: started on 127.0.0.1:${this.port} (pid ${this.postmasterPid ?? '?'})`);
    });
  }

  async createDatabase(): Promise<void> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: this.port,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: 10_000,
    });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${LOCAL_PG_DATABASE}`);
    } finally {
      await client.end();
    }
  }

  protected async stopNow(): Promise<void> {
    const pid = this.postmasterPid ?? this.readPidFile();
    if (pid === undefined) return;
    try {
      await run(
        this.bins.pgCtl,
        ['stop', '-D', this.dataDir, '-m', 'fast', '-w', '-t', '30'],
        this.runOpts(40_000),
      );
    } catch (err) {
      this.log(`postgres: pg_ctl stop failed, sending SIGQUIT: ${(err as Error).message}`);
      signalIfRunning(pid, 'SIGQUIT'); // immediate shutdown; the postmaster stops its children
    }
    // pg_ctl returns once postmaster.pid is gone, which is a moment before the process is.
    if (!(await waitUntilGone(pid, 5_000))) {
      signalIfRunning(pid, 'SIGKILL');
      await waitUntilGone(pid, 5_000);
    }
    this.postmasterPid = undefined;
    this.log(`postgres: stopped (pid ${pid})`);
  }

  protected destroySync(): void {
    const pid = this.readPidFile() ?? this.postmasterPid;
    if (pid !== undefined && isRunning(pid)) {
      signalIfRunning(pid, 'SIGQUIT');
      if (!waitUntilGoneSync(pid, 3_000)) signalIfRunning(pid, 'SIGKILL');
    }
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }

  private readPidFile(): number | undefined {
    try {
      const first = fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
      const pid = Number(first);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private runOpts(timeoutMs = 60_000) {
    return { runAs: this.runAs, cwd: this.dir, timeoutMs };
  }
}

async function postgresVersion(bins: PgBinaries, runAs: RunAs | undefined): Promise<string> {
  const { stdout } = await run(bins.postgres, ['--version'], { runAs, cwd: '/', timeoutMs: 10_000 });
  const match = /\(PostgreSQL\)\s+(\S+)/.exec(stdout);
  return match ? `PostgreSQL ${match[1]}` : stdout.trim();
}

/**
 * Whether the pg_stat_statements library is installed for these binaries. Preloading a missing
 * library would keep the server from starting, so the setting is only used when it is there.
 */
async function pgStatStatementsInstalled(bins: PgBinaries, runAs: RunAs | undefined): Promise<boolean> {
  const libDirs = [path.join(bins.binDir, '..', 'lib'), path.join(bins.binDir, '..', 'lib', 'postgresql')];
  if (bins.pgConfig) {
    try {
      const { stdout } = await run(bins.pgConfig, ['--pkglibdir'], { runAs, cwd: '/', timeoutMs: 10_000 });
      libDirs.unshift(stdout.trim());
    } catch {
      // Fall back to the directories next to the binaries.
    }
  }
  return libDirs.some((dir) =>
    ['.so', '.dylib'].some((ext) => fs.existsSync(path.join(dir, `pg_stat_statements${ext}`))),
  );
}

function confValue(value: string | number): string {
  return typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`;
}
