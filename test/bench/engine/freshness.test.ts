/**
 * `authbench freshness` end to end: a short randomized run with faults against real servers, a
 * real (throwaway) Postgres with logical decoding and a real (throwaway) Redis. The checker must
 * find stale acceptances for jwt-only, which never checks revocation, and none for jwt-redis.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../bench/infra/paths.js';
import { runFreshness } from '../../../bench/engine/freshness/run.js';
import { parseFreshnessArgs } from '../../../bench/plan/freshness.js';
import type { FreshnessRecord, History } from '../../../bench/schema/freshness.js';

const CLI = join(projectRoot(), 'dist', 'bench', 'cli', 'bin.js');

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('authbench freshness', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authbench-freshness-'));
  // A failed run's histories are the evidence: kept, and named in the failure message.
  let keep = false;
  after(() => {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  });

  test(
    'jwt-redis, jwt-local and rbac-cache: no stale acceptance, lock-out or crash under revocations and faults; jwt-only: stale acceptances',
    { timeout: 240_000 },
    async () => {
      const config = parseFreshnessArgs({
        strategy: 'jwt-redis,jwt-local,rbac-cache,jwt-only',
        seconds: '10',
        seed: '11',
        revocationsPerSecond: '6',
        resultsDir: dir,
        faults:
          'redis-restart-empty,redis-stall,pg-terminate-backends,redis-restore-snapshot,db-link-slow,redis-pause',
      });
      const lines: string[] = [];
      keep = true;
      const { record, path, html } = await runFreshness(config, 'test', (l) => lines.push(l));
      lines.push(`results and histories kept in ${dir}`);

      const safe = record.strategies['jwt-redis']!;
      const unsafe = record.strategies['jwt-only']!;
      const context = `\n${lines.filter((l) => !/^(redis|postgres):/.test(l)).join('\n')}`;
      assert.ok(
        safe.verdict.revocations.total >= 20,
        `revocations happened: ${safe.verdict.revocations.total}${context}`,
      );
      assert.ok(
        safe.verdict.faults.length >= 2,
        `faults happened: ${safe.verdict.faults.map((f) => f.kind).join(', ')}${context}`,
      );
      assert.ok(safe.operations >= 1000, `operations judged: ${safe.operations}`);
      assert.equal(
        safe.staleAccepted,
        0,
        `jwt-redis accepted stale tokens: ${JSON.stringify(safe.verdict.staleAcceptances.slice(0, 3))}${context}`,
      );
      assert.equal(
        safe.verdict.wrongRights + safe.verdict.foreignAccepted,
        0,
        'no one acted as someone else',
      );
      assert.equal(safe.crashes, 0, 'no server crashed');
      assert.equal(
        safe.lockouts,
        0,
        `no lock-outs: ${JSON.stringify(safe.verdict.lockoutEpisodes.slice(0, 3))}${context}`,
      );
      assert.equal(safe.pass, true);
      assert.ok(
        safe.revocationLatencyMs !== null && safe.revocationLatencyMs.p50 < 1000,
        'revocation latency was measured',
      );

      const localMap = record.strategies['jwt-local']!;
      assert.equal(
        localMap.staleAccepted,
        0,
        `jwt-local accepted stale tokens: ${JSON.stringify(localMap.verdict.staleAcceptances.slice(0, 3))}${context}`,
      );
      assert.equal(localMap.lockouts + localMap.crashes, 0, `jwt-local: no lock-out, no crash${context}`);
      assert.equal(localMap.pass, true);
      assert.deepEqual(localMap.declared, { apiMs: 1000, sqlMs: 1000 }, 'held to its declared δ');
      const cache = record.strategies['rbac-cache']!;
      assert.equal(
        cache.staleAccepted,
        0,
        `rbac-cache accepted stale claims: ${JSON.stringify(cache.verdict.staleAcceptances.slice(0, 3))}${context}`,
      );
      assert.equal(cache.lockouts + cache.crashes, 0, `rbac-cache: no lock-out, no crash${context}`);
      assert.equal(cache.pass, true);

      assert.ok(unsafe.staleAccepted > 0, `the checker must catch jwt-only${context}`);
      assert.equal(unsafe.pass, false);
      assert.equal(unsafe.verdict.foreignAccepted, 0, 'the dataset binding holds even for jwt-only');
      assert.equal(record.valid, true, 'each strategy behaves as it declares (jwt-only declares no bound)');
      assert.match(unsafe.summary, /^jwt-only: [\d,]+ stale acceptances? .*UNSAFE, as it declares/);
      assert.match(safe.summary, /^jwt-redis: 0 stale acceptances in [\d,]+ probes, .* meets the invariant/);

      // The record as external checks read it, and the history next to it.
      const onDisk = JSON.parse(readFileSync(path, 'utf8')) as FreshnessRecord;
      assert.equal(onDisk.schemaVersion, 1);
      assert.equal(onDisk.seed, 11);
      assert.ok(
        onDisk.schedule.revocations.length > 0 && onDisk.schedule.faults.length > 0,
        'the schedule is recorded',
      );
      for (const name of ['jwt-redis', 'jwt-only']) {
        const s = onDisk.strategies[name]!;
        for (const field of ['staleAccepted', 'lockouts', 'crashes', 'operations'] as const)
          assert.equal(typeof s[field], 'number', `${name}.${field}`);
        const history = JSON.parse(readFileSync(join(dir, s.history), 'utf8')) as History;
        assert.equal(history.strategy, name);
        assert.ok(history.commits.length > 0 && history.probes.length > 0 && history.mints.length > 0);
      }
      assert.match(path, /-freshness\.json$/);
      assert.ok(existsSync(html) && readFileSync(html, 'utf8').includes('Freshness: is it safe?'));
      keep = false;
    },
  );

  test(
    '--token-ttl: jwt-only is stale until exp and no longer, and an expired token refused is no lock-out',
    { timeout: 120_000 },
    async () => {
      const ttl = 2;
      const config = parseFreshnessArgs({
        strategy: 'jwt-only',
        seconds: '8',
        seed: '1001',
        revocationsPerSecond: '6',
        faults: 'none',
        tokenTtl: String(ttl),
        resultsDir: dir,
      });
      const { record } = await runFreshness(config, 'test', () => {});
      const r = record.strategies['jwt-only']!;
      const context = `\n${r.summary}`;
      assert.deepEqual(r.declared, { apiMs: 8000, sqlMs: 8000 }, "exp + the servers' 5 s tolerance + 1 s");
      assert.ok(r.verdict.revocations.total >= 10, `revocations happened${context}`);
      assert.ok(
        r.verdict.maxStalenessMs !== null && r.verdict.maxStalenessMs > 0,
        `stale, as it must be${context}`,
      );
      assert.ok(r.verdict.maxStalenessMs! <= 8000, `but never past exp + tolerance${context}`);
      assert.equal(r.staleAccepted, 0, context);
      assert.equal(r.lockouts, 0, `expired tokens refused are no lock-outs${context}`);
      assert.equal(r.pass, true, context);
      assert.equal(record.config.tokenTtlSeconds, ttl);
    },
  );

  test('bad flags: exit 2 naming the flag, nothing started or written', async () => {
    const never = join(dir, 'never');
    for (const [args, message] of [
      [
        ['--strategy', 'jwt-redis,magic'],
        /--strategy must be a comma-separated list of db-lookup, jwt-redis, jwt-local, rbac-cache, jwt-only \(each at most once\) \(got "jwt-redis,magic"\)/,
      ],
      [['--seconds', '0'], /--seconds must be an integer from 5 to 3600 \(got "0"\)/],
      [
        ['--faults', 'redis-pause,earthquake'],
        /--faults must be a comma-separated list of .* \(got "redis-pause,earthquake"\)/,
      ],
      [
        ['--revocations-per-second', 'fast'],
        /--revocations-per-second must be a number from 0 to 100 \(got "fast"\)/,
      ],
      [['--seed', '-1'], /--seed must be an integer from 0 to 2147483647 \(got "-1"\)/],
      [['--token-ttl', '0'], /--token-ttl must be an integer from 1 to 86400 \(got "0"\)/],
      [
        ['--jwt-verify', 'rsa'],
        /--jwt-verify must be one of keyobject, string, native, cached \(got "rsa"\)/,
      ],
    ] as const) {
      const r = await runCli(['freshness', ...args, '--results-dir', never]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /postgres:|redis:/, 'nothing started');
    }
    assert.equal(existsSync(never), false);
    assert.ok(readdirSync(dir).every((f) => !f.startsWith('never')));
  });
});
