/**
 * The errors a request can end in. Bodies carry a short code and a fixed message, never a
 * driver message or a stack: the error middleware is the only place that writes them.
 */
export const REALM = 'authbench';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** RFC 6750 §3: no error code when no credentials were sent at all. */
export function missingCredentials(): HttpError {
  return new HttpError(401, 'unauthorized', 'Bearer token required', {
    'WWW-Authenticate': `Bearer realm="${REALM}"`,
  });
}

export function invalidToken(): HttpError {
  return new HttpError(401, 'invalid_token', 'The access token is invalid, expired or revoked', {
    'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token"`,
  });
}

export function insufficientScope(permission: string): HttpError {
  return new HttpError(403, 'insufficient_scope', `This action requires the ${permission} permission`, {
    'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${permission}"`,
  });
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, 'bad_request', message);
}

export function notFound(message = 'Not found'): HttpError {
  return new HttpError(404, 'not_found', message);
}

/** A dependency (Postgres, Redis) could not be asked: the request fails closed. */
export class DependencyError extends Error {
  constructor(
    readonly dependency: 'postgres' | 'redis',
    options?: { cause?: unknown },
  ) {
    super(`${dependency} unavailable`, options);
  }
}

export function serviceUnavailable(dependency: string): HttpError {
  return new HttpError(503, 'service_unavailable', `A dependency (${dependency}) is unavailable`, {
    'Retry-After': '1',
  });
}

// SQLSTATE classes that mean "the database cannot be asked right now", not "the query is wrong":
// 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown),
// 58 system error.
// 57014 (query_canceled) is how statement_timeout reports itself: also "cannot be asked".
// 40 transaction rollback (a serialization failure or deadlock under concurrent writers): the
// request did nothing and may be retried; never a 500.
const UNAVAILABLE_SQLSTATE = /^(08|40|53|57|58)/;

/** SQLSTATE class 22, data exception: a value the client sent that Postgres cannot store (e.g. a NUL byte). */
export function isInvalidData(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOENT', // ENOENT: a unix socket path that is gone
]);

/** True when a pg error says Postgres is unreachable or going away rather than a query bug. */
export function isPostgresUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_ERRORS.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return UNAVAILABLE_SQLSTATE.test(code);
  }
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connect ECONNREFUSED|Client has encountered a connection error|not queryable/i.test(
    err.message,
  );
}
