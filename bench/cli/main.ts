/**
 * authbench's command line: commander wiring only. Values are checked in bench/plan/, work is
 * done by bench/engine/, words and files by bench/output/. This is the one place that sets
 * the exit code (2 for usage errors, 1 for failures) — in main(), which bin.ts runs.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { NOT_AUTH_STRATEGIES } from '../../servers/strategies/index.js';
import { compareResults } from '../analysis/compare.js';
import { answer } from '../analysis/predict.js';
import { gate } from '../analysis/gate.js';
import { runFreshness } from '../engine/freshness/run.js';
import { exportArtillery, executeRun, type ArtilleryRun, type FreshnessOutcome } from '../engine/run.js';
import { importArtilleryRun } from '../engine/import.js';
import { runSeed } from '../engine/seed.js';
import { runServe } from '../engine/serve.js';
import { executeSweep } from '../engine/sweep.js';
import { renderChecks } from '../output/checks.js';
import { renderComparisonMarkdown, renderComparisonText } from '../output/compare.js';
import {
  describeReports,
  readReportable,
  readResults,
  writeReports,
  writeSweep,
  writeSweepReports,
} from '../output/files.js';
import { renderPlan } from '../output/plan-text.js';
import { renderPrediction } from '../output/predict-text.js';
import { RunFolder, isRunFolder, readRunFolder, rewriteRunReport } from '../output/run-folder.js';
import { renderSideBySide, renderSummary } from '../output/summary.js';
import { renderSweep } from '../output/sweep-text.js';
import { parsePredictArgs, parseRunArgs, parseSeedArgs, parseServeArgs, type RunArgs } from '../plan/args.js';
import { CI_DEFAULTS, DEFAULTS } from '../plan/config.js';
import { FRESHNESS_DEFAULTS, parseFreshnessArgs } from '../plan/freshness.js';
import { buildRunPlan, type TargetPlan } from '../plan/plan.js';
import { DEFAULT_SCENARIOS } from '../plan/scenarios.js';
import { SWEEP_PARAMS, parseSweepArgs } from '../plan/sweep.js';
import { UsageError, intFlag, listFlag, usage } from '../plan/usage.js';
import type { BenchConfig, ResultsRecord } from '../schema/results.js';
import { DEFAULT_BASELINE, loadBaseline } from './baseline.js';

const PG_URL = 'Postgres URL (default: $DATABASE_URL, else Docker, else a throwaway local cluster)';
const REDIS_URL = 'Redis URL (default: $REDIS_URL, else Docker, else a throwaway local redis-server)';
const STRATEGY_HELP =
  'db-lookup | jwt-redis | jwt-local | rbac-cache | jwt-only (unsafe: no revocation check) | no-auth (the ceiling: no authentication)';

export function buildProgram(): Command {
  const program = new Command('authbench')
    .description('Benchmark RBAC look-ups in the database against JWT claims plus a Redis revocation check')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('serve')
    .description('run the API under one auth strategy; prints one line when ready')
    .addOption(new Option('--strategy <name>', `auth strategy: ${STRATEGY_HELP}`).makeOptionMandatory())
    .option('--port <n>', 'TCP port (0 picks a free one; default: $PORT, else 3000)')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--pool-size <n>', 'Postgres pool size (the same for every strategy)', '10')
    .option(
      '--issue-tokens',
      'enable POST /auth/token, which mints a token for ANY user id (benchmarks and tests only)',
      false,
    )
    .option('--token-ttl <seconds>', 'lifetime of minted tokens', '3600')
    .option(
      '--require-jwt-secret',
      'refuse to start without JWT_SECRET, whatever the address (the container image does)',
      false,
    )
    .option(
      '--jwt-verify <variant>',
      'keyobject (default: jsonwebtoken, crypto.createSecretKey), string (jsonwebtoken parses it per call), native (node:crypto HMAC) or cached (native, verified tokens remembered until exp)',
      'keyobject',
    )
    .option('--pg-url <url>', PG_URL)
    .option('--redis-url <url>', REDIS_URL)
    .option('--users <n>', 'users to seed when serve starts its own throwaway database (default: 100000)')
    .option('--seed <n>', 'generator seed for that database (default: 42)')
    .action(async (raw: Record<string, unknown>) => {
      await runServe(parseServeArgs(raw, process.env));
    });

  program
    .command('seed')
    .description('create the schema and load the deterministic dataset (skipped when already there)')
    .option('--users <n>', 'number of users', '100000')
    .option('--seed <n>', 'generator seed', '42')
    .option('--pg-url <url>', PG_URL)
    .action(async (raw: Record<string, unknown>) => {
      await runSeed(parseSeedArgs(raw, process.env));
    });

  addTargetOptions(addRunOptions(program.command('run'), DEFAULTS))
    .description(
      `verify the servers, then measure them in interleaved rounds; without --scenario, runs ${DEFAULT_SCENARIOS.join(' and ')} back to back`,
    )
    .option(
      '--freshness-seconds <n>',
      "then check each strategy's freshness for this long (authbench freshness; 0: skip)",
      '0',
    )
    .option(
      '--freshness-strategies <a,b>',
      'the strategies of the run whose freshness is checked (default: all of them that authenticate)',
    )
    .option(
      '--freshness-token-ttl <seconds|none>',
      'lifetime of the tokens the freshness phase probes (authbench freshness --token-ttl)',
    )
    .option(
      '--dry-run',
      'print the plan (every phase, in order) and its estimated duration; start nothing',
      false,
    )
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      const args = parseRunArgs(raw, process.env, explicitOptions(cmd, raw));
      const freshnessSeconds = intFlag('--freshness-seconds', String(raw.freshnessSeconds), 0, 3600);
      const first = args.configs[0]!;
      const freshness =
        freshnessSeconds === 0
          ? null
          : parseFreshnessArgs({
              strategy: freshnessStrategies(first.strategies, raw.freshnessStrategies),
              seconds: String(freshnessSeconds),
              resultsDir: first.resultsDir,
              jwtVerify: first.jwtVerify,
              ...(raw.freshnessTokenTtl === undefined || raw.freshnessTokenTtl === 'none'
                ? {}
                : {
                    tokenTtl: String(
                      intFlag('--freshness-token-ttl', String(raw.freshnessTokenTtl), 1, 24 * 3600),
                    ),
                  }),
            });
      if (args.target && freshness)
        throw usage(
          '--freshness-seconds',
          '0 in target mode (the freshness check breaks its own throwaway Postgres and Redis, not your servers)',
          String(freshnessSeconds),
        );
      const plan = buildRunPlan(args.configs, freshness, targetPlan(args), args.artillery?.options ?? null);
      if (raw.dryRun === true) {
        process.stdout.write(renderPlan(plan));
        return;
      }
      const folder = await RunFolder.create(first.resultsDir, commandLine());
      let valid = true;
      try {
        // Freshness first: every scenario's record then carries each strategy's measured staleness.
        let fresh: FreshnessOutcome | null = null;
        if (freshness) {
          process.stdout.write('freshness: is it safe? (authbench freshness)\n');
          const f = await runFreshness({ ...freshness, resultsDir: folder.dir }, commandLine(), (line) => {
            process.stderr.write(`${line}\n`);
          });
          process.stdout.write(
            `${Object.values(f.record.strategies)
              .map((r) => r.summary)
              .join('\n')}\nresults: ${f.path}\nreport: ${f.html}\n\n`,
          );
          await folder.addFreshness(f.record, f.path, f.html);
          fresh = { record: f.record, path: f.path };
          valid &&= f.record.valid;
        }
        const outcomes = await executeRun(plan, urls(args), commandLine(), {
          ...(args.target ? { target: args.target } : {}),
          ...artilleryRun(args, folder),
          freshness: fresh,
          onScenario: async ({ record }) => {
            await publish(folder, record);
          },
        });
        const records = outcomes.map((o) => o.record);
        if (records.length > 1) process.stdout.write(`\n${renderSideBySide(records)}`);
        valid &&= records.every((r) => r.valid);
      } finally {
        await finishRun(folder);
      }
      if (!valid) throw new ExitCode(1);
    });

  addTargetOptions(addRunOptions(program.command('ci'), CI_DEFAULTS))
    .description(
      'a short run checked against committed thresholds (ratios, not absolute req/s); exit 1 when a check fails',
    )
    .option('--baseline <file>', 'thresholds file', DEFAULT_BASELINE)
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      const args = parseRunArgs(raw, process.env, explicitOptions(cmd, raw), CI_DEFAULTS, []);
      const baseline = await loadBaseline(String(raw.baseline));
      let failed = false;
      const folder = await RunFolder.create(args.configs[0]!.resultsDir, commandLine());
      try {
        await executeRun(
          buildRunPlan(args.configs, null, targetPlan(args), args.artillery?.options ?? null),
          urls(args),
          commandLine(),
          {
            ...(args.target ? { target: args.target } : {}),
            ...artilleryRun(args, folder),
            onScenario: async ({ record }) => {
              const path = await publish(folder, record);
              failed = !(await passesGate(folder, record, path, String(raw.baseline), baseline)) || failed;
            },
          },
        );
      } finally {
        await finishRun(folder);
      }
      if (failed) throw new ExitCode(1);
    });

  addRunOptions(program.command('sweep'), DEFAULTS)
    .description(
      'one full interleaved comparison per value of a parameter; one results file holds all points, with an HTML page and PNG charts',
    )
    .requiredOption('--param <name>', `the parameter to vary: ${Object.keys(SWEEP_PARAMS).join(', ')}`)
    .requiredOption('--values <a,b,c>', 'comma-separated values')
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      const parsed = parseRunArgs(raw, process.env, explicitOptions(cmd, raw), DEFAULTS, ['local']);
      if (parsed.artillery)
        throw usage(
          '--engine',
          'autocannon or wrk in a sweep (Artillery: authbench run --engine artillery)',
          'artillery',
        );
      const args = parseSweepArgs(parsed.configs[0]!, String(raw.param), String(raw.values), urls(parsed));
      const sweep = await executeSweep(args, commandLine());
      const path = await writeSweep(sweep, args.points[0]!.config.resultsDir);
      process.stdout.write(`\n${renderSweep(sweep)}\nsweep results: ${path}\n`);
      process.stdout.write(describeReports(await writeSweepReports(sweep, path)));
      if (!sweep.points.every((p) => p.valid)) throw new ExitCode(1);
    });

  const exporter = program
    .command('export')
    .description('hand the plan to another load engine: write what it runs');
  addTargetOptions(addRunOptions(exporter.command('artillery'), DEFAULTS))
    .description(
      "verify the --target servers, then write the scenario's warm-ups and rounds (and open-model runs, with --open-base-rps) as an Artillery script, processor, plan and token file",
    )
    .requiredOption('--out <dir>', 'a new (or empty) folder for the export')
    .option(
      '--workers <n>',
      'Artillery workers that each run the whole script (run-fargate --count): each gets its share of the connections and rates',
      '1',
    )
    .option(
      '--open-base-rps <n>',
      "the baseline's req/s the open-model fractions are of (default: no open-model runs)",
    )
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      if (raw.target === undefined)
        throw new UsageError(
          'export artillery needs --target: the servers the workers will load (authbench run --engine artillery runs locally)',
        );
      const explicit = explicitOptions(cmd, raw);
      if (explicit.engine !== undefined && String(explicit.engine) !== 'artillery')
        throw usage('--engine', 'artillery (or left out) for export artillery', String(explicit.engine));
      const args = parseRunArgs(
        { ...raw, engine: 'artillery' },
        process.env,
        { ...explicit, engine: 'artillery' },
        DEFAULTS,
        [],
        { artilleryBin: false },
      );
      const base =
        raw.openBaseRps === undefined
          ? null
          : intFlag('--open-base-rps', String(raw.openBaseRps), 1, 10_000_000);
      const plan = buildRunPlan(args.configs, null, targetPlan(args), args.artillery?.options ?? null)
        .scenarios[0]!;
      const out = String(raw.out);
      if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0))
        throw usage('--out', 'a new or empty folder (an export never overwrites anything)', out);
      const exported = await exportArtillery(
        plan,
        urls(args),
        commandLine(),
        args.target!,
        args.artillery!.options,
        out,
        base,
      );
      const lastEnd = (exported.slices.at(-1)?.endMs ?? 0) / 1000;
      process.stdout.write(
        `exported ${exported.slices.length} slices (${lastEnd} s of load after t0 ${new Date(exported.t0Ms).toISOString()}) to ${out}\n` +
          `run:    cd ${out} && artillery run --output report.json script.json   (a later start: AUTHBENCH_T0_MS=<ms since the epoch>)\n` +
          `import: authbench import artillery ${out}/report.json --plan ${out}\n`,
      );
    });

  program
    .command('import')
    .description("turn another load engine's report into a results record")
    .command('artillery')
    .description(
      "an Artillery report of an exported plan → the results record, reports and (with --baseline) the CI gate's checks",
    )
    .argument('<report.json>', 'artillery run --output <file>')
    .requiredOption('--plan <dir>', 'the folder authbench export artillery wrote')
    .option('--results-dir <dir>', 'where results files go', DEFAULTS.resultsDir)
    .option(
      '--baseline <file>',
      "also check the record against the CI gate's thresholds; exit 1 when one fails",
    )
    .action(async (reportPath: string, raw: Record<string, unknown>) => {
      const baseline = raw.baseline === undefined ? null : await loadBaseline(String(raw.baseline));
      const record = await importArtilleryRun(reportPath, String(raw.plan), commandLine());
      const folder = await RunFolder.create(String(raw.resultsDir), commandLine());
      let failed = !record.valid;
      try {
        const path = await publish(folder, record);
        if (baseline)
          failed = !(await passesGate(folder, record, path, String(raw.baseline), baseline)) || failed;
      } finally {
        await finishRun(folder);
      }
      if (failed) throw new ExitCode(1);
    });

  program
    .command('freshness')
    .description(
      'is it safe? each strategy under load, revocations (API and plain SQL) and faults; a pure checker judges the recorded history',
    )
    .option(
      '--strategy <a,b>',
      `strategies to check, comma-separated: ${STRATEGY_HELP}`,
      FRESHNESS_DEFAULTS.strategy,
    )
    .option('--seconds <n>', "duration of each strategy's phase", String(FRESHNESS_DEFAULTS.seconds))
    .option('--seed <n>', "seed of the nemesis's schedule (default: random, printed; replays a run)")
    .option('--faults <list|none>', 'faults to inject', FRESHNESS_DEFAULTS.faults)
    .option(
      '--revocations-per-second <x>',
      'mean rate of revocations',
      String(FRESHNESS_DEFAULTS.revocationsPerSecond),
    )
    .option('--users <n>', 'users in the dataset', String(FRESHNESS_DEFAULTS.users))
    .option(
      '--probed-users <n>',
      'users whose tokens are revoked and probed',
      String(FRESHNESS_DEFAULTS.probedUsers),
    )
    .option(
      '--load-rps <n>',
      'background load on the directly linked server (requests/s, open model)',
      String(FRESHNESS_DEFAULTS.loadRps),
    )
    .option(
      '--probe-rps <n>',
      'probe requests per second, besides the bursts after each revocation',
      String(FRESHNESS_DEFAULTS.probeRps),
    )
    .option(
      '--slow-link-ms <n>',
      "the second server's database link, ms each way",
      String(FRESHNESS_DEFAULTS.slowLinkMs),
    )
    .option(
      '--jwt-verify <variant>',
      'how the servers verify tokens: keyobject (default), string, native or cached (as authbench run)',
    )
    .option(
      '--token-ttl <seconds|none>',
      'lifetime of the probed tokens (default: they outlive the phase); a strategy that never checks revocation is then held to exp',
    )
    .option('--results-dir <dir>', 'where results files go', FRESHNESS_DEFAULTS.resultsDir)
    .action(async (raw: Record<string, unknown>) => {
      const config = parseFreshnessArgs(raw);
      const log = (line: string): void => {
        process.stderr.write(`${line}\n`);
      };
      const { record, path, html } = await runFreshness(config, commandLine(), log);
      process.stdout.write(
        `\n${Object.values(record.strategies)
          .map((r) => r.summary)
          .join('\n')}\nresults: ${path}\nreport: ${html}\n`,
      );
      if (!record.valid) throw new ExitCode(1);
    });

  program
    .command('compare')
    .description('compare two results files: per strategy and metric, old → new, change and significance')
    .argument('<old.json>')
    .argument('<new.json>')
    .option('--markdown', 'print Markdown instead of a table', false)
    .action(async (oldPath: string, newPath: string, opts: { markdown: boolean }) => {
      const changes = compareResults(await readResults(oldPath), await readResults(newPath));
      process.stdout.write(
        opts.markdown ? renderComparisonMarkdown(changes, oldPath, newPath) : renderComparisonText(changes),
      );
    });

  program
    .command('predict')
    .description(
      "predict each strategy's throughput and the gain for other conditions from a record's calibration, without running load",
    )
    .requiredOption(
      '--calibration <path>',
      'a results file, run folder (results/latest) or sweep file with a calibration (authbench run records one)',
    )
    .option('--db-rtt-ms <x>', "the servers' round trip to Postgres, ms (default: as measured in the record)")
    .option('--pool-size <n>', 'pool size of each server (default: as in the record)')
    .option('--connections <n>', 'concurrent clients (default: as in the record)')
    .option(
      '--strategies <a,b,…>',
      'baseline first (default: every calibrated strategy, in the record order)',
    )
    .option(
      '--scenario <name>',
      'in a run folder: the scenario whose calibration to use (default: the first with one)',
    )
    .action(async (raw: Record<string, unknown>) => {
      const question = parsePredictArgs(raw);
      const path = String(raw.calibration);
      let records: Array<{ label: string; record: ResultsRecord }>;
      if (isRunFolder(path)) {
        records = (await readRunFolder(path)).records.map((record) => ({ label: record.scenario, record }));
      } else {
        const file = await readReportable(path);
        records =
          file.kind === 'run'
            ? [{ label: file.record.scenario, record: file.record }]
            : file.sweep.records.map((record, i) => ({
                label: `${file.sweep.param} = ${file.sweep.points[i]?.value ?? i}`,
                record,
              }));
      }
      if (question.scenario !== undefined) {
        const chosen = records.filter((r) => r.record.scenario === question.scenario);
        if (chosen.length === 0)
          throw new UsageError(
            `--scenario must be one of ${records.map((r) => r.record.scenario).join(', ')} (got ${JSON.stringify(question.scenario)})`,
          );
        records = [...chosen, ...records.filter((r) => r.record.scenario !== question.scenario)];
      }
      process.stdout.write(renderPrediction(answer(records, question)));
    });

  program
    .command('report')
    .description(
      "(re)generate the HTML report, PNG charts and Markdown summary of a run's folder, or next to a results or sweep file (any schema version)",
    )
    .argument(
      '<path>',
      'a run folder (results/<timestamp>/, results/latest), a results file, or a sweep file written by authbench sweep',
    )
    .action(async (path: string) => {
      if (isRunFolder(path)) {
        process.stdout.write(describeReports(await rewriteRunReport(path)));
        return;
      }
      const file = await readReportable(path);
      const files =
        file.kind === 'run'
          ? await writeReports(file.record, path)
          : await writeSweepReports(file.sweep, path);
      process.stdout.write(describeReports(files));
    });

  return program;
}

/** A scenario's record: written into the run's folder (never over another), summarized, reported. */
async function publish(folder: RunFolder, record: ResultsRecord): Promise<string> {
  const { path, report } = await folder.addScenario(record);
  process.stdout.write(`\n${renderSummary(record)}\nresults: ${path}\nreport: ${report}\n`);
  return path;
}

