import { test } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { createJwtKey, parseUserId, signToken, verifyToken } from '../../servers/jwt.js';

const SECRET = 'unit-test-secret-0123456789abcdef0123456789';
const key = createJwtKey(SECRET);
const claims = {
  userId: 12,
  role: 'editor',
  permissions: ['edit_articles', 'view_dashboard'],
  ver: 3,
  inc: 7,
  ds: 'dataset-a',
};
const now = (): number => Math.floor(Date.now() / 1000);

test('a minted token verifies to its claims', () => {
  const v = verifyToken(signToken(claims, key, 60), key);
  assert.ok(v);
  assert.equal(v.userId, 12);
  assert.equal(v.ver, 3);
  assert.deepEqual(v.permissions, claims.permissions);
  assert.ok(v.exp > now() && v.exp <= now() + 61);
});

test('short secrets are refused', () => {
  assert.throws(() => createJwtKey('short'), /JWT_SECRET must be at least 32 bytes/);
});

test('string-or-integer user ids', () => {
  assert.equal(parseUserId(5), 5);
  assert.equal(parseUserId('17'), 17);
  for (const bad of [0, -1, 1.5, '', '01', 'abc', '1e3', null, [], {}, 2 ** 60]) {
    assert.equal(parseUserId(bad), null, JSON.stringify(bad));
  }
});

test('rejects what RFC 8725 says to reject', () => {
  const sign = (payload: object, opts: jwt.SignOptions = {}): string =>
    jwt.sign(payload, SECRET, { algorithm: 'HS256', ...opts });
  const base = { ...claims, exp: now() + 60 };
  const cases: Record<string, string> = {
    'no exp': sign({ ...claims }),
    expired: sign({ ...claims, exp: now() - 60 }),
    'nbf in the future': sign({ ...base, nbf: now() + 120 }),
    HS512: sign(base, { algorithm: 'HS512' }),
    'no userId': sign({ ...base, userId: undefined }),
    'role not a string': sign({ ...base, role: 7 }),
    'permissions not an array': sign({ ...base, permissions: 'edit_articles' }),
    'permissions with a non-string': sign({ ...base, permissions: ['a', 1] }),
    'no ver': sign({ ...base, ver: undefined }),
    'other secret': jwt.sign(base, `${SECRET}x`, { algorithm: 'HS256' }),
  };
  for (const [label, token] of Object.entries(cases)) assert.equal(verifyToken(token, key), null, label);
  assert.notEqual(verifyToken(sign(base), key), null, 'the control token verifies');
  assert.notEqual(verifyToken(sign({ ...base, exp: now() - 2 }), key), null, 'within the clock tolerance');
});
