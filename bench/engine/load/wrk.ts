/**
 * A second, independent closed-loop generator for cross-checking autocannon: wrk (C, its own
 * HTTP parser and event loop; Debian's package), driven with the same job — connections,
 * seconds, the same tokens in the same rotation — and reported in the same shape, so a round
 * is measured and judged the same whichever engine sent it. One wrk thread, as autocannon has
 * one event loop. Only closed-model rounds: the open model has its own generator either way.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerCleanup } from '../../infra/cleanup.js';
import type { LoadJob } from './closed-loop.js';
import type { GeneratorReport } from './round-record.js';

/**
 * The script: tokens from a file, one per request in rotation; no response() hook (it would
 * make wrk hand every body to Lua). done() prints one JSON line: wrk's counts, its latency
 * percentiles (µs, every response) and its own CPU seconds (os.clock(): the whole process).
 */
const SCRIPT = `
local tokens = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
end
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. tokens[i] })
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'AUTHBENCH {"durationUs":%d,"requests":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"cpuSeconds":%.6f}\\n',
    summary.duration, summary.requests, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, os.clock()))
end
`;

interface WrkSummary {
  durationUs: number;
  requests: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  cpuSeconds: number;
}

/** wrk's summary line as a generator report (pure): what autocannon's would say for the same round. */
export function wrkReport(s: WrkSummary): GeneratorReport {
  const duration = s.durationUs / 1e6;
  // wrk counts a non-2xx/3xx response in errors.status and in requests; this API never redirects.
  const ok = Math.max(0, s.requests - s.status);
  const socket = s.connect + s.read + s.write;
  return {
    result: {
      duration,
      // As autocannon counts them: a timeout is an error too (round-record.ts separates them).
      errors: socket + s.timeout,
      timeouts: s.timeout,
      non2xx: s.status,
      '2xx': ok,
      statusCodeStats:
        s.status > 0 ? { '2xx': { count: ok }, 'non-2xx': { count: s.status } } : { '200': { count: ok } },
    },
    latencyUs: { p50: s.p50, p90: s.p90, p99: s.p99, p999: s.p999, max: s.max, count: s.requests },
    cpuPercent: duration > 0 ? (100 * s.cpuSeconds) / duration : 0,
  };
}

/** Reads the summary line out of wrk's output; throws naming what is missing. */
export function parseWrkOutput(stdout: string): WrkSummary {
  const line = stdout.split('\n').find((l) => l.startsWith('AUTHBENCH '));
  if (!line)
    throw new Error(`wrk printed no summary line: ${stdout.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(line.slice('AUTHBENCH '.length)) as WrkSummary;
}

/**
 * Runs one closed-model round with wrk. `prefix` runs it under another command (taskset, to
 * keep it off the server's CPU).
 */
export async function runWrk(wrk: string, job: LoadJob, prefix: string[] = []): Promise<GeneratorReport> {
  const dir = mkdtempSync(join(tmpdir(), 'authbench-wrk-'));
  try {
    writeFileSync(join(dir, 'tokens'), `${job.tokens.join('\n')}\n`);
    writeFileSync(join(dir, 'script.lua'), SCRIPT);
    const [only, ...more] = [job.url].flat();
    if (only === undefined || more.length > 0) throw new Error('wrk takes one URL per strategy');
    const url = new URL(job.path, only).toString();
    const args = [
      '-t1',
      `-c${job.connections}`,
      `-d${job.durationSeconds}s`,
      `--timeout`,
      `${job.timeoutSeconds}s`,
      '-s',
      join(dir, 'script.lua'),
      url,
      '--',
      join(dir, 'tokens'),
    ];
    const [cmd, ...rest] = [...prefix, wrk, ...args];
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
      // Ctrl-C mid-round: wrk goes with the run, as every other child does.
      const unregister = registerCleanup(
        async () => {
          child.kill('SIGKILL');
        },
        () => child.kill('SIGKILL'),
      );
      child.once('exit', unregister);
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      // wrk stops itself after -d; this only guards against a hung one.
      const timer = setTimeout(
        () => child.kill('SIGKILL'),
        (job.durationSeconds + job.timeoutSeconds + 30) * 1000,
      );
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else reject(new Error(`wrk exited with ${code ?? signal}: ${err.trim() || out.trim()}`));
      });
    });
    return wrkReport(parseWrkOutput(stdout));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
