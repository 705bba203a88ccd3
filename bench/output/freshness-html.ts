/**
 * The freshness report: one self-contained HTML page from the freshness record (pure). The
 * section renderer is shared with the run report when a run includes a freshness phase.
 */
import type {
  FaultWindowStats,
  FreshnessRecord,
  FreshnessStrategyResult,
  Percentiles,
} from '../schema/freshness.js';
import { duration, num } from './format.js';
import { cellsRow, esc, thead } from './html-parts.js';

const pct = (p: Percentiles | null): string =>
  p ? `${msText(p.p50)} / ${msText(p.p99)} / ${msText(p.max)} <span class="n">(${p.count})</span>` : '–';
const bound = (x: number | null): string => (x === null ? 'none' : `${x} ms`);
const n = (x: number): string => num(x);
const msText = duration;

function strategyRow(name: string, r: FreshnessStrategyResult): string {
  const v = r.verdict;
  return (
    `<tr class="${r.pass ? 'ok' : 'bad'}"><th scope="row">${esc(name)}</th>` +
    `<td>${bound(r.declared.apiMs)} · ${bound(r.declared.sqlMs)}</td>` +
    `<td class="num">${n(v.staleAccepted)}</td><td>${msText(v.maxStalenessMs)}</td>` +
    `<td>${pct(v.revocationLatencyByVia.api)}</td><td>${pct(v.revocationLatencyByVia.sql)}</td>` +
    `<td class="num">${n(v.neverRevoked)}</td><td class="num">${n(v.wrongRights + v.foreignAccepted)}</td>` +
    `<td class="num">${n(v.lockouts)}</td><td class="num">${n(v.crashes)}</td>` +
    `<td class="num">${n(v.probes.total)}</td>` +
    `<td class="num">${n(v.revocations.total)} ` +
    `<span class="n">(${n(v.revocations.api)} API, ${n(v.revocations.sql)} SQL)</span></td>` +
    `<td>${pct(v.unavailableLatencyMs)}</td></tr>`
  );
}

function faultRows(faults: FaultWindowStats[]): string {
  return faults
    .map((f) => {
      const unavailable = f.unavailableLatencyMs;
      return cellsRow([
        esc(f.kind),
        `${msText(f.startMs)} – ${msText(f.endMs)}`,
        [n(f.probes), 'num'],
        [n(f.ok), 'num'],
        [n(f.status503), 'num'],
        [n(f.otherRejections), 'num'],
        [n(f.errors), 'num'],
        unavailable ? `${msText(unavailable.p50)} / ${msText(unavailable.p99)}` : '–',
      ]);
    })
    .join('\n');
}

function details(name: string, r: FreshnessStrategyResult): string {
  const v = r.verdict;
  const staleRows = v.staleAcceptances.map((s) =>
    cellsRow([
      esc(s.server),
      String(s.user),
      msText(s.startMs),
      `${s.revocationXid} (${s.via})`,
      msText(s.sinceCommitMs),
      msText(s.lateMs),
    ]),
  );
  const more =
    v.staleAccepted > v.staleAcceptances.length
      ? `<p class="sub">The first ${v.staleAcceptances.length} of ${n(v.staleAccepted)}.</p>`
      : '';
  const staleHead = thead([
    'server',
    'user',
    'request start',
    'revocation (xid, via)',
    'after commit',
    'past commit + δ',
  ]);
  const stale =
    v.staleAcceptances.length === 0
      ? '<p>None.</p>'
      : `<table>${staleHead}<tbody>\n${staleRows.join('\n')}\n</tbody></table>${more}`;
  const episodes = v.rejectionEpisodes ?? v.lockoutEpisodes;
  const episodeRows = episodes.map((e) =>
    cellsRow([
      esc(e.server),
      String(e.user),
      msText(e.fromMs),
      msText(e.durationMs),
      String(e.rejections),
      esc(e.statuses.join(', ')),
      e.durationMs > r.bounds.recoveryMs ? 'yes' : 'no',
    ]),
  );
  const episodeHead = thead(['server', 'user', 'from', 'for', 'rejections', 'statuses', 'lock-out']);
  const lockouts =
    episodes.length === 0
      ? '<p>None.</p>'
      : `<table>${episodeHead}<tbody>\n${episodeRows.join('\n')}\n</tbody></table>`;
  const faultHead = thead([
    'fault',
    'window',
    'probes',
    '2xx',
    '503',
    'other rejections',
    'no answer',
    '503 in p50 / p99',
  ]);
  const servers = r.servers
    .map(
      (s) =>
        `${esc(s.name)} (${esc(s.link)} link${s.linkDelayMs > 0 ? `, +${s.linkDelayMs} ms each way` : ''})`,
    )
    .join(', ');
  const load = r.load
    .map(
      (l) =>
        `${esc(l.server)} ${n(Math.round(l.achievedRps))} req/s (${n(l.non2xx)} non-2xx, ${n(l.errors)} errors)`,
    )
    .join('; ');
  return `<section><h3>${esc(name)}</h3>
<p class="${r.pass ? 'verdict ok' : 'verdict bad'}">${esc(r.summary)}</p>
<p class="sub">Servers: ${servers}. Background load: ${load}. History: <code>${esc(r.history)}</code>.
Checked against δ ${r.bounds.apiMs} ms (API), ${r.bounds.sqlMs} ms (SQL);
fresh tokens must work ${msText(r.bounds.recoveryMs)} after a fault ends.</p>
<h4>Stale acceptances</h4>${stale}
<h4>Fresh tokens rejected outside faults and in-flight revocations
(a lock-out lasts longer than ${msText(r.bounds.recoveryMs)})</h4>${lockouts}
<h4>Fault windows (each extended by the recovery bound)</h4>
<table>${faultHead}
<tbody>${faultRows(v.faults)}</tbody></table></section>`;
}

