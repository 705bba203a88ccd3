/**
 * Progress on stderr: a bar that redraws in place on a terminal, one line per step elsewhere
 * (CI logs). Phases: infrastructure, seeding, verification, each round.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private readonly tty = process.stderr.isTTY === true;

  phase(label: string): void {
    this.stopBar();
    process.stderr.write(`▸ ${label}\n`);
  }

  info(line: string): void {
    this.stopBar();
    process.stderr.write(`  ${line}\n`);
  }

  /** A bar for one timed step of `seconds`, with its position `step`/`steps` in the run. */
  timed(label: string, seconds: number, step: number, steps: number): void {
    this.stopBar();
    const started = Date.now();
    const width = 24;
    const draw = (): void => {
      const done = Math.min(1, (Date.now() - started) / (seconds * 1000));
      const bar = '█'.repeat(Math.round(done * width)).padEnd(width, '░');
      process.stderr.write(`\r  [${bar}] ${String(step).padStart(String(steps).length)}/${steps} ${label} `);
    };
    if (this.tty) {
      draw();
      this.timer = setInterval(draw, 250);
    } else {
      process.stderr.write(`  ${step}/${steps} ${label} (${seconds} s)\n`);
    }
  }

  /** Ends a timed step with its outcome. */
  done(outcome: string): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      process.stderr.write(`${outcome}\n`);
    } else {
      process.stderr.write(`    ${outcome}\n`);
    }
  }

  private stopBar(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      process.stderr.write('\n');
    }
  }
}
