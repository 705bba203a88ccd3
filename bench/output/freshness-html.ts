/**
 * The freshness report: one self-contained HTML page from the freshness record (pure). The
 * section renderer is shared with the run report when a run includes a freshness phase.
 */
import type { FaultWindowStats, FreshnessRecord, FreshnessStrategyResult, Percentiles } from '../schema/freshness.js';
import { esc } from './html.js';

const msText = (x: number | null | undefined): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 2 : 1)} ms`;
};
const pct = (p: Percentiles | null): string => (p ? `${msText(p.p50)} / ${msText(p.p99)} / ${msText(p.max)} <span class="n">(${p.count})</span>` : '–');
const bound = (x: number | null): string => (x === null ? 'none' : `${x} ms`);
const n = (x: number): string => x.toLocaleString('en-US');

function strategyRow(name: string, r: FreshnessStrategyResult): string {
  const v = r.verdict;
  return `<tr class="${r.pass ? 'ok' : 'bad'}"><th scope="row">${esc(name)}</th>`
    + `<td>${bound(r.declared.apiMs)} · ${bound(r.declared.sqlMs)}</td>`
    + `<td class="num">${n(v.staleAccepted)}</td><td>${msText(v.maxStalenessMs)}</td>`
    + `<td>${pct(v.revocationLatencyByVia.api)}</td><td>${pct(v.revocationLatencyByVia.sql)}</td>`
    + `<td class="num">${n(v.neverRevoked)}</td><td class="num">${n(v.wrongRights + v.foreignAccepted)}</td>`
    + `<td class="num">${n(v.lockouts)}</td><td class="num">${n(v.crashes)}</td>`
    + `<td class="num">${n(v.probes.total)}</td><td class="num">${n(v.revocations.total)} <span class="n">(${n(v.revocations.api)} API, ${n(v.revocations.sql)} SQL)</span></td>`
    + `<td>${pct(v.unavailableLatencyMs)}</td></tr>`;
}

function faultRows(faults: FaultWindowStats[]): string {
  return faults.map((f) => `<tr><td>${esc(f.kind)}</td><td>${msText(f.startMs)} – ${msText(f.endMs)}</td><td class="num">${n(f.probes)}</td>`
    + `<td class="num">${n(f.ok)}</td><td class="num">${n(f.status503)}</td><td class="num">${n(f.otherRejections)}</td><td class="num">${n(f.errors)}</td>`
    + `<td>${f.unavailableLatencyMs ? `${msText(f.unavailableLatencyMs.p50)} / ${msText(f.unavailableLatencyMs.p99)}` : '–'}</td></tr>`).join('\n');
}

function details(name: string, r: FreshnessStrategyResult): string {
  const v = r.verdict;
  const stale = v.staleAcceptances.length === 0 ? '<p>None.</p>' : `<table><thead><tr><th scope="col">server</th><th scope="col">user</th>
<th scope="col">request start</th><th scope="col">revocation (xid, via)</th><th scope="col">after commit</th><th scope="col">past commit + δ</th></tr></thead><tbody>
${v.staleAcceptances.map((s) => `<tr><td>${esc(s.server)}</td><td>${s.user}</td><td>${msText(s.startMs)}</td><td>${s.revocationXid} (${s.via})</td><td>${msText(s.sinceCommitMs)}</td><td>${msText(s.lateMs)}</td></tr>`).join('\n')}
</tbody></table>${v.staleAccepted > v.staleAcceptances.length ? `<p class="sub">The first ${v.staleAcceptances.length} of ${n(v.staleAccepted)}.</p>` : ''}`;
  const episodes = v.rejectionEpisodes ?? v.lockoutEpisodes;
  const lockouts = episodes.length === 0 ? '<p>None.</p>' : `<table><thead><tr><th scope="col">server</th><th scope="col">user</th><th scope="col">from</th><th scope="col">for</th><th scope="col">rejections</th><th scope="col">statuses</th><th scope="col">lock-out</th></tr></thead><tbody>
${episodes.map((e) => `<tr><td>${esc(e.server)}</td><td>${e.user}</td><td>${msText(e.fromMs)}</td><td>${msText(e.durationMs)}</td><td>${e.rejections}</td><td>${esc(e.statuses.join(', '))}</td><td>${e.durationMs > r.bounds.recoveryMs ? 'yes' : 'no'}</td></tr>`).join('\n')}
</tbody></table>`;
  const servers = r.servers.map((s) => `${esc(s.name)} (${esc(s.link)} link${s.linkDelayMs > 0 ? `, +${s.linkDelayMs} ms each way` : ''})`).join(', ');
  const load = r.load.map((l) => `${esc(l.server)} ${n(Math.round(l.achievedRps))} req/s (${n(l.non2xx)} non-2xx, ${n(l.errors)} errors)`).join('; ');
  return `<section><h3>${esc(name)}</h3>
