/**
 * Process-wide registry of teardown work for the throwaway services this process started.
 *
 * A benchmark stopped with Ctrl-C, killed by CI with SIGTERM, or dying on an uncaught error
 * must not leave Postgres clusters and redis servers running, nor their temp dirs in /tmp.
 * Each started instance registers an async cleanup (the graceful way) and a synchronous
 * fallback (the only thing that can still run inside process.on('exit')). Code that uses the
 * services (an HTTP server, a load run) can add a shutdown hook, which runs before them.
 */

interface Entry {
  cleanup: () => Promise<void>;
  syncFallback: () => void;
}

/** Conventional shell exit codes: 128 + signal number. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type HandledSignal = keyof typeof SIGNAL_EXIT_CODES;
const HANDLED_SIGNALS = Object.keys(SIGNAL_EXIT_CODES) as HandledSignal[];

/**
 * A hung pg_ctl or server close must not keep an interrupted run alive forever; the sync
 * fallbacks finish the job.
 */
const ASYNC_CLEANUP_CAP_MS = 10_000;

const entries = new Set<Entry>();
const shutdownHooks = new Set<() => Promise<void> | void>();
let signalHandlersInstalled = false;
let exitHandlerInstalled = false;
let shuttingDown = false;
let shutdownExitCode: number | undefined;

/**
 * Registers teardown work for something this process started.
 *
 * On SIGINT/SIGTERM/SIGHUP the {@link onShutdown} hooks run, then every registered `cleanup`
 * (in parallel; hooks and cleanups together capped at 10 s), then the process exits with
 * 130/143/129. On 'exit' (normal end, process.exit, uncaught error) every
 * still-registered `syncFallback` runs. A second signal during cleanup exits at once, which
 * runs the sync fallbacks.
 *
 * @returns a function that unregisters the entry; call it once the instance is torn down.
 */
export function registerCleanup(cleanup: () => Promise<void>, syncFallback: () => void): () => void {
  const entry: Entry = { cleanup, syncFallback };
  entries.add(entry);
  installHandlers();
  return () => {
    entries.delete(entry);
    uninstallIfIdle();
  };
}

/**
 * Runs `hook` on SIGINT/SIGTERM/SIGHUP before the registered cleanups, so that whatever uses
 * the services (e.g. an HTTP server) stops before they go away; the process then exits with
 * 130/143/129 once the cleanups are done, or with `opts.exitCode` where a signal is the
 * expected way to stop (a server: a requested shutdown is a success).
 *
 * @returns a function that removes the hook.
 */
export function onShutdown(hook: () => Promise<void> | void, opts: { exitCode?: number } = {}): () => void {
  shutdownHooks.add(hook);
  if (opts.exitCode !== undefined) shutdownExitCode = opts.exitCode;
  installHandlers();
  return () => {
    shutdownHooks.delete(hook);
    if (shutdownHooks.size === 0) shutdownExitCode = undefined;
    uninstallIfIdle();
  };
}

/**
 * With nothing left to protect, give signals their default meaning back, so a process that
 * stopped its infra (or has its own handlers) is not kept from dying by ours.
 */
function uninstallIfIdle(): void {
  if (entries.size === 0 && shutdownHooks.size === 0 && !shuttingDown) uninstallSignalHandlers();
}

/** How many cleanups are registered; for diagnostics and tests. */
export function registeredCleanupCount(): number {
  return entries.size;
}

function installHandlers(): void {
  if (!exitHandlerInstalled) {
    process.on('exit', runSyncFallbacks);
    exitHandlerInstalled = true;
  }
  if (!signalHandlersInstalled) {
    for (const signal of HANDLED_SIGNALS) process.on(signal, onSignal);
    signalHandlersInstalled = true;
  }
}

function uninstallSignalHandlers(): void {
  if (!signalHandlersInstalled) return;
  for (const signal of HANDLED_SIGNALS) process.off(signal, onSignal);
  signalHandlersInstalled = false;
}

function onSignal(signal: NodeJS.Signals): void {
  const code = shutdownExitCode ?? SIGNAL_EXIT_CODES[signal as HandledSignal] ?? 1;
  if (shuttingDown) {
    // Second signal: the user does not want to wait; 'exit' runs the fast sync fallbacks.
    process.exit(code);
  }
  shuttingDown = true;
  void runAsyncCleanups().finally(() => process.exit(code));
}

async function runAsyncCleanups(): Promise<void> {
  const running = (async () => {
    await Promise.all([...shutdownHooks].map((hook) => settle(hook, 'shutdown hook')));
    await Promise.all([...entries].map((entry) => settle(entry.cleanup, 'cleanup')));
  })();
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stderr.write(`authbench: cleanup still running after ${ASYNC_CLEANUP_CAP_MS} ms; forcing it\n`);
      resolve();
    }, ASYNC_CLEANUP_CAP_MS);
  });
  await Promise.race([running, cap]);
  clearTimeout(timer);
}

async function settle(fn: () => Promise<void> | void, what: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    process.stderr.write(`authbench: ${what} failed: ${(err as Error).message}\n`);
  }
}

function runSyncFallbacks(): void {
  for (const entry of [...entries]) {
    try {
      entry.syncFallback();
    } catch {
      // Best effort: one failing fallback must not stop the others.
    }
  }
  entries.clear();
}