/** The CI gate on a published record: its exports written, its checks printed; whether all pass. */
async function passesGate(
  folder: RunFolder,
  record: ResultsRecord,
  path: string,
  baselineName: string,
  baseline: Awaited<ReturnType<typeof loadBaseline>>,
): Promise<boolean> {
  const exports = await folder.addExports(record, path);
  process.stdout.write(`${exports.map((f) => `export: ${f}`).join('\n')}\nchecks against ${baselineName}:\n`);
  const checks = gate(record, baseline);
  process.stdout.write(renderChecks(checks));
  return checks.every((c) => c.pass);
}

/** The run's strategies whose freshness is checked: those named (each one of the run's), or all that authenticate. */
function freshnessStrategies(run: readonly string[], raw: unknown): string {
  const auth = run.filter((n) => !(NOT_AUTH_STRATEGIES as readonly string[]).includes(n));
  if (raw === undefined) return auth.join(',');
  return listFlag('--freshness-strategies', String(raw), auth).join(',');
}

/** The run's manifest marked complete, and where to look. */
async function finishRun(folder: RunFolder): Promise<void> {
  const m = await folder.finish();
  if (m.scenarios.length === 0 && m.freshness === null) return;
  const lines = [
    `\nrun folder: ${folder.dir} (${join(dirname(folder.dir), 'latest')} points here)`,
    `report: ${join(folder.dir, m.reports.html)}`,
  ];
  lines.push(`summary: ${join(folder.dir, m.reports.markdown)}`);
  for (const f of m.reports.pngFailures) lines.push(`not rendered: ${f.id}.png — ${f.reason}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** --engine artillery: Artillery's run folders kept in the run's folder (without the tokens). */
function artilleryRun(args: RunArgs, folder: RunFolder): { artillery?: ArtilleryRun } {
  const a = args.artillery;
  if (!a) return {};
  if (a.bin === null) throw new Error('--engine artillery: no executable found');
  return { artillery: { bin: a.bin, options: a.options, dir: join(folder.dir, 'artillery') } };
}

/** What the plan shows of target mode: the servers and the kind of token source, never a secret. */
const targetPlan = (a: RunArgs): TargetPlan | null =>
  a.target ? { targets: a.target.targets, tokens: a.target.tokens.kind } : null;

const urls = (a: { pgUrl?: string; redisUrl?: string }): { pgUrl?: string; redisUrl?: string } => ({
  ...(a.pgUrl ? { pgUrl: a.pgUrl } : {}),
  ...(a.redisUrl ? { redisUrl: a.redisUrl } : {}),
});

/** The options given on the command line (not defaults): they override a scenario file. */
function explicitOptions(cmd: Command, raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([key]) => cmd.getOptionValueSource(key) === 'cli'));
}

/**
 * A URL's password, up to the authority's last @ (a password may hold commas, @ or spaces), and
 * a password query parameter, replaced.
 */
export function redactArg(a: string): string {
  return a
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^/?#]*@/gi, '$1***@')
    .replace(/([?&]password=)[^&\s]*/gi, '$1***');
}

/** The command as recorded and shown: a secret given on it is never repeated, nor a URL's password. */
function commandLine(): string {
  const args = process.argv.slice(2);
  return [
    'authbench',
    ...args.map((a, i) => {
      if (args[i - 1] === '--jwt-secret') return '***';
      if (a.startsWith('--jwt-secret=')) return '--jwt-secret=***';
      return redactArg(a);
    }),
  ].join(' ');
}

/** Target mode's options, on run and ci: servers already running, and where the tokens come from. */
function addTargetOptions(cmd: Command): Command {
  return cmd
    .option(
      '--target <strategy=url[,url…]>',
      'bench servers that are already running (repeat per strategy, the first is the baseline; replicas comma-separated): nothing is started or seeded',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--tokens-file <path>', 'target mode: the tokens to send, one per line')
    .option(
      '--jwt-secret <secret>',
      "target mode: mint tokens from --pg-url's current claims with the servers' secret (default: $JWT_SECRET; prefer the variable)",
    );
}

/** The options run, ci and sweep share; ci has shorter defaults. */
function addRunOptions(cmd: Command, d: BenchConfig): Command {
  return cmd
    .option(
      '--scenario <name|path>',
      'a scenario file: a name in bench/scenarios/ or a path (its values, overridden by explicit flags)',
    )
    .option('--strategies <a,b,…>', 'baseline first, then one or more candidates', d.strategies.join(','))
    .option(
      '--rounds <n|auto>',
      'measured rounds per strategy: auto stops once every gain is precise (see --target-precision), or a number',
      d.adaptive ? 'auto' : String(d.rounds),
    )
    .option('--max-rounds <n>', 'with --rounds auto: the most rounds', String(d.rounds))
    .option('--min-rounds <n>', 'with --rounds auto: the fewest rounds', String(d.minRounds))
    .option(
      '--target-precision <x>',
      "with --rounds auto: stop once every gain's 95% CI half-width is within this (0.03 or 3%)",
      `${d.targetPrecision * 100}%`,
    )
    .option('--round-seconds <n>', 'duration of each round', String(d.roundSeconds))
    .option(
      '--warmup-seconds <n>',
      'warm-up per strategy before the rounds (0: none)',
      String(d.warmupSeconds),
    )
    .option('--connections <n>', 'concurrent connections (closed model)', String(d.connections))
    .option('--users <n>', 'users in the seeded dataset', String(d.users))
    .option('--seed <n>', 'generator seed', String(d.seed))
    .option('--token-users <n>', 'distinct users whose tokens the load rotates through', String(d.tokenUsers))
    .option('--verify-users <n>', 'users in the verification pass', String(d.verifyUsers))
    .option('--pool-size <n>', 'Postgres pool size of each server', String(d.poolSize))
    .option('--timeout-seconds <n>', 'request timeout in the load generator', String(d.timeoutSeconds))
    .option(
      '--bootstrap-iterations <n>',
      'bootstrap resamples for confidence intervals',
      String(d.bootstrapIterations),
    )
    .option('--results-dir <dir>', 'where results files go', d.resultsDir)
    .option(
      '--server-cpu <n|auto|none>',
      'pin the servers to one CPU (auto: the last CPU, where taskset exists)',
      String(d.serverCpu),
    )
    .option(
      '--db-delay-ms <n>',
      "delay added each way on the servers' database link by a TCP proxy, fractions allowed (0: direct)",
      String(d.dbDelayMs),
    )
    .option(
      '--jwt-verify <variant>',
      'keyobject, string, native or cached: how servers verify tokens (servers/jwt.ts)',
      d.jwtVerify,
    )
    .option(
      '--open-fractions <list|none>',
      "open-model (constant arrival rate) runs at these fractions of the baseline's median req/s",
      d.openFractions.length ? d.openFractions.join(',') : 'none',
    )
    .option('--open-seconds <n>', "duration of each open-model run's measured window", String(d.openSeconds))
    .option(
      '--open-repetitions <n>',
      'open-model runs per strategy and fraction, order alternating (at least 3)',
      String(d.openRepetitions),
    )
    .option(
      '--open-warmup-seconds <n>',
      'seconds each open-model run sends before its measured window (discarded)',
      String(d.openWarmupSeconds),
    )
    .option(
      '--calibration-connections <n>',
      "connections of each strategy's low-load calibration run (the model's inputs)",
      String(d.calibrationConnections),
    )
    .option(
      '--engine <name>',
      'closed-loop load generator: autocannon (embedded), wrk (where installed: the cross-check) or artillery (where installed: the plan as time slices, as a distributed run would)',
      d.engine,
    )
    .option(
      '--artillery <path>',
      "with --engine artillery: Artillery's executable (default: $AUTHBENCH_ARTILLERY, else on PATH)",
    )
    .option(
      '--lead-seconds <n>',
      'with --engine artillery: seconds from launch to the shared start t0 (default 20; Artillery started in 2 s here, ≈ 10 s cold)',
    )
    .option(
      '--guard-seconds <x>',
      "with --engine artillery: seconds at each slice's start not counted (default 1; the slice before drains)",
    )
    .option(
      '--calibration-seconds <n>',
      'seconds of each calibration run (0: no calibration, no model)',
      String(d.calibrationSeconds),
    )
    .option('--pg-url <url>', PG_URL)
    .option('--redis-url <url>', REDIS_URL);
}

/** A finished command that wants a non-zero exit code without an error message. */
class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end up here too, with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ExitCode) return err.code;
    if (err instanceof UsageError) {
      process.stderr.write(`authbench: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`authbench: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
