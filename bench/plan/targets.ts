/**
 * Target mode: servers that are already running, somewhere, measured with the same plan. Checked
 * here before anything starts, like every flag: which strategy is where, and where the tokens
 * come from. Reads the tokens file (as scenario files are read), nothing else.
 */
import { readFileSync } from 'node:fs';
import { STRATEGY_NAMES, type StrategyName } from '../../servers/strategies/index.js';
import { createJwtKey } from '../../servers/jwt.js';
import type { Target } from '../schema/plan.js';
import { UsageError, usage } from './usage.js';

export type { Target };

/**
 * Where target mode's tokens come from: a file of them; minted here from the database's current
 * claims with the servers' secret; or the servers' own POST /auth/token (started with --issue-tokens).
 */
export type TokenSource =
  { kind: 'file'; path: string; tokens: string[] } | { kind: 'mint'; secret: string } | { kind: 'server' };

export interface TargetMode {
  targets: Target[];
  tokens: TokenSource;
}

const MAX_REPLICAS = 64;
const TARGET_RULE = 'strategy=URL[,URL…] with a strategy name and http(s) URLs without a path';

/** A --target value as messages may show it: any user:password@ replaced. */
const shown = (raw: string): string => raw.replace(/\/\/[^/,]*@/g, '//***@');

function targetUrl(value: string, raw: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw usage('--target', TARGET_RULE, shown(raw));
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || (u.pathname !== '/' && u.pathname !== ''))
    throw usage('--target', TARGET_RULE, shown(raw));
  if (u.search || u.hash) throw usage('--target', TARGET_RULE, shown(raw));
  // fetch refuses URLs with credentials, and they would travel in every log line: put a proxy
  // or a network rule in front of the servers instead.
  if (u.username || u.password)
    throw usage('--target', `${TARGET_RULE} and no user:password@ (not supported)`, shown(raw));
  return `${u.protocol}//${u.host}`;
}

/** `--target` values, in the order given: the first strategy is the baseline. */
export function parseTargets(values: readonly string[]): Target[] {
  const targets: Target[] = [];
  for (const raw of values) {
    const eq = raw.indexOf('=');
    const name = raw.slice(0, eq).trim();
    if (eq <= 0 || !(STRATEGY_NAMES as readonly string[]).includes(name))
      throw usage('--target', `${TARGET_RULE} (strategies: ${STRATEGY_NAMES.join(', ')})`, shown(raw));
    const urls = raw
      .slice(eq + 1)
      .split(',')
      .map((u) => u.trim());
    if (urls.some((u) => u === '') || urls.length > MAX_REPLICAS)
      throw usage('--target', TARGET_RULE, shown(raw));
    const checked = urls.map((u) => targetUrl(u, raw));
    if (new Set(checked).size !== checked.length)
      throw usage('--target', `${TARGET_RULE}, each URL once`, shown(raw));
    if (targets.some((t) => t.strategy === name))
      throw usage(
        '--target',
        'given once per strategy (list replicas after one =, comma-separated)',
        shown(raw),
      );
    const taken = targets.find((t) => t.urls.some((u) => checked.includes(u)));
    if (taken)
      throw usage(
        '--target',
        `a server of one strategy only (already given for ${taken.strategy})`,
        shown(raw),
      );
    targets.push({ strategy: name as StrategyName, urls: checked });
  }
  if (targets.length < 2)
    throw usage(
      '--target',
      'given for at least two strategies (the first is the baseline)',
      values.join(' '),
    );
  return targets;
}

/** A JWT's shape: three base64url segments. The servers check the rest. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** One token per line; blank lines and lines starting with # are skipped. */
export function readTokensFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--tokens-file ${JSON.stringify(path)} cannot be read: ${(err as Error).message}`);
  }
  const tokens = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const bad = tokens.findIndex((t) => !JWT_SHAPE.test(t));
  if (bad >= 0)
    throw new UsageError(
      `--tokens-file ${JSON.stringify(path)}: entry ${bad + 1} is not a JWT (header.payload.signature)`,
    );
  if (tokens.length === 0) throw new UsageError(`--tokens-file ${JSON.stringify(path)} holds no tokens`);
  return tokens;
}

/**
 * The token source: a file if given; else minting, which needs the servers' secret and their
 * database; else the servers' /auth/token.
 */
export function tokenSource(opts: {
  tokensFile: string | undefined;
  secret: string | undefined;
  pgUrl: string | undefined;
}): TokenSource {
  if (opts.tokensFile !== undefined)
    return { kind: 'file', path: opts.tokensFile, tokens: readTokensFile(opts.tokensFile) };
  if (opts.secret !== undefined) {
    if (opts.pgUrl === undefined)
      throw new UsageError(
        "--jwt-secret / JWT_SECRET mints tokens from the database's current claims: give --pg-url (or DATABASE_URL) too",
      );
    try {
      createJwtKey(opts.secret);
    } catch (err) {
      throw new UsageError(`--jwt-secret / JWT_SECRET: ${(err as Error).message}`);
    }
    return { kind: 'mint', secret: opts.secret };
  }
  return { kind: 'server' };
}
