/**
 * One run, one folder: results/<timestamp>/ holds every scenario's record, the freshness phase's
 * files, the run's report (index.html, summary.md, PNGs) and manifest.json; results/latest points
 * at the newest folder. The report and manifest are rewritten after each scenario, so a run that
 * dies leaves what it finished, reported, with `complete: false`.
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdir, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { registerCleanup } from '../infra/cleanup.js';
import type { FreshnessRecord } from '../schema/freshness.js';
import type { ResultsRecord } from '../schema/results.js';
import { MANIFEST_FILE, RUN_MANIFEST_VERSION, type RunManifest } from '../schema/run.js';
import { chartSpecs, frontierChart } from './charts.js';
import {
  chartJsSource,
  readReportable,
  stamp,
  writeExports,
  writeNew,
  writePngs,
  type ReportFiles,
} from './files.js';
import {
  renderRunHtml,
  renderRunMarkdown,
  scenarioId,
  scenarioIds,
  type RunReportInput,
} from './run-report.js';

export const LATEST_LINK = 'latest';

export class RunFolder {
  private readonly records: ResultsRecord[] = [];
  private readonly files: RunManifest['scenarios'] = [];
  private freshness: { record: FreshnessRecord; file: string; html: string } | null = null;
  /** Chart key (`frontier`, `<scenario id>-<chart>`) → PNG file name in the folder. */
  private readonly pngs: Record<string, string> = {};
  private pngFailures: RunManifest['reports']['pngFailures'] = [];
  private readonly exports: string[] = [];
  private readonly started = Date.now();
  private unregister: (() => void) | null;

  private constructor(
    readonly dir: string,
    private readonly resultsDir: string,
    private readonly createdAt: string,
    private readonly command: string,
  ) {
    // Until it holds a finished record, the folder is scratch space: an interrupted run removes it.
    this.unregister = registerCleanup(
      async () => {
        if (this.empty) await rm(dir, { recursive: true, force: true });
      },
      () => {
        if (this.empty) rmSync(dir, { recursive: true, force: true });
      },
    );
  }

  /** results/<timestamp>/ (or <timestamp>-2/, …: a folder is never reused). */
  static async create(
    resultsDir: string,
    command: string,
    createdAt = new Date().toISOString(),
  ): Promise<RunFolder> {
    await mkdir(resultsDir, { recursive: true });
    for (let n = 1; ; n++) {
      const dir = join(resultsDir, n === 1 ? stamp(createdAt) : `${stamp(createdAt)}-${n}`);
      try {
        await mkdir(dir);
        return new RunFolder(dir, resultsDir, createdAt, command);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  private get empty(): boolean {
    return this.records.length === 0 && this.freshness === null;
  }

  /** The freshness phase wrote its record and report into this folder. */
  async addFreshness(record: FreshnessRecord, path: string, html: string): Promise<void> {
    this.freshness = { record, file: relative(this.dir, path), html: relative(this.dir, html) };
    this.kept();
    await this.writeReport(false);
  }

  /** Writes <scenario>.json (never over a file), its charts, the report and the manifest. */
  async addScenario(record: ResultsRecord): Promise<{ path: string; report: string }> {
    const text = `${JSON.stringify(record, null, 2)}\n`;
    const path = await writeNew(this.dir, scenarioId(record.scenario), text);
    this.records.push(record);
    this.files.push({ scenario: record.scenario, file: basename(path), valid: record.valid });
    this.kept();
    await this.renderCharts(scenarioCharts(record, scenarioIds(this.records).at(-1)!));
    await this.writeReport(false);
    await this.pointLatest(text);
    return { path, report: join(this.dir, 'index.html') };
  }

  /** The trend-tracking exports of a scenario's record, beside it. */
  async addExports(record: ResultsRecord, path: string): Promise<string[]> {
    const written = await writeExports(record, path);
    this.exports.push(...written.map((f) => relative(this.dir, f)));
    await this.writeManifest(false);
    return written;
  }

  /** The run ended (with or without errors): the manifest says so. */
  async finish(): Promise<RunManifest> {
    this.kept();
    if (this.empty) {
      await rm(this.dir, { recursive: true, force: true });
      return this.manifest(true);
    }
    return this.writeReport(true);
  }

  /** The folder is no scratch space any more: an interrupted run leaves it. */
  private kept(): void {
    this.unregister?.();
    this.unregister = null;
  }

  private async renderCharts(
    specs: ReadonlyArray<{ id: string; config: Record<string, unknown> }>,
  ): Promise<void> {
    const { pngs, failures } = await writePngs(specs, this.dir);
    Object.assign(this.pngs, pngs);
    const ids = new Set(specs.map((s) => s.id));
    this.pngFailures = [...this.pngFailures.filter((f) => !ids.has(f.id)), ...failures];
  }

  private async writeReport(complete: boolean): Promise<RunManifest> {
    const frontier = frontierChart(this.records);
    if (frontier) await this.renderCharts([frontier]);
    const input: RunReportInput = {
      createdAt: this.createdAt,
      command: this.command,
      records: this.records,
      freshness: this.freshness && { record: this.freshness.record, html: this.freshness.html },
      complete,
    };
    await replace(join(this.dir, 'index.html'), renderRunHtml(input, await chartJsSource()));
    await replace(join(this.dir, 'summary.md'), renderRunMarkdown(input, this.pngs));
    return this.writeManifest(complete);
  }

  private manifest(complete: boolean): RunManifest {
    return {
      schemaVersion: RUN_MANIFEST_VERSION,
      kind: 'run',
      createdAt: this.createdAt,
      command: this.command,
      gitCommit: this.records[0]?.env.gitCommit ?? this.freshness?.record.environment.gitCommit ?? null,
      complete,
      valid: complete ? this.records.every((r) => r.valid) && (this.freshness?.record.valid ?? true) : null,
      wallSeconds: Math.round((Date.now() - this.started) / 100) / 10,
      scenarios: [...this.files],
      freshness: this.freshness && {
        file: this.freshness.file,
        html: this.freshness.html,
        valid: this.freshness.record.valid,
      },
      reports: {
        html: 'index.html',
        markdown: 'summary.md',
        pngs: Object.values(this.pngs),
        pngFailures: [...this.pngFailures],
      },
      exports: [...this.exports],
    };
  }

  private async writeManifest(complete: boolean): Promise<RunManifest> {
    const m = this.manifest(complete);
    await replace(join(this.dir, MANIFEST_FILE), `${JSON.stringify(m, null, 2)}\n`);
    return m;
  }

  /**
   * results/latest → this folder (a relative symlink, swapped by rename so it is never missing),
   * and results/latest.json, the newest scenario record, for scripts that read it.
   */
  private async pointLatest(recordText: string): Promise<void> {
    await replace(join(this.resultsDir, 'latest.json'), recordText);
    const link = join(this.resultsDir, LATEST_LINK);
    const tmp = `${link}.${process.pid}.tmp`;
    await unlink(tmp).catch(() => {});
    await symlink(basename(this.dir), tmp);
    try {
      await rename(tmp, link);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw new Error(
        `cannot point ${link} at ${basename(this.dir)}: ${(err as Error).message} (is ${link} a directory? move it away)`,
      );
    }
  }
}

/** Writes a file of the run's own by rename, so no reader sees it half written. */
async function replace(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** True when `path` is a run folder (or the results/latest link to one). */
export function isRunFolder(path: string): boolean {
  return existsSync(join(path, MANIFEST_FILE));
}

/** A run folder's manifest and records, read back (each record upgraded to the current schema). */
export async function readRunFolder(dir: string): Promise<{
  manifest: RunManifest;
  records: ResultsRecord[];
  freshness: { record: FreshnessRecord; html: string } | null;
}> {
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifest: RunManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as RunManifest;
  } catch (err) {
    throw new Error(`cannot read ${manifestPath}: ${(err as Error).message}`);
  }
  if (manifest.kind !== 'run' || manifest.schemaVersion !== RUN_MANIFEST_VERSION)
    throw new Error(`${manifestPath}: not a run manifest of version ${RUN_MANIFEST_VERSION}`);
  const records: ResultsRecord[] = [];
  for (const s of manifest.scenarios) {
    const file = await readReportable(join(dir, s.file));
    if (file.kind !== 'run') throw new Error(`${join(dir, s.file)} is a sweep file, not a scenario record`);
    records.push(file.record);
  }
  let freshness: { record: FreshnessRecord; html: string } | null = null;
  if (manifest.freshness) {
    const path = join(dir, manifest.freshness.file);
    try {
      freshness = {
        record: JSON.parse(await readFile(path, 'utf8')) as FreshnessRecord,
        html: manifest.freshness.html,
      };
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as Error).message}`);
    }
  }
  return { manifest, records, freshness };
}

/** Every chart of a run's report, keyed as its PNG is named: the frontier, then each scenario's. */
function runChartSpecs(
  records: readonly ResultsRecord[],
): Array<{ id: string; config: Record<string, unknown> }> {
  const frontier = frontierChart(records);
  const ids = scenarioIds(records);
  return [...(frontier ? [frontier] : []), ...records.flatMap((r, i) => scenarioCharts(r, ids[i]!))];
}

const scenarioCharts = (
  r: ResultsRecord,
  id: string,
): Array<{ id: string; config: Record<string, unknown> }> =>
  chartSpecs(r, { frontier: false }).map((s) => ({ ...s, id: `${id}-${s.id}` }));

/** Renders a run folder's index.html, summary.md and PNGs again from its records. */
export async function rewriteRunReport(dir: string): Promise<ReportFiles> {
  const { manifest, records, freshness } = await readRunFolder(dir);
  const { pngs, failures } = await writePngs(runChartSpecs(records), dir);
  const input: RunReportInput = {
    createdAt: manifest.createdAt,
    command: manifest.command,
    records,
    freshness,
    complete: manifest.complete,
  };
  const html = join(dir, 'index.html');
  const markdown = join(dir, 'summary.md');
  await replace(html, renderRunHtml(input, await chartJsSource()));
  await replace(markdown, renderRunMarkdown(input, pngs));
  return { html, markdown, pngs: Object.values(pngs).map((p) => join(dir, p)), pngFailures: failures };
}
