/**
 * An ESLint rule that keeps imports pointing down the layers: a module may import only from
 * the layers listed for its own. Relative imports are resolved against the importing file, so
 * `../output/format.js` from bench/analysis/ is caught whatever its spelling.
 */
import { dirname, relative, resolve } from 'node:path';

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
        messages: { wrongWay: '{{from}} must not import {{to}} (it may import: {{allowed}})' },
      },
      create(context) {
        const root = context.cwd;
        const file = relative(root, context.filename);
        const from = layerOf(file);
        if (from === null) return {};
        const check = (node, source) => {
          if (typeof source !== 'string' || !source.startsWith('.')) return;
          const target = relative(root, resolve(dirname(context.filename), source));
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
          ImportExpression: (n) => n.source.type === 'Literal' && check(n.source, n.source.value),
        };
      },
    },
  },
};
