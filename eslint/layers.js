/**
 * An ESLint rule that keeps imports pointing down the layers: a module may import only from
 * the layers listed for its own. Relative imports are resolved against the importing file, so
 * `../output/format.js` from bench/analysis/ is caught whatever its spelling.
 */
import { dirname, relative, resolve } from 'node:path';

/** Layer name → the layers it may import from (itself included where listed). */
export const ALLOWED = {
  servers: ['servers', 'sql', 'fixtures'],
  sql: ['sql'],
  fixtures: ['fixtures', 'servers', 'sql'],
  'bench/schema': ['bench/schema', 'servers'],
  'bench/analysis': ['bench/analysis', 'bench/schema', 'servers'],
  'bench/infra': ['bench/infra', 'servers'],
  'bench/plan': ['bench/plan', 'bench/analysis', 'bench/schema', 'bench/infra', 'servers', 'fixtures'],
  'bench/output': ['bench/output', 'bench/plan', 'bench/analysis', 'bench/schema', 'bench/infra', 'servers'],
  'bench/engine': [
    'bench/engine',
    'bench/output',
    'bench/plan',
    'bench/analysis',
    'bench/schema',
    'bench/infra',
    'servers',
    'sql',
    'fixtures',
  ],
  'bench/cli': [
    'bench/cli',
    'bench/engine',
    'bench/output',
    'bench/plan',
    'bench/analysis',
    'bench/schema',
    'bench/infra',
    'servers',
    'sql',
    'fixtures',
  ],
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
