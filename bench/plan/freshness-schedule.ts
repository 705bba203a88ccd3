/**
 * The nemesis's plan, a pure function of the seed and the configuration: when each revocation
 * happens, to whom, how, and held open for how long; when each fault starts and how long it
 * lasts. The same seed replays the same schedule (what the servers then do is timing-dependent,
 * as in any Jepsen test, but a failure found with a seed is found again with it).
 */
import { seededRandom } from '../analysis/stats.js';
import type {
  FaultKind,
  PlannedFault,
  PlannedKind,
  PlannedRevocation,
  Schedule,
} from '../schema/freshness.js';

export const FAULT_KINDS: readonly FaultKind[] = [
  'redis-pause',
  'redis-stall',
  'redis-restart-empty',
  'redis-restore-snapshot',
  'redis-evict-records',
  'pg-terminate-backends',
  'db-link-slow',
];

export interface ScheduleConfig {
  seed: number;
  seconds: number;
  revocationsPerSecond: number;
  faults: readonly FaultKind[];
  probedUsers: readonly number[];
  servers: number;
  /** Gap left after each fault before the next one starts (≥ the recovery bound). */
  quietMs: number;
}

const KIND_WEIGHTS: Array<[PlannedKind, number]> = [
  ['api-role-change', 35],
  ['api-delete', 8],
  ['sql-role-change', 22],
  ['sql-permission-toggle', 12],
  ['sql-permission-rename', 6],
  ['sql-role-rename', 6],
  ['sql-truncate-user-roles', 2],
  ['sql-truncate-role-permissions', 2],
];
const ROLE_SETS = [['viewer'], ['editor'], ['admin'], ['editor', 'viewer'], ['admin', 'viewer']];
// Never manage_users: the nemesis itself needs it for API changes.
const TOGGLED_PERMISSIONS = [
  'view_dashboard',
  'view_articles',
  'view_comments',
  'edit_articles',
  'publish_articles',
  'moderate_comments',
  'view_audit_log',
];
const RENAMED_PERMISSIONS = ['view_dashboard', 'view_comments', 'publish_articles', 'moderate_comments'];

export function buildSchedule(cfg: ScheduleConfig): Schedule {
  const rnd = seededRandom(cfg.seed);
  const uniform = (lo: number, hi: number): number => lo + (hi - lo) * rnd();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const weighted = (): PlannedKind => {
    const total = KIND_WEIGHTS.reduce((s, [, w]) => s + w, 0);
    let x = rnd() * total;
    for (const [kind, w] of KIND_WEIGHTS) if ((x -= w) < 0) return kind;
    return KIND_WEIGHTS[0]![0];
  };
  const endMs = cfg.seconds * 1000;
  // The last second is left for the probes to see the last revocations take effect.
  const lastMs = Math.max(0, endMs - 1500);

  const revocations: PlannedRevocation[] = [];
  if (cfg.revocationsPerSecond > 0 && cfg.probedUsers.length > 0) {
    for (
      let t = 500 - Math.log(1 - rnd()) * (1000 / cfg.revocationsPerSecond);
      t < lastMs;
      t += -Math.log(1 - rnd()) * (1000 / cfg.revocationsPerSecond)
    ) {
      const kind = weighted();
      revocations.push({
        atMs: Math.round(t),
        kind,
        user: pick(cfg.probedUsers),
        roles: pick(ROLE_SETS),
        role: rnd() < 0.5 ? 'editor' : 'viewer',
        permission: pick(kind === 'sql-permission-rename' ? RENAMED_PERMISSIONS : TOGGLED_PERMISSIONS),
        holdMs: kind.startsWith('sql') && rnd() < 0.4 ? Math.round(uniform(50, 900)) : 0,
        server: Math.floor(rnd() * cfg.servers),
      });
    }
  }

  const faults: PlannedFault[] = [];
  const snapshotsAtMs: number[] = [];
  if (cfg.faults.length > 0) {
    let t = uniform(1000, 2500);
    while (t < lastMs - 500) {
      const kind = pick(cfg.faults);
      const instant =
        kind === 'redis-restart-empty' ||
        kind === 'redis-restore-snapshot' ||
        kind === 'pg-terminate-backends';
      const long = kind === 'db-link-slow' || kind === 'redis-evict-records';
      const durationMs = instant ? 0 : Math.round(long ? uniform(500, 2000) : uniform(300, 1500));
      if (kind === 'redis-restore-snapshot')
        snapshotsAtMs.push(Math.round(Math.max(100, t - uniform(800, 3000))));
      faults.push({
        atMs: Math.round(t),
        kind,
        durationMs,
        delayMs: kind === 'db-link-slow' ? Math.round(uniform(20, 150)) : 0,
      });
      t += durationMs + cfg.quietMs + uniform(500, 2500);
    }
  }
  return { revocations, faults, snapshotsAtMs: snapshotsAtMs.sort((a, b) => a - b) };
}
