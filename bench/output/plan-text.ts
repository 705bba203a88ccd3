/** `authbench run --dry-run`: the plan, phase by phase, with the estimated duration (pure). */
import { isTimed, phaseSeconds } from '../plan/plan.js';
import type { Phase, RunPlan } from '../schema/plan.js';
import { redactUrl } from '../../servers/urls.js';
import { fixed } from './format.js';

const TOKEN_SOURCES = {
  file: 'from --tokens-file',
  mint: "minted from the database's current claims with the servers' secret",
  server: "from the servers' POST /auth/token",
} as const;

function describe(p: Phase): string {
  switch (p.kind) {
    case 'seed':
      return `seed ${p.users} users (generator seed ${p.seed}; skipped when already in place)`;
    case 'mint':
      return `mint tokens for ${p.tokenUsers} users from the database's claims (valid ${p.ttlSeconds} s)`;
    case 'link':
      return p.dbDelayMs > 0
        ? `database link through a TCP proxy adding ${p.dbDelayMs} ms each way; measure its idle round trip`
        : 'database link direct; measure its idle round trip';
    case 'start-servers': {
      const cpu =
        p.serverCpu === 'auto'
          ? 'pinned to the last CPU where taskset exists'
          : p.serverCpu === 'none'
            ? 'not pinned'
            : `pinned to CPU ${p.serverCpu}`;
      return `start ${p.strategies.join(', ')} (pool ${p.poolSize}, jwt-verify ${p.jwtVerify}, ${cpu})`;
    }
    case 'targets':
      return (
        `target mode: ${p.targets.map((t) => `${t.strategy} at ${t.urls.map(redactUrl).join(', ')}`).join('; ')} ` +
        `(already running: nothing started or seeded); tokens ${TOKEN_SOURCES[p.tokens]}`
      );
    case 'verify':
      return (
        `verify ${p.users} users × ${p.routes.join(', ')}: 2xx and identical bodies across ${p.strategies.join(', ')}; ` +
        `count queries and Redis commands per request on ${p.measuredRoute}`
      );
    case 'warmup':
      return `warm-up ${p.strategy}: ${p.seconds} s, ${p.connections} connections`;
    case 'calibrate':
      return `calibrate ${p.strategy}: ${p.seconds} s at ${p.connections} connection${p.connections === 1 ? '' : 's'} (the model's demands, where nothing queues)`;
    case 'round':
      return `round ${p.round} ${p.strategy}: ${p.seconds} s, ${p.connections} connections`;
    case 'open':
      return (
        `open model ${p.strategy}, repetition ${p.repetition}: ${fixed(p.fraction * 100)}% of the baseline's median ` +
        `req/s for ${p.seconds} s after ${p.warmupSeconds} s of warm-up`
      );
    case 'freshness':
      return (
        `freshness: ${p.config.strategies.join(', ')}, ${p.config.seconds} s each, faults ${p.config.faults.join(', ') || 'none'}, ` +
        `${p.config.revocationsPerSecond} revocations/s (own throwaway Postgres and Redis)`
      );
  }
}

/**
 * Consecutive rounds with the same number are one line: "round 3: jwt-redis → db-lookup, 3 s each";
 * so are the strategies of one open-model repetition at one rate.
 */
function lines(phases: readonly Phase[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < phases.length; i++) {
    const p = phases[i]!;
    if (p.kind === 'round') {
      const same: string[] = [];
      let j = i;
      for (; j < phases.length; j++) {
        const q = phases[j]!;
        if (q.kind !== 'round' || q.round !== p.round) break;
        same.push(q.strategy);
      }
      out.push(`round ${p.round}: ${same.join(' → ')}, ${p.seconds} s each, ${p.connections} connections`);
      i = j - 1;
    } else if (p.kind === 'open') {
      const same: string[] = [];
      let j = i;
      for (; j < phases.length; j++) {
        const q = phases[j]!;
        if (q.kind !== 'open' || q.run !== p.run || q.repetition !== p.repetition) break;
        same.push(q.strategy);
      }
      out.push(
        `open model, repetition ${p.repetition}, ${fixed(p.fraction * 100)}% of the baseline's median req/s: ` +
          `${same.join(' → ')}, ${p.warmupSeconds} s warm-up + ${p.seconds} s each`,
      );
      i = j - 1;
    } else {
      out.push(describe(p));
    }
  }
  return out;
}

const minutes = (s: number): string => (s < 90 ? `${fixed(s)} s` : `${fixed(s / 60, 1)} min`);

export function renderPlan(plan: RunPlan): string {
  const out: string[] = [];
  // The freshness phase runs first, so each scenario's record carries the strategies' staleness.
  if (plan.freshness)
    out.push(
      `first, ${describe(plan.freshness.phase)}: about ${minutes(phaseSeconds(plan.freshness.phase))}`,
    );
  for (const s of plan.scenarios) {
    const timed = s.phases.filter(isTimed);
    const load = timed.reduce((a, p) => a + p.seconds + (p.kind === 'open' ? p.warmupSeconds : 0), 0);
    out.push(
      `scenario ${s.scenario}: ${timed.length} timed steps, ${load} s of load, about ${minutes(s.estimatedSeconds)} in all`,
    );
    if (s.stopRule) {
      const r = s.stopRule;
      out.push(
        `  adaptive rounds: at least ${r.minRounds}, at most ${r.maxRounds}; they stop once every gain's 95% CI ` +
          `half-width is within ±${fixed(100 * r.targetPrecision, 1)}% after two rounds in a row, the second an even one (the time below is the most)`,
      );
    }
    for (const [i, line] of lines(s.phases).entries()) out.push(`  ${String(i + 1).padStart(2)}. ${line}`);
  }
  out.push(
    `estimated duration: about ${minutes(plan.estimatedSeconds)} (infrastructure, seeding and fixed costs estimated; the load is exact)`,
  );
  return `${out.join('\n')}\n`;
}
