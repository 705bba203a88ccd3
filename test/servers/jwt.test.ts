import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import {
  CLOCK_TOLERANCE_S,
  JWT_VERIFY_VARIANTS,
  cachedVerifier,
  createJwtKey,
  parseUserId,
  signToken,
  tokenVerifier,
  verifyHs256,
  verifyToken,
} from '../../servers/jwt.js';

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
  for (const variant of JWT_VERIFY_VARIANTS) {
    const verify = tokenVerifier(SECRET, variant);
    for (const [label, token] of Object.entries(cases))
      assert.equal(verify(token), null, `${variant}: ${label}`);
    assert.notEqual(verify(sign(base)), null, `${variant}: the control token verifies`);
    assert.notEqual(
      verify(sign({ ...base, exp: now() - 2 })),
      null,
      `${variant}: within the clock tolerance`,
    );
    assert.notEqual(verify(sign({ ...base, nbf: now() + 2 })), null, `${variant}: nbf within the tolerance`);
    assert.deepEqual(verify(signToken(claims, key, 60)), verifyToken(signToken(claims, key, 60), key));
  }
});

test('native HS256: forged headers, odd segments and non-canonical signatures are refused, like jsonwebtoken', () => {
  const verify = tokenVerifier(SECRET, 'native');
  const good = signToken(claims, key, 60);
  const [h, p, sig] = good.split('.') as [string, string, string];
  const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const resign = (header: string, payload: string): string =>
    `${header}.${payload}.${createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url')}`;
  const cases: Record<string, string> = {
    'alg none, no signature': `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
    'alg none, the real signature': `${b64({ alg: 'none', typ: 'JWT' })}.${p}.${sig}`,
    'HS512 header over an HS256 MAC': resign(b64({ alg: 'HS512', typ: 'JWT' }), p),
    'four segments': `${good}.x`,
    'two segments': `${h}.${p}`,
    'padded signature': `${good}=`,
    'signature with a flipped trailing bit': `${h}.${p}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
    'payload not base64url': resign(h, `${p}+`),
    'payload not JSON': resign(h, Buffer.from('{"userId":').toString('base64url')),
    'payload an array': resign(h, b64([claims])),
    'empty token': '',
    'dots only': '..',
  };
  for (const [label, token] of Object.entries(cases)) {
    assert.equal(verify(token), null, label);
    assert.equal(verifyToken(token, key), null, `jsonwebtoken agrees: ${label}`);
  }
  // Stricter than jsonwebtoken, which accepts these: only the header this code signs is valid.
  for (const header of [
    { alg: 'HS256', typ: 'JWT', kid: '../../etc/passwd' },
    { alg: 'HS256', typ: 'JWT', crit: ['x'] },
    { typ: 'JWT', alg: 'HS256' },
  ])
    assert.equal(verify(resign(b64(header), p)), null, JSON.stringify(header));
  assert.notEqual(verify(good), null);
});

test('cached: a hit is the token verified before, exp is checked on every hit, refusals are not remembered', async () => {
  const calls: string[] = [];
  const verify = cachedVerifier((t) => {
    calls.push(t);
    return verifyHs256(t, key);
  }, 2);
  const a = signToken(claims, key, 60);
  const b = signToken({ ...claims, userId: 13 }, key, 60);
  const c = signToken({ ...claims, userId: 14 }, key, 60);
  assert.equal(verify(a)?.userId, 12);
  assert.equal(verify(a)?.userId, 12);
  assert.equal(calls.length, 1, 'the second request with the same token is a hit');
  assert.ok(Object.isFrozen(verify(a)) && Object.isFrozen(verify(a)!.permissions), 'shared: frozen');
  const forged = `${a.slice(0, -2)}${a.endsWith('AA') ? 'BB' : 'AA'}`;
  assert.equal(verify(forged), null);
  assert.equal(verify(forged), null);
  assert.equal(calls.filter((t) => t === forged).length, 2, 'a refusal is checked again each time');
  verify(b);
  verify(c);
  calls.length = 0;
  verify(a);
  assert.equal(calls.length, 1, 'bounded: the oldest entry went first');

  // A token within its last two seconds of tolerance: a hit now, refused once they have passed.
  const exp = now() - CLOCK_TOLERANCE_S + 2;
  const nearlyGone = jwt.sign({ ...claims, exp }, SECRET, { algorithm: 'HS256' });
  const fresh = cachedVerifier((t) => verifyHs256(t, key), 10);
  assert.notEqual(fresh(nearlyGone), null);
  assert.notEqual(fresh(nearlyGone), null, 'a hit');
  await new Promise((r) => setTimeout(r, (exp + CLOCK_TOLERANCE_S) * 1000 - Date.now() + 50));
  assert.equal(fresh(nearlyGone), null, 'expired while cached: refused');
});
