/**
 * Explicit service URLs: taking them from a flag or an environment variable, checking them,
 * and printing them without their passwords.
 */
import { redactUrl } from '../../servers/urls.js';

/** The two services the benchmark needs. */
export type Service = 'postgres' | 'redis';

interface UrlRule {
  flag: string;
  envVar: string;
  protocols: readonly string[];
  example: string;
}

const RULES: Record<Service, UrlRule> = {
  postgres: {
    flag: '--pg-url',
    envVar: 'DATABASE_URL',
    protocols: ['postgres:', 'postgresql:'],
    example: 'postgres://user@127.0.0.1:5432/authbench',
  },
  redis: {
    flag: '--redis-url',
    envVar: 'REDIS_URL',
    protocols: ['redis:', 'rediss:'],
    example: 'redis://127.0.0.1:6379',
  },
};

/** A URL the user gave, and where it came from (the flag or the variable's name). */
export interface GivenUrl {
  url: string;
  source: string;
}

/**
 * The URL for `service` from the explicit option (a CLI flag), else from its environment
 * variable; `undefined` when neither is set. An empty variable counts as unset, as in
 * `DATABASE_URL= authbench run`.
 * @throws when the URL does not parse or has the wrong scheme, naming its source and the rule.
 */
export function givenUrl(
  service: Service,
  option: string | undefined,
  env: NodeJS.ProcessEnv,
): GivenUrl | undefined {
  const rule = RULES[service];
  if (option !== undefined) return { url: checkUrl(service, option, rule.flag), source: rule.flag };
  const fromEnv = env[rule.envVar];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { url: checkUrl(service, fromEnv.trim(), rule.envVar), source: rule.envVar };
  }
  return undefined;
}

function checkUrl(service: Service, value: string, source: string): string {
  const rule = RULES[service];
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !rule.protocols.includes(parsed.protocol)) {
    const schemes = rule.protocols.map((p) => `${p}//`).join(' or ');
    throw new Error(
      `invalid ${source} ${JSON.stringify(redactUrl(value))}: ${rule.flag} / ${rule.envVar} must be a ` +
        `${schemes} URL, e.g. ${rule.example}`,
    );
  }
  return value;
}
