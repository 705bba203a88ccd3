import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chartSpecs } from '../../../bench/output/charts.js';
import { renderHtml } from '../../../bench/output/html.js';
import {
  chartJsSource,
  readReportable,
  readResults,
  writeReports,
  writeSweepReports,
  type ReportFiles,
} from '../../../bench/output/files.js';
import { renderMarkdown } from '../../../bench/output/markdown.js';
import { gainsLine } from '../../../bench/output/run-report.js';
import { RunFolder, isRunFolder, readRunFolder, rewriteRunReport } from '../../../bench/output/run-folder.js';
import { PNG_HEIGHT, PNG_WIDTH } from '../../../bench/output/png.js';
import { modelExplanation } from '../../../bench/output/prose.js';
import { renderSweep } from '../../../bench/output/sweep-text.js';
import { renderSummary } from '../../../bench/output/summary.js';
import { openModelResults } from '../../../bench/analysis/open-model.js';
import type { ResultsRecord } from '../../../bench/schema/results.js';
import { projectRoot } from '../../../bench/infra/paths.js';
import {
  RESULTS_V1 as FIXTURE,
  SWEEP_V1 as SWEEP_FIXTURE,
  matrixFixture,
  modelFixture,
  modelSweepFixture,
  rawJson,
  sweepFixture,
} from '../fixture-records.js';
import { num } from '../../../bench/output/format.js';
import { esc } from '../../../bench/output/html-parts.js';

/** The verdict the version-1 file stored: the sentence rendered from the upgraded numbers must match it. */
const STORED_VERDICT = (rawJson(FIXTURE) as { comparison: { verdict: string } }).comparison.verdict;
const CHROMIUM = '/usr/bin/chromium';

/**
 * Every chart rendered as a PNG of the expected size with real drawing on it; false (and the
 * test skipped) only where the native renderer is missing outside CI.
 */
async function assertPngsDrawn(
  t: { skip(msg: string): void },
  files: ReportFiles,
  count: number,
): Promise<boolean> {
  if (files.pngFailures.length > 0) {
    // Only a user machine without the native renderer may get here; CI installs it.
    assert.ok(!process.env.CI, `in CI every PNG must render: ${JSON.stringify(files.pngFailures)}`);
    t.skip(`PNG renderer unavailable: ${files.pngFailures[0]!.reason}`);
    return false;
  }
  assert.equal(files.pngs.length, count);
  const { loadImage, createCanvas } = await import('canvas');
  for (const file of files.pngs) {
    const buf = readFileSync(file);
    assert.deepEqual(pngSize(buf), { width: PNG_WIDTH, height: PNG_HEIGHT }, file);
    const image = await loadImage(buf);
    const canvas = createCanvas(image.width, image.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    const { data } = ctx.getImageData(0, 0, image.width, image.height);
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4 * 7)
      colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    assert.ok(colours.size > 20, `${file} has ${colours.size} colours: drawn, not blank`);
  }
  return true;
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(buf: Buffer): { width: number; height: number } {
  assert.deepEqual(
    [...buf.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    'PNG signature',
  );
  assert.equal(buf.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** True when Debian's Chromium is there; outside CI a missing one skips the test, in CI it fails. */
function chromiumOrSkip(t: { skip(msg: string): void }): boolean {
  if (existsSync(CHROMIUM)) return true;
  assert.ok(!process.env.CI, `in CI ${CHROMIUM} must be installed (.ci/run installs it)`);
  t.skip(`${CHROMIUM} is not installed (apt-get install chromium)`);
  return false;
}

/**
 * Opens a file in headless Chromium with the network off, collects console errors, page errors
 * and failed requests, measures each canvas's painted pixels, hands all to `check`, then saves
 * a full-page screenshot as results/<shot>.
 */
async function inChromium(
  file: string,
  shot: string,
  check: (
    page: import('playwright-core').Page,
    problems: string[],
    drawn: Array<{ id: string; painted: number; width: number }>,
  ) => Promise<void>,
): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  try {
    const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    // A string, evaluated in the page: this file is compiled without DOM types.
    const drawn = await page.evaluate<
      Array<{ id: string; painted: number; width: number }>
    >(`[...document.querySelectorAll('canvas')].map((c) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
      return { id: c.id, painted, width: c.width };
    })`);
    await check(page, problems, drawn);
    const shots = join(projectRoot(), 'results');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, shot), fullPage: true });
    await context.close();
  } finally {
    await browser.close();
  }
}

