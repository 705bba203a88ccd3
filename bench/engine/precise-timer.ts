/**
 * Timers with sub-millisecond deadlines, for the delay proxy. Node's setTimeout truncates its
 * delay to whole milliseconds and fires on the event loop's millisecond clock, so a "0.5 ms
 * each way" link cannot be built from it (it becomes 1 ms, often more). Here one worker thread
 * sleeps in Atomics.wait, whose timeout is a fraction of a millisecond, until the earliest
 * deadline, then posts one message; the main thread runs everything that is due. Nothing
 * spins: between deadlines both threads sleep.
 */
import { Worker } from 'node:worker_threads';

/** No deadline armed. */
const NONE = 0x7fffffffffffffffn;
/** The worker's signal to exit. */
const STOP = -1n;

// The worker, as source: it only ever reads the deadline, and clears one it fired with a
// compare-and-swap, so a deadline the main thread set meanwhile is never lost.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const due = new BigInt64Array(workerData.due);
const gen = new Int32Array(workerData.gen);
const NONE = ${NONE}n, STOP = ${STOP}n;
for (;;) {
  const g = Atomics.load(gen, 0);
  const d = Atomics.load(due, 0);
  if (d === STOP) break;
  if (d === NONE) { Atomics.wait(gen, 0, g); continue; }
  const now = process.hrtime.bigint();
  if (d <= now) {
    if (Atomics.compareExchange(due, 0, d, NONE) === d) parentPort.postMessage(0);
    continue;
  }
  Atomics.wait(gen, 0, g, Number(d - now) / 1e6);
}
`;

interface Entry {
  due: bigint;
  seq: number;
  fn: () => void;
}

export class PreciseTimers {
  private readonly due = new BigInt64Array(new SharedArrayBuffer(8));
  private readonly gen = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  /** A binary min-heap on (due, seq): equal deadlines run in the order they were set. */
  private readonly heap: Entry[] = [];
  private seq = 0;
  private armed = NONE;

  constructor() {
    this.due[0] = NONE;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { due: this.due.buffer, gen: this.gen.buffer },
    });
    this.worker.unref();
    this.worker.on('message', () => this.fire());
  }

  /** Runs `fn` once `ms` (fractions allowed) have passed; never earlier. */
  schedule(ms: number, fn: () => void): void {
    const due = process.hrtime.bigint() + BigInt(Math.max(0, Math.round(ms * 1e6)));
    this.push({ due, seq: this.seq++, fn });
    if (due < this.armed) this.arm(due);
  }

  /** Stops the worker; pending callbacks never run. */
  close(): void {
    this.heap.length = 0;
    this.arm(STOP);
    void this.worker.terminate();
  }

  private fire(): void {
    this.armed = NONE;
    const now = process.hrtime.bigint();
    while (this.heap.length > 0 && this.heap[0]!.due <= now) this.pop().fn();
    const next = this.heap[0];
    if (next) this.arm(next.due);
  }

  private arm(due: bigint): void {
    this.armed = due;
    Atomics.store(this.due, 0, due);
    Atomics.add(this.gen, 0, 1);
    Atomics.notify(this.gen, 0);
  }

  private less(a: Entry, b: Entry): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
