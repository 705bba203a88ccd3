/**
 * The follower's heartbeat, shared by jwt-redis's applier and jwt-local's map: run one step at
 * once when poked (a notification, a reconnect, a request that found the source behind), else
 * every `intervalMs`. A failed step is counted and the next one comes as usual.
 */
export class PollLoop {
  private stopped = false;
  private wake: (() => void) | undefined;
  private pokeRequested = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly step: () => Promise<void>,
    private readonly onError: () => void,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  poke(): void {
    this.pokeRequested = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.pokeRequested = false;
      try {
        await this.step();
      } catch {
        this.onError();
      }
      if (this.stopped) break;
      if (this.pokeRequested) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = undefined;
          resolve();
        }, this.intervalMs);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }
}

/** Resolves once `ready()` holds, polling every 20 ms; throws `message` after `timeoutMs`. */
export async function waitUntil(ready: () => boolean, timeoutMs: number, message: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 20));
  }
}