/** The freshness section: the matrix of strategies, then each strategy's details. */
export function renderFreshnessSection(record: FreshnessRecord): string {
  const rows = Object.entries(record.strategies)
    .map(([name, r]) => strategyRow(name, r))
    .join('\n');
  const kinds = new Map<string, number>();
  for (const r of record.schedule.revocations) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
  const faultKinds = new Map<string, number>();
  for (const f of record.schedule.faults) faultKinds.set(f.kind, (faultKinds.get(f.kind) ?? 0) + 1);
  const list = (m: Map<string, number>): string =>
    [...m].map(([k, c]) => `${esc(k)} ×${c}`).join(', ') || 'none';
  const head = thead([
    'strategy',
    'declared δ (API · SQL)',
    'stale accepted',
    'max staleness',
    'revocation latency API p50 / p99 / max',
    '… SQL',
    'never revoked',
    'wrong or foreign identity',
    'lock-outs',
    'crashes',
    'probes',
    'revocations',
    '503 response time p50 / p99 / max',
  ]);
  return `<h2>Freshness: is it safe?</h2>
<p class="sub">Seed ${record.seed} (replay with <code>--seed ${record.seed}</code>), ${record.config.seconds} s per
strategy, ${record.config.probedUsers} probed users of ${n(record.config.users)}.
Planned revocations: ${list(kinds)}. Planned faults: ${list(faultKinds)}.</p>
<table>${head}
<tbody>
${rows}
</tbody></table>
${Object.entries(record.strategies)
  .map(([name, r]) => details(name, r))
  .join('\n')}`;
}

const METHOD = `<h2>Method</h2>
<p>A <em>revocation</em> of user U is a committed change that alters U's effective rights or deletes U, through
the API or in plain SQL on the five RBAC tables. A token minted before it committed is <em>stale</em>; a 2xx
answer that honours stale rights to a request starting later than commit + δ is a <em>stale acceptance</em>.
Ground truth comes from Postgres itself: every committed change to the RBAC tables is read back through logical
decoding (test_decoding), with its commit timestamp, and replayed; each token records the snapshot it was minted
in, so which revocations it had seen is exact. The nemesis runs a seeded schedule of revocations (some held open
in their transactions while others commit) and faults; probers send tokens minted before each revocation, fresh
ones, and tokens of another dataset to both servers continuously; a pure checker judges the recorded history
(docs/freshness.md).</p>`;

export function renderFreshnessHtml(record: FreshnessRecord): string {
  const env = record.environment;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>authbench freshness — ${esc(record.createdAt)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:13px}
th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top}
td.num{text-align:right}tr.ok th{border-left:6px solid #009E73}tr.bad th{border-left:6px solid #D55E00}
.verdict{padding:.5rem .75rem;border-radius:4px}.verdict.ok{background:#e6f5ef}.verdict.bad{background:#fbe9df}
.sub,.n{color:#555;font-size:13px}code{font-size:12px}
@media print{body{margin:0;max-width:none}}
</style></head><body>
<h1>authbench freshness</h1>
<p class="sub">${esc(record.createdAt)} · ${esc(record.command)} · ${record.wallSeconds} s ·
${esc(env.cpuModel)}, ${env.cores} cores, Node ${esc(env.node)}, ${esc(env.postgres)}, ${esc(env.redis)},
commit ${esc(env.gitCommit ?? 'unknown')}</p>
${renderFreshnessSection(record)}
${METHOD}
</body></html>
`;
}
