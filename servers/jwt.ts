import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { AuthUser } from './claims.js';

/**
 * The claims authbench tokens carry: the write-up's three, the revocation version, and what
 * binds the token to one user row of one dataset (docs/freshness.md).
 */
export interface TokenClaims {
  userId: number;
  role: string;
  permissions: string[];
  /** The user's token_version when the token was minted. */
  ver: number;
  /** The user row's incarnation: a user deleted and re-created under the same id has a new one. */
  inc: number;
  /** The dataset (seed_meta.dataset_id) the token was minted against. */
  ds: string;
}

export interface VerifiedToken extends TokenClaims {
  exp: number;
}

export const ALGORITHM = 'HS256';
/** Seconds of clock skew tolerated on exp/nbf: small, as RFC 8725 advises. */
export const CLOCK_TOLERANCE_S = 5;
export const DEFAULT_TOKEN_TTL_S = 3600;

/** Development default, printed as a warning when used; never for anything but local runs. */
export const DEV_SECRET = 'authbench-development-secret-do-not-use-in-production-0123456789';

/**
 * A KeyObject, not the string: jsonwebtoken first tries to parse a string secret as a PEM
 * public key, which costs ~0.33 ms per verify here against ~7 µs with a KeyObject
 * (docs/method.md, "Fairness"). Both strategies verify with the same key.
 */