<p class="${r.pass ? 'verdict ok' : 'verdict bad'}">${esc(r.summary)}</p>
<p class="sub">Servers: ${servers}. Background load: ${load}. History: <code>${esc(r.history)}</code>.
Checked against δ ${r.bounds.apiMs} ms (API), ${r.bounds.sqlMs} ms (SQL); fresh tokens must work ${msText(r.bounds.recoveryMs)} after a fault ends.</p>
<h4>Stale acceptances</h4>${stale}
<h4>Fresh tokens rejected outside faults and in-flight revocations (a lock-out lasts longer than ${msText(r.bounds.recoveryMs)})</h4>${lockouts}
<h4>Fault windows (each extended by the recovery bound)</h4>
<table><thead><tr><th scope="col">fault</th><th scope="col">window</th><th scope="col">probes</th><th scope="col">2xx</th><th scope="col">503</th><th scope="col">other rejections</th><th scope="col">no answer</th><th scope="col">503 in p50 / p99</th></tr></thead>
<tbody>${faultRows(v.faults)}</tbody></table></section>`;
}

/** The freshness section: the matrix of strategies, then each strategy's details. */
export function renderFreshnessSection(record: FreshnessRecord): string {
  const rows = Object.entries(record.strategies).map(([name, r]) => strategyRow(name, r)).join('\n');
  const kinds = new Map<string, number>();
  for (const r of record.schedule.revocations) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
  const faultKinds = new Map<string, number>();
  for (const f of record.schedule.faults) faultKinds.set(f.kind, (faultKinds.get(f.kind) ?? 0) + 1);
  const list = (m: Map<string, number>): string => [...m].map(([k, c]) => `${esc(k)} ×${c}`).join(', ') || 'none';
  return `<h2>Freshness: is it safe?</h2>
<p class="sub">Seed ${record.seed} (replay with <code>--seed ${record.seed}</code>), ${record.config.seconds} s per strategy, ${record.config.probedUsers} probed users of ${n(record.config.users)}.
Planned revocations: ${list(kinds)}. Planned faults: ${list(faultKinds)}.</p>
<table><thead><tr><th scope="col">strategy</th><th scope="col">declared δ (API · SQL)</th><th scope="col">stale accepted</th><th scope="col">max staleness</th>
<th scope="col">revocation latency API p50 / p99 / max</th><th scope="col">… SQL</th><th scope="col">never revoked</th><th scope="col">wrong or foreign identity</th>
<th scope="col">lock-outs</th><th scope="col">crashes</th><th scope="col">probes</th><th scope="col">revocations</th><th scope="col">503 response time p50 / p99 / max</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${Object.entries(record.strategies).map(([name, r]) => details(name, r)).join('\n')}`;
}

const METHOD = `<h2>Method</h2>
<p>A <em>revocation</em> of user U is a committed change that alters U's effective rights or deletes U, through the API or in plain SQL on the five RBAC tables.
A token minted before it committed is <em>stale</em>; a 2xx answer that honours stale rights to a request starting later than commit + δ is a <em>stale acceptance</em>.
Ground truth comes from Postgres itself: every committed change to the RBAC tables is read back through logical decoding (test_decoding), with its commit timestamp, and replayed;
each token records the snapshot it was minted in, so which revocations it had seen is exact. The nemesis runs a seeded schedule of revocations (some held open in their
transactions while others commit) and faults; probers send tokens minted before each revocation, fresh ones, and tokens of another dataset to both servers continuously;
a pure checker judges the recorded history (docs/freshness.md).</p>`;

export function renderFreshnessHtml(record: FreshnessRecord): string {
  const env = record.environment;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>authbench freshness — ${esc(record.createdAt)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:13px}th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top}
td.num{text-align:right}tr.ok th{border-left:6px solid #009E73}tr.bad th{border-left:6px solid #D55E00}
.verdict{padding:.5rem .75rem;border-radius:4px}.verdict.ok{background:#e6f5ef}.verdict.bad{background:#fbe9df}
.sub,.n{color:#555;font-size:13px}code{font-size:12px}
@media print{body{margin:0;max-width:none}}
</style></head><body>
<h1>authbench freshness</h1>
<p class="sub">${esc(record.createdAt)} · ${esc(record.command)} · ${record.wallSeconds} s · ${esc(env.cpuModel)}, ${env.cores} cores, Node ${esc(env.node)}, ${esc(env.postgres)}, ${esc(env.redis)}, commit ${esc(env.gitCommit ?? 'unknown')}</p>
${renderFreshnessSection(record)}
${METHOD}
</body></html>
`;
}