describe('reports from a committed results file', () => {
  let record: ResultsRecord;
  let dir: string;
  before(async () => {
    record = await readResults(FIXTURE);
    dir = mkdtempSync(join(tmpdir(), 'authbench-report-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the HTML holds the verdict, every strategy and Chart.js inline, and fetches nothing', async () => {
    const html = renderHtml(record, await chartJsSource());
    assert.ok(html.includes(STORED_VERDICT.replace(/'/g, '&#39;')), 'the verdict');
    for (const name of Object.keys(record.strategies))
      assert.ok(html.includes(`<th scope="row">${name}</th>`), name);
    for (const spec of chartSpecs(record)) assert.ok(html.includes(`id="chart-${spec.id}"`), spec.id);
    assert.ok(html.includes('Chart.register'), 'charts are created');
    assert.doesNotMatch(
      html,
      /<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|url\(["']?https?:/,
      'no external resources',
    );
    assert.ok(html.length > 150_000, 'Chart.js is inlined');
  });

  test('the Markdown table has the right numbers', () => {
    const md = renderMarkdown(record, { throughput: 'x-throughput.png' });
    assert.match(md, /^## authbench: db-lookup vs jwt-redis \(default\)$/m);
    assert.ok(md.includes(`**${STORED_VERDICT}**`));
    // The fixture's figures: medians 2 543 and 2 637 req/s, p50 10.987 and 9.942 ms, ratio 1.0591.
    assert.match(
      md,
      /^\| db-lookup \| 2543 \(2381–2647\) \| baseline \| 10\.99 \/ 38\.34 \| 3\.00 \| 0\.00 \| 20\/20 \|$/m,
    );
    assert.match(
      md,
      /^\| jwt-redis \| 2637 \(2500–2853\) \| \+5\.9% \(\+2\.3% to \+11\.1%\) \| 9\.94 \/ 31\.26 \| 2\.00 \| 1\.00 \| 20\/20 \|$/m,
    );
    assert.match(
      md,
      /^Throughput ratio jwt-redis\/db-lookup: \+5\.9% \(95% CI \+2\.3% to \+11\.1%, 20 paired rounds\)\.$/m,
    );
    assert.match(md, /!\[throughput\]\(x-throughput\.png\)/);
  });

  test('PNG charts are valid images of the expected size and not blank', async (t) => {
    const path = join(dir, 'run.json');
    writeFileSync(path, readFileSync(FIXTURE));
    const files = await writeReports(record, path);
    if (!(await assertPngsDrawn(t, files, 4))) return;
    assert.ok(existsSync(files.html) && existsSync(files.markdown!));
  });

  test('a record with its calibrated model: the HTML and Markdown say why, and a record without one still renders', async () => {
    const withModel = modelFixture();
    const m = withModel.model!;
    assert.ok(m, 'the fixture was calibrated');
    const html = renderHtml(withModel, await chartJsSource());
    assert.match(html, /<h2>Why: a model calibrated at low load, then checked<\/h2>/);
    assert.ok(
      html.includes(`<p id="why">${esc(modelExplanation(m))}</p>`),
      'the explanation, from the numbers',
    );
    const cal = m.calibration.strategies['db-lookup']!;
    assert.ok(
      html.includes(
        `<th scope="row">db-lookup</th><td>${num(cal.cpuMs, 3)} ms</td><td>${num(cal.poolMs, 2)} ms</td>`,
      ),
      'the calibrated CPU and pool time per request',
    );
    assert.ok(html.includes(num(m.predicted['db-lookup']!.requestsPerSecond)), 'the prediction');
    assert.match(
      modelExplanation(m),
      /^Calibrated at 1 connection \(\d+ s per strategy, nothing queueing\), predicted for \d+ connections/,
    );
    assert.match(modelExplanation(m), /predicted gain( for jwt-redis)? [+−]\d+\.\d%, measured [+−]\d+\.\d%/);
    assert.match(renderMarkdown(withModel, {}), /^\*\*Why:\*\* Calibrated at 1 connection/m);
    const old = renderHtml(sweepFixture().records[2]!, await chartJsSource());
    assert.doesNotMatch(old, /Why: a model/, 'no section where nothing was calibrated');
  });

  test('the open model: repeated runs with paired intervals render; an older single run renders without', async () => {
    const lat = (p50: number, p99: number) => ({ p50, p90: p99 / 2, p99, p999: p99 + 1, max: p99 + 2 });
    const run = (strategy: 'db-lookup' | 'jwt-redis', repetition: number, p50: number, p99: number) => ({
      run: 0,
      fraction: 0.5,
      targetRps: 1200,
      strategy,
      repetition,
      achievedRps: 1199,
      sent: 3597,
      latencyMs: lat(p50, p99),
      non2xx: 0,
      errors: 0,
      unfinished: repetition === 3 && strategy === 'jwt-redis' ? 4 : 0,
      generatorCpuPercent: 12,
    });
    const withOpen: ResultsRecord = {
      ...modelFixture(),
      openModel: openModelResults(
        [
          run('db-lookup', 1, 3.0, 12.0),
          run('jwt-redis', 1, 2.0, 9.0),
          run('jwt-redis', 2, 2.2, 10.0),
          run('db-lookup', 2, 3.4, 11.0),
          run('db-lookup', 3, 3.1, 14.0),
          run('jwt-redis', 3, 2.1, 30.0),
        ],
        {
          strategies: ['db-lookup', 'jwt-redis'],
          repetitions: 3,
          warmupSeconds: 1,
        },
      ),
    };
    const summary = renderSummary(withOpen);
    assert.match(
      summary,
      /^open model at 50% of the baseline's max \(1200 req\/s, medians of 3 runs\): db-lookup p50 3\.10 ms/m,
    );
    // Three pairs: the range, a 75 % interval (not a 95 % one).
    assert.match(
      summary,
      /^ {2}jwt-redis − db-lookup at that rate: p50 −1\.00 ms \(−1\.20 ms to −1\.00 ms, 75 %\), p99 −1\.00 ms \(−3\.00 ms to \+16\.00 ms, 75 %\), over 3 paired runs\.$/m,
    );
    const md = renderMarkdown(withOpen, {});
    assert.match(
      md,
      /^\| 50% · 1,200 req\/s \| jwt-redis − db-lookup \| −1\.00 ms \(−1\.20 ms to −1\.00 ms, 75 %\) \| −1\.00 ms \(−3\.00 ms to \+16\.00 ms, 75 %\) \| 3 \|$/m,
    );
    const html = renderHtml(withOpen, await chartJsSource());
    assert.match(html, /Each strategy ran 3 times per rate in alternating order/);
    assert.ok(
      html.includes(
        '<th scope="row">jwt-redis − db-lookup</th><td>−1.00 ms (−1.20 ms to −1.00 ms, 75 %)</td>',
      ),
    );
    // Written before repetitions: one run per strategy, no pairs, so no interval is claimed.
    const old = sweepFixture().records[0]!;
    assert.ok(old.openModel.length > 0, 'the committed sweep has open-model runs');
    for (const o of old.openModel) {
      assert.deepEqual([o.repetitions, o.comparisons.length], [1, 0]);
      for (const r of Object.values(o.strategies)) assert.deepEqual(r!.runs, []);
    }
    assert.match(renderSummary(old), /^open model at 50% of the baseline's max \(\d+ req\/s\): /m);
    assert.doesNotMatch(renderSummary(old), /paired runs/);
    assert.doesNotMatch(renderHtml(old, await chartJsSource()), /alternating order/);
  });

  test('a sweep: four PNGs (gain with the model line, p50, p99, costs) and the report command tells the files apart', async (t) => {
    const path = join(dir, 'sweep.json');
    writeFileSync(path, readFileSync(SWEEP_FIXTURE));
    const file = await readReportable(path);
    assert.equal(file.kind, 'sweep');
    await assert.rejects(readResults(path), /is a sweep file, not the results of one run/);
    assert.equal((await readReportable(FIXTURE)).kind, 'run');
    const files = await writeSweepReports(modelSweepFixture(), path);
    assert.ok(existsSync(files.html));
    if (!(await assertPngsDrawn(t, files, 4))) return;
    assert.deepEqual(
      files.pngs.map((p) => p.slice(dir.length + 1)),
      ['sweep-gain.png', 'sweep-p50.png', 'sweep-p99.png', 'sweep-costs.png'],
    );
  });

  test('the sweep page, in a real browser, offline: four charts draw, the model line among them', async (t) => {
    if (!chromiumOrSkip(t)) return;
    const { renderSweepHtml } = await import('../../../bench/output/sweep-html.js');
    const sweep = modelSweepFixture();
    const page = renderSweepHtml(sweep, await chartJsSource(), renderSweep(sweep));
    assert.ok(page.includes('varying connections'));
    assert.ok(page.includes('model: predicted from the low-load calibration'));
    for (const r of sweep.records)
      assert.ok(page.includes(esc(modelExplanation(r.model!))), "each point's explanation");
    const file = join(dir, 'sweep.html');
    writeFileSync(file, page);
    await inChromium(file, 'sweep-screenshot.png', async (_tab, problems, drawn) => {
      assert.deepEqual(problems, []);
      assert.equal(drawn.length, 4);
      for (const d of drawn) assert.ok(d.painted > 1000, `${d.painted} painted pixels`);
    });
  });

  test('in a real browser, offline: no console errors, every chart draws, a screenshot', async (t) => {
    if (!chromiumOrSkip(t)) return;
    const path = join(dir, 'browser.json');
    writeFileSync(path, readFileSync(FIXTURE));
    const { html } = await writeReports(record, path);
    await inChromium(html, 'report-screenshot.png', async (page, problems, drawn) => {
      assert.deepEqual(problems, [], 'no console errors or failed requests');
      assert.equal(drawn.length, 4);
      for (const d of drawn)
        assert.ok(d.painted > 1000 && d.width > 100, `${d.id}: ${d.painted} painted pixels`);
      assert.equal(await page.locator('#verdict').innerText(), STORED_VERDICT);
    });
  });
});

describe('one run, one folder: results/<timestamp>/ with every scenario', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'authbench-runfolder-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('two scenarios: records, manifest, one report with the frontier first, PNGs, summary.md, latest', async (t) => {
    const folder = await RunFolder.create(dir, 'authbench run --test', '2026-11-26T05:00:00.000Z');
    assert.equal(folder.dir, join(dir, '2026-11-26T05-00-00-000Z'));
    const local = matrixFixture('local');
    const seed = matrixFixture('seed-regime');
    await folder.addScenario(seed);
    await folder.addScenario(local);
    const manifest = await folder.finish();
    assert.equal(manifest.complete, true);
    assert.equal(manifest.valid, true);
    assert.deepEqual(
      manifest.scenarios.map((s) => s.file),
      ['seed-regime.json', 'local.json'],
    );
    assert.equal(readlinkSync(join(dir, 'latest')), '2026-11-26T05-00-00-000Z');
    assert.deepEqual(
      JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')),
      JSON.parse(JSON.stringify(local)),
    );
    const html = readFileSync(join(folder.dir, 'index.html'), 'utf8');
    const at = (s: string): number => html.indexOf(s);
    assert.ok(at('id="chart-frontier"') > 0, 'the frontier');
    assert.ok(at('id="chart-frontier"') < at('id="scenario-seed-regime"'), 'first');
    assert.ok(at('id="scenario-seed-regime"') < at('id="scenario-local"'), 'then the regimes in run order');
    assert.ok(at('id="chart-local-throughput"') > at('id="scenario-local"'));
    assert.doesNotMatch(html, /id="incomplete"/);
    const md = readFileSync(join(folder.dir, 'summary.md'), 'utf8');
    assert.match(md, /^!\[frontier\]\(frontier\.png\)$/m);
    assert.match(md, /^- \*\*local\*\*: jwt-redis served 5\.9% more requests per second than db-lookup /m);
    const two = matrixFixture('local');
    two.comparisons.push({ ...two.comparisons[0]!, candidate: 'jwt-only' });
    assert.equal(
      gainsLine(two),
      'req/s vs db-lookup: jwt-redis +5.9% (+2.3% to +11.1%) · jwt-only +5.9% (+2.3% to +11.1%)',
      'several candidates: one line per regime at the top, the sentences in its section',
    );
    assert.match(md, /^## authbench: db-lookup vs jwt-redis vs jwt-only \(local\)$/m);
    assert.match(md, /^!\[throughput\]\(local-throughput\.png\)$/m);
    const files: ReportFiles = {
      html: join(folder.dir, 'index.html'),
      pngs: manifest.reports.pngs.map((p) => join(folder.dir, p)),
      pngFailures: manifest.reports.pngFailures,
    };
    if (!(await assertPngsDrawn(t, files, 9))) return;
    assert.deepEqual(manifest.reports.pngs.sort(), [
      'frontier.png',
      'local-costs.png',
      'local-latency.png',
      'local-rounds.png',
      'local-throughput.png',
      'seed-regime-costs.png',
      'seed-regime-latency.png',
      'seed-regime-rounds.png',
      'seed-regime-throughput.png',
    ]);

    // authbench report renders the folder again from its records alone.
    rmSync(join(folder.dir, 'index.html'));
    assert.equal(isRunFolder(join(dir, 'latest')), true);
    const again = await rewriteRunReport(join(dir, 'latest'));
    assert.equal(readFileSync(again.html, 'utf8'), html);
    const read = await readRunFolder(folder.dir);
    assert.deepEqual(
      read.records.map((r) => r.scenario),
      ['seed-regime', 'local'],
    );
  });

  test('a second run gets its own folder, and a run that recorded nothing leaves none', async () => {
    const a = await RunFolder.create(dir, 'authbench run', '2026-11-26T06:00:00.000Z');
    const b = await RunFolder.create(dir, 'authbench run', '2026-11-26T06:00:00.000Z');
    assert.equal(b.dir, `${a.dir}-2`, 'same millisecond: never the same folder');
    await b.finish();
    assert.equal(existsSync(b.dir), false);
    await a.addScenario(matrixFixture('local'));
    await a.addScenario(matrixFixture('local'));
    const m = await a.finish();
    assert.deepEqual(
      m.scenarios.map((s) => s.file),
      ['local.json', 'local-2.json'],
      'a scenario met twice in one run: both records kept',
    );
    const html = readFileSync(join(a.dir, 'index.html'), 'utf8');
    assert.ok(html.includes('id="scenario-local"') && html.includes('id="scenario-local-2"'));
    assert.ok(existsSync(join(a.dir, 'local-2-throughput.png')) || m.reports.pngFailures.length > 0);
  });

  test('the run page in a real browser, offline: every chart draws, both verdicts', async (t) => {
    if (!chromiumOrSkip(t)) return;
    const folder = await RunFolder.create(dir, 'authbench run --browser', '2026-11-26T07:00:00.000Z');
    await folder.addScenario(matrixFixture('seed-regime'));
    await folder.addScenario(matrixFixture('local'));
    await folder.finish();
    await inChromium(join(folder.dir, 'index.html'), 'run-screenshot.png', async (page, problems, drawn) => {
      assert.deepEqual(problems, [], 'no console errors or failed requests');
      assert.equal(drawn.length, 9, 'the frontier and four charts per regime');
      for (const d of drawn)
        assert.ok(d.painted > 1000 && d.width > 100, `${d.id}: ${d.painted} painted pixels`);
      assert.equal(drawn[0]!.id, 'chart-frontier');
      const verdict = await page.locator('#verdict').innerText();
      assert.match(verdict, /seed-regime: .*\n.*local: /s);
    });
  });
});
