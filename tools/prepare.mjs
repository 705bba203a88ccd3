// `npm install` / `npm ci` run this (the prepare script): build dist/ so `npx authbench` works at
// once. A production install (--omit=dev) has no TypeScript: it says so and leaves the build to
// whoever installs the dev dependencies; a failing build fails the install.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
try {
  require.resolve('typescript/package.json');
} catch {
  process.stderr.write('authbench: TypeScript is not installed (production install): dist/ not built\n');
  process.exit(0);
}
const npm = process.env.npm_execpath;
const r = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(r.status ?? 1);
