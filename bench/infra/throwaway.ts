import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerCleanup } from './cleanup.js';

/**
 * What every throwaway instance (a Postgres cluster, a redis-server) shares: a temp dir it owns,
 * registration with the cleanup registry from birth, serialised start/stop/destroy, and an
 * idempotent destroy that a failure lets be retried.
 */
export abstract class ThrowawayInstance {
  protected destroyed = false;
  private destroying: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly unregister: () => void;

  constructor(
    /** The temp dir this instance owns and removes. */
    readonly dir: string,
    protected readonly log: (line: string) => void,
    private readonly label: string,
  ) {
    // Registered before anything starts, so even a half-built instance is cleaned up.
    this.unregister = registerCleanup(
      () => this.destroy(),
      () => this.destroySync(),
    );
  }

  /** Stops the server process, keeping the temp dir. Runs inside serial(). */
  protected abstract stopNow(): Promise<void>;

  /** The 'exit'-time teardown: nothing async can run there. */
  protected abstract destroySync(): void;

  stop(): Promise<void> {
    return this.serial(() => this.stopNow());
  }

  destroy(): Promise<void> {
    this.destroying ??= this.serial(async () => {
      await this.stopNow();
      await fs.promises.rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
      this.destroyed = true;
      this.unregister();
      this.log(`${this.label}: removed ${this.dir}`);
    }).catch((err: unknown) => {
      this.destroying = undefined; // let a later call try again
      throw err;
    });
    return this.destroying;
  }

  /** start/stop/destroy must not interleave: a stop during a start would miss the new process. */
  protected serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn);
    this.queue = result.catch(() => {});
    return result;
  }
}

/**
 * A throwaway instance in a fresh temp dir (`authbench-<name>-…`), started; destroyed again,
 * temp dir and all, when starting fails.
 */
export async function startInTempDir<T extends ThrowawayInstance>(
  name: string,
  create: (dir: string) => T,
  start: (instance: T) => Promise<void>,
): Promise<T> {
  const instance = create(await fs.promises.mkdtemp(path.join(os.tmpdir(), `authbench-${name}-`)));
  try {
    await start(instance);
  } catch (err) {
    await instance.destroy().catch(() => {});
    throw err;
  }
  return instance;
}
