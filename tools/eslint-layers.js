/**
 * An ESLint rule that keeps imports pointing down the layers: a module may import only from
 * the layers listed for its own. Relative imports are resolved against the importing file, so
 * `../output/format.js` from bench/analysis/ is caught whatever its spelling.
 */
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, from this file's place in it: the rule works from any working directory. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Each layer may import itself and everything below it; the stack, bottom first.
const SERVERS = ['servers', 'sql', 'fixtures'];
const SCHEMA = ['bench/schema', 'servers'];
const ANALYSIS = ['bench/analysis', ...SCHEMA];
const PLAN = ['bench/plan', 'bench/infra', 'fixtures', ...ANALYSIS];
const OUTPUT = ['bench/output', ...PLAN];
const ENGINE = ['bench/engine', 'sql', ...OUTPUT];

/** Layer name → the layers it may import from. */
export const ALLOWED = {
  servers: SERVERS,
  sql: ['sql'],
  fixtures: SERVERS,
  'bench/schema': SCHEMA,
  'bench/analysis': ANALYSIS,
  'bench/infra': ['bench/infra', 'servers'],
  'bench/plan': PLAN,
  'bench/output': OUTPUT,
  'bench/engine': ENGINE,
  'bench/cli': ['bench/cli', ...ENGINE],
};

const LAYERS = Object.keys(ALLOWED).sort((a, b) => b.length - a.length);

/** The layer a path (relative to the project root) belongs to, or null (tests, config files). */
export function layerOf(path) {
  const p = path.split('\\').join('/');
  return LAYERS.find((l) => p === l || p.startsWith(`${l}/`)) ?? null;
}

/** The module a dynamic import names, when it is spelled out (a string or a template without holes). */
function spelled(node) {
  if (node.type === 'Literal') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0].value.cooked;
  return null;
}

export default {
  rules: {
    'imports-point-down': {
      meta: {
        type: 'problem',
        docs: {
          description:
            'imports point down the layers: servers/ never imports bench/, analysis/ never imports output/, …',
        },
        schema: [],
        messages: {
          wrongWay: '{{from}} must not import {{to}} (it may import: {{allowed}})',
          unlayered: '{{file}} is in no layer: every module under bench/ belongs to one ({{layers}})',
          computed: 'a dynamic import from {{from}} must name its module, so the layer rule can check it',
        },
      },
      create(context) {
        const file = relative(ROOT, context.filename).split('\\').join('/');
        const from = layerOf(file);
        if (from === null) {
          if (!file.startsWith('bench/')) return {};
          return {
            Program: (node) =>
              context.report({ node, messageId: 'unlayered', data: { file, layers: LAYERS.join(', ') } }),
          };
        }
        const check = (node, source) => {
          if (typeof source !== 'string' || !source.startsWith('.')) return;
          const target = relative(ROOT, resolve(dirname(context.filename), source));
          const to = layerOf(target);
          if (to === null || ALLOWED[from].includes(to)) return;
          context.report({
            node,
            messageId: 'wrongWay',
            data: { from, to, allowed: ALLOWED[from].join(', ') },
          });
        };
        return {
          ImportDeclaration: (n) => check(n.source, n.source.value),
          ExportNamedDeclaration: (n) => n.source && check(n.source, n.source.value),
          ExportAllDeclaration: (n) => check(n.source, n.source.value),
          ImportExpression: (n) => {
            const source = spelled(n.source);
            if (source === null) context.report({ node: n, messageId: 'computed', data: { from } });
            else check(n.source, source);
          },
          // `import('../x.js').T` in a type position.
          TSImportType: (n) => {
            const literal = n.argument?.literal ?? n.argument;
            if (literal?.type === 'Literal') check(n, literal.value);
          },
        };
      },
    },
  },
};