export function createJwtKey(secret: string): KeyObject {
  if (Buffer.byteLength(secret) < 32) {
    throw new RangeError(
      `JWT_SECRET must be at least 32 bytes (256 bits) long (got ${Buffer.byteLength(secret)})`,
    );
  }
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/**
 * How servers verify tokens: jsonwebtoken with a KeyObject (the default) or with the string
 * secret (the bench can show what that costs); `native`: HS256 checked with node:crypto
 * directly, the same rules, to show what jsonwebtoken's generality costs per request; `cached`:
 * native, remembering each verified token until it expires, so a client's next request with the
 * same token pays a map look-up instead of an HMAC (as fast-jwt's cache does).
 */
export const JWT_VERIFY_VARIANTS = ['keyobject', 'string', 'native', 'cached'] as const;
export type JwtVerifyVariant = (typeof JWT_VERIFY_VARIANTS)[number];

/** Verifies a bearer token: its claims, or null for any token that is not acceptable. */
export type TokenVerifier = (token: string) => VerifiedToken | null;

/** The verifier of a variant; every variant enforces the same rules (test/servers/jwt.test.ts). */
export function tokenVerifier(secret: string, variant: JwtVerifyVariant): TokenVerifier {
  const key = createJwtKey(secret);
  if (variant === 'native') return (token) => verifyHs256(token, key);
  if (variant === 'cached') return cachedVerifier((token) => verifyHs256(token, key), VERIFIED_CACHE_SIZE);
  const material = variant === 'keyobject' ? key : secret;
  return (token) => verifyToken(token, material);
}

/** Verified tokens a `cached` verifier remembers: the bench's clients use 2 000, a server far more. */
export const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Remembers what `verify` accepted, keyed by the whole token (signature included, so a hit is
 * this exact string, verified with this key), and checks exp again on every hit: a cached token
 * expires as it would uncached. Refusals are not remembered. Bounded: past `size` entries the
 * oldest go first (Map keeps insertion order). Revocation is none of its business: strategies
 * check it after verification, hit or miss.
 */
export function cachedVerifier(verify: TokenVerifier, size: number): TokenVerifier {
  const cache = new Map<string, VerifiedToken>();
  return (token) => {
    const hit = cache.get(token);
    if (hit !== undefined) {
      if (Math.floor(Date.now() / 1000) < hit.exp + CLOCK_TOLERANCE_S) return hit;
      cache.delete(token);
      return null;
    }
    const verified = verify(token);
    if (verified === null) return null;
    if (cache.size >= size) cache.delete(cache.keys().next().value!);
    // Shared by every request that presents this token: nobody may change it.
    Object.freeze(verified.permissions);
    cache.set(token, Object.freeze(verified));
    return verified;
  };
}

/** The only header a token minted here carries, base64url-encoded: anything else is refused. */
const HS256_HEADER = Buffer.from(JSON.stringify({ alg: ALGORITHM, typ: 'JWT' })).toString('base64url');
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * HS256 by hand, strictly: exactly three base64url segments, the exact header this code signs
 * (so `none`, other algorithms and `crit`/`kid` games are refused without parsing), a
 * constant-time comparison of the canonical signature, then exp (required) and nbf with the same
 * tolerance as jsonwebtoken, and the claims' shapes.
 */
export function verifyHs256(token: string, key: KeyObject): VerifiedToken | null {
  const a = token.indexOf('.');
  const b = token.indexOf('.', a + 1);
  if (a < 0 || b < 0 || token.indexOf('.', b + 1) >= 0) return null;
  if (token.slice(0, a) !== HS256_HEADER) return null;
  const payloadPart = token.slice(a + 1, b);
  const signaturePart = token.slice(b + 1);
  if (!BASE64URL.test(payloadPart) || !BASE64URL.test(signaturePart)) return null;
  const expected = createHmac('sha256', key).update(token.slice(0, b)).digest();
  const given = Buffer.from(signaturePart, 'base64url');
  // Re-encoding rejects non-canonical spellings of the same bytes (trailing bits set).
  if (given.length !== expected.length || given.toString('base64url') !== signaturePart) return null;
  if (!timingSafeEqual(given, expected)) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const claims = checkedClaims(payload);
  if (claims === null) return null;
  const now = Math.floor(Date.now() / 1000);
  if (now >= claims.exp + CLOCK_TOLERANCE_S) return null;
  const nbf = (payload as Record<string, unknown>).nbf;
  if (
    nbf !== undefined &&
    (typeof nbf !== 'number' || !Number.isFinite(nbf) || now + CLOCK_TOLERANCE_S < nbf)
  )
    return null;
  return claims;
}

export function signToken(claims: TokenClaims, key: KeyObject, ttlSeconds = DEFAULT_TOKEN_TTL_S): string {
  return jwt.sign(
    {
      userId: claims.userId,
      role: claims.role,
      permissions: claims.permissions,
      ver: claims.ver,
      inc: claims.inc,
      ds: claims.ds,
    },
    key,
    { algorithm: ALGORITHM, expiresIn: ttlSeconds },
  );
}

export function claimsOf(user: AuthUser, binding: { ver: number; inc: number; ds: string }): TokenClaims {
  return { userId: user.id, role: user.role, permissions: user.permissions, ...binding };
}

/** A user id as the database knows it: a positive safe integer, given as number or digits. */
export function parseUserId(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  if (typeof value === 'string' && /^[1-9][0-9]{0,15}$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : null;
  }
  return null;
}

/**
 * Verifies signature, algorithm (HS256 only, so `none` and RS/ES/HS384/512 fail), exp (required)
 * and nbf, then the claims' shapes. Returns null for any token that is not acceptable; the
 * reason is deliberately not exposed to the client.
 */
export function verifyToken(token: string, key: KeyObject | string): VerifiedToken | null {
  let payload: unknown;
  try {
    payload = jwt.verify(token, key, { algorithms: [ALGORITHM], clockTolerance: CLOCK_TOLERANCE_S });
  } catch {
    return null;
  }
  return checkedClaims(payload);
}

/**
 * The claims of a token whose signature and expiry are NOT checked: the no-auth ceiling only
 * (bench-only, loopback-only), so the same handlers get the same user without paying for
 * authentication. Never use it to authorise anything.
 */
export function readUnverified(token: string): VerifiedToken | null {
  const dot = token.indexOf('.');
  const end = token.indexOf('.', dot + 1);
  if (dot < 0 || end < 0) return null;
  try {
    return checkedClaims(JSON.parse(Buffer.from(token.slice(dot + 1, end), 'base64url').toString('utf8')));
  } catch {
    return null;
  }
}

/** The claims, checked by shape; null when any is missing or malformed. */
function checkedClaims(payload: unknown): VerifiedToken | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
  const p = payload as Record<string, unknown>;
  const userId = parseUserId(p.userId);
  if (userId === null) return null;
  if (typeof p.exp !== 'number' || !Number.isFinite(p.exp)) return null;
  if (typeof p.role !== 'string' || p.role === '') return null;
  if (!Array.isArray(p.permissions) || !p.permissions.every((x) => typeof x === 'string')) return null;
  if (!isPositiveInteger(p.ver) || !isPositiveInteger(p.inc)) return null;
  if (typeof p.ds !== 'string' || p.ds === '' || p.ds.length > 64) return null;
  return {
    userId,
    role: p.role,
    permissions: p.permissions as string[],
    ver: p.ver,
    inc: p.inc,
    ds: p.ds,
    exp: p.exp,
  };
}

function isPositiveInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 1;
}
