/**
 * The layer rule (tools/eslint-layers.js) through the project's real ESLint config: an import that
 * runs the wrong way fails `npm run lint`, one that points down passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../bench/infra/paths.js';

const root = projectRoot();

function lint(file: string, code: string): string[] {
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'),
      '--stdin',
      '--stdin-filename',
      file,
      '--format',
      'json',
    ],
    { cwd: root, input: code, encoding: 'utf8' },
  );
  assert.ok(r.status === 0 || r.status === 1, `eslint ran (${r.status}): ${r.stderr}`);
  const [result] = JSON.parse(r.stdout) as Array<{
    messages: Array<{ ruleId: string | null; message: string }>;
  }>;
  return result!.messages.filter((m) => m.ruleId === 'layers/imports-point-down').map((m) => m.message);
}

test('analysis must not import output: prose belongs to the renderers', () => {
  const found = lint(
    'bench/analysis/probe.ts',
    "import { gain } from '../output/format.js';\nexport const g = gain(1);\n",
  );
  assert.equal(found.length, 1);
  assert.match(
    found[0]!,
    /^bench\/analysis must not import bench\/output \(it may import: bench\/analysis, bench\/schema, servers\)$/,
  );
});

test('servers must never import bench', () => {
  const code = "import { redactUrl } from '../bench/infra/urls.js';\nexport const r = redactUrl;\n";
  assert.match(lint('servers/probe.ts', code)[0] ?? '', /^servers must not import bench\/infra/);
});

test('the schema imports nothing of the bench but itself; plan must not reach into the engine', () => {
  assert.equal(lint('bench/schema/probe.ts', "export type { Plan } from '../plan/plan.js';\n").length, 1);
  assert.equal(lint('bench/plan/probe.ts', "export { executeRun } from '../engine/run.js';\n").length, 1);
  assert.equal(
    lint('bench/plan/probe.ts', "const m = await import('../cli/main.js');\nexport default m;\n").length,
    1,
  );
});

test('imports that point down pass', () => {
  assert.deepEqual(
    lint(
      'bench/analysis/probe.ts',
      "import type { RoundRecord } from '../schema/results.js';\nexport type R = RoundRecord;\n",
    ),
    [],
  );
  assert.deepEqual(lint('bench/cli/probe.ts', "export { executeRun } from '../engine/run.js';\n"), []);
  assert.deepEqual(
    lint('test/probe.ts', "export { executeRun } from '../bench/engine/run.js';\n"),
    [],
    'tests may import any layer',
  );
});

test('the ways round it are closed: templates, type imports, unlayered modules, computed imports', () => {
  assert.equal(
    lint('bench/analysis/probe.ts', 'const m = await import(`../output/format.js`);\nexport default m;\n')
      .length,
    1,
  );
  const typeImport = "export type G = typeof import('../output/format.js').gain;\n";
  assert.equal(lint('bench/analysis/probe.ts', typeImport).length, 1);
  assert.match(lint('bench/util.ts', 'export const x = 1;\n')[0] ?? '', /^bench\/util\.ts is in no layer/);
  const computed =
    "const name = 'format';\nconst m = await import(`../output/${name}.js`);\nexport default m;\n";
  assert.match(lint('bench/analysis/probe.ts', computed)[0] ?? '', /must name its module/);
});

test('the rule judges paths from the project root, whatever the working directory', () => {
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'),
      '--stdin',
      '--stdin-filename',
      join(root, 'bench', 'analysis', 'probe.ts'),
      '--format',
      'json',
    ],
    {
      cwd: join(root, 'bench'),
      input: "import { gain } from '../output/format.js';\nexport const g = gain(1);\n",
      encoding: 'utf8',
    },
  );
  const [result] = JSON.parse(r.stdout) as Array<{ messages: Array<{ ruleId: string | null }> }>;
  assert.equal(result!.messages.filter((m) => m.ruleId === 'layers/imports-point-down').length, 1, r.stderr);
});
