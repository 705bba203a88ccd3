/**
 * Artillery as a load engine: the folder `authbench export artillery` writes (script, processor,
 * plan, tokens), and a local `artillery run` of it (what `run --engine artillery` does, and the
 * cross-check a user can run before a distributed one). Artillery itself is not a dependency
 * (≈ 500 MB): found where the user installed it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerCleanup } from '../../infra/cleanup.js';
import { artillerySeconds, artilleryScript } from '../../plan/artillery.js';
import type { ArtilleryPlan } from '../../schema/artillery.js';

/** The installed Artillery's version, from its package.json (the executable is a link into it). */
export function artilleryVersion(bin: string): string | null {
  try {
    const pkg = join(dirname(realpathSync(bin)), '..', 'package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** The compiled processor, shipped as is: CommonJS, Node's own modules only. */
const PROCESSOR = join(dirname(fileURLToPath(import.meta.url)), 'artillery-processor.cjs');

/**
 * Writes the export folder: script.json, processor.cjs, plan.json and tokens.txt (mode 600: the
 * tokens work on the servers until they expire). Never into a folder that holds anything.
 */
export async function writeArtilleryFolder(
  dir: string,
  plan: ArtilleryPlan,
  tokens: readonly string[],
): Promise<void> {
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new Error(`${dir} is not empty: an export never overwrites anything (give a new --out)`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'script.json'), `${JSON.stringify(artilleryScript(plan), null, 2)}\n`);
  await writeFile(join(dir, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
  await writeFile(join(dir, 'tokens.txt'), `${tokens.join('\n')}\n`, { mode: 0o600 });
  await copyFile(PROCESSOR, join(dir, 'processor.cjs'));
}

/** Reads an export folder's plan.json; throws naming the folder when it is not one. */
export async function readArtilleryPlan(dir: string): Promise<ArtilleryPlan> {
  let text: string;
  try {
    text = await readFile(join(dir, 'plan.json'), 'utf8');
  } catch {
    throw new Error(`--plan ${dir}: no plan.json there (authbench export artillery --out writes one)`);
  }
  const plan = JSON.parse(text) as Partial<ArtilleryPlan>;
  if (plan.kind !== 'authbench-artillery-plan' || plan.version !== 1)
    throw new Error(`--plan ${dir}: plan.json is not an authbench Artillery plan (version 1)`);
  return plan as ArtilleryPlan;
}

/**
 * `artillery run --output report.json script.json` in the folder, its output kept in
 * artillery.log; killed (with its workers) if it outlives the plan by a minute, or when the run
 * is interrupted. Returns the parsed report.
 */
export async function runArtillery(
  bin: string,
  dir: string,
  plan: ArtilleryPlan,
  prefix: string[] = [],
): Promise<unknown> {
  const [cmd, ...args] = [...prefix, bin, 'run', '--output', 'report.json', 'script.json'];
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cmd!, args, {
      cwd: dir,
      // Its own process group: the workers go with it.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true', AUTHBENCH_T0_MS: String(plan.t0Ms) },
    });
    const kill = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const unregister = registerCleanup(async () => kill(), kill);
    const keep = (d: Buffer): void => {
      log.push(d.toString());
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const deadline = plan.t0Ms + 1000 * (artillerySeconds(plan) + 60) - Date.now();
    const timer = setTimeout(kill, Math.max(deadline, 60_000));
    child.once('error', (e) => {
      clearTimeout(timer);
      unregister();
      reject(new Error(`artillery could not start (${bin}): ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      unregister();
      if (code === 0) resolve();
      else {
        const tail = log.join('').trim().split('\n').slice(-5).join(' | ');
        reject(new Error(`artillery exited with ${code ?? signal}: ${tail}`));
      }
    });
  }).finally(() => writeFile(join(dir, 'artillery.log'), log.join('')));
  return JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as unknown;
}
