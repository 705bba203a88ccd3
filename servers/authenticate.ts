import type { NextFunction, Request, Response } from 'express';
import type { AuthUser } from './claims.js';
import { insufficientScope, invalidToken, missingCredentials } from './errors.js';
import { readUnverified, type TokenVerifier } from './jwt.js';
import type { AuthStrategy } from './strategies/index.js';

// RFC 6750 §2.1: "Bearer" 1*SP b64token. Anything else after "Bearer" is a malformed token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^([A-Za-z][A-Za-z0-9!#$%&'*+\-.^_`|~]*)(?: |$)/;

/** The authenticated user, set by `authenticate` for the handlers after it. */
export function userOf(res: Response): AuthUser {
  return res.locals.user as AuthUser;
}

/**
 * Shared by every strategy: extract the bearer token, verify it, its claims' shapes and that it
 * was minted against this dataset, then let the strategy decide who the user is. Errors reach the
 * error middleware, which answers 401/503.
 */
export function authenticate(strategy: AuthStrategy, verify: TokenVerifier, datasetId: string) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization;
    if (header === undefined || header === '') throw missingCredentials();
    const match = BEARER.exec(header);
    if (!match) {
      // Credentials for another scheme (Basic, ...) are no bearer credentials at all.
      const scheme = SCHEME.exec(header)?.[1];
      if (scheme !== undefined && scheme.toLowerCase() !== 'bearer') throw missingCredentials();
      throw invalidToken();
    }
    const token = strategy.verifiesTokens ? verify(match[1]!) : readUnverified(match[1]!);
    if (token === null || token.ds !== datasetId) throw invalidToken();
    const user = await strategy.resolveUser(token);
    if (user === null) throw invalidToken();
    res.locals.user = user;
    next();
  };
}

export function requirePermission(permission: string) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (!userOf(res).permissions.includes(permission)) throw insufficientScope(permission);
    next();
  };
}
