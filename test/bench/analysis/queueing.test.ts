import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXACT_LIMIT, mva, seidmann, type Station } from '../../../bench/analysis/queueing.js';

const close = (actual: number, expected: number, what: string, tol = 1e-9): void =>
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} ≠ ${expected}`,
  );

/**
 * The closed "machine repairman" chain solved directly: N customers, each thinking an
 * exponential Z, one station of m servers with exponential service D. Birth-death balance:
 * p_k+1 = p_k · ((N−k)/Z) / (min(k+1,m)/D). Independent of MVA, so it can catch MVA's errors.
 */
function birthDeath(n: number, servers: number, demand: number, think: number): number {
  let p = [1];
  for (let k = 0; k < n; k++) {
    p.push((p[k]! * ((n - k) / think)) / (Math.min(k + 1, servers) / demand));
    // Rescaled as it grows: only the ratios matter.
    if (p[k + 1]! > 1e200) p = p.map((x) => x / 1e200);
  }
  const total = p.reduce((a, b) => a + b, 0);
  return p.reduce((x, pk, k) => x + (pk / total) * (Math.min(k, servers) / demand), 0);
}

test('one single-server station, no think time: throughput 1/D at any population, response N·D', () => {
  for (const n of [1, 2, 5, 40]) {
    const r = mva([{ name: 'cpu', kind: 'queue', demand: 2 }], n);
    close(r.throughput, 0.5, `X(${n})`);
    close(r.responseTime, 2 * n, `R(${n})`);
    close(r.utilization[0]!, 1, `U(${n})`);
  }
});

test('one single-server station with think time, by hand: N = 2, D = 2, Z = 3', () => {
  // n = 1: R = 2, X = 1/5, Q = 0.4. n = 2: R = 2 · 1.4 = 2.8, X = 2 / 5.8.
  const r = mva([{ name: 'cpu', kind: 'queue', demand: 2 }], 2, 3);
  close(r.responseTime, 2.8, 'R');
  close(r.throughput, 2 / 5.8, 'X');
  close(r.throughput, birthDeath(2, 1, 2, 3), 'X against the chain');
});

test('two queues in series, by hand: D = 1 and 2, N = 2 gives X = 3/7, R = 4/3 and 10/3', () => {
  const r = mva(
    [
      { name: 'a', kind: 'queue', demand: 1 },
      { name: 'b', kind: 'queue', demand: 2 },
    ],
    2,
  );
  close(r.throughput, 3 / 7, 'X');
  close(r.residence[0]!, 4 / 3, 'R_a');
  close(r.residence[1]!, 10 / 3, 'R_b');
  close(r.queueLength[0]! + r.queueLength[1]!, 2, 'every customer is somewhere (Little)');
});

test('a delay center never queues: X = N / (D + Z)', () => {
  const r = mva([{ name: 'link', kind: 'delay', demand: 5 }], 4, 1);
  close(r.throughput, 4 / 6, 'X');
  close(r.responseTime, 5, 'R');
  close(r.utilization[0]!, 0, 'U');
});

test('a multi-server station, exact: by hand for N = 3, m = 2, D = 2, Z = 2, and against the chain', () => {
  // By hand: n=1 R=2, X=1/4, p1=.5; n=2 R=2, X=1/2, p=(.25,.5,.25); n=3 R=2·(.25+.5+1.5·.25)=2.25.
  const r = mva([{ name: 'pool', kind: 'queue', demand: 2, servers: 2 }], 3, 2);
  close(r.responseTime, 2.25, 'R');
  close(r.throughput, 3 / 4.25, 'X');
  close(r.throughput, birthDeath(3, 2, 2, 2), 'X against the chain');
  // No think time: two at once are served without waiting, a third waits.
  close(mva([{ name: 'pool', kind: 'queue', demand: 2, servers: 2 }], 2).responseTime, 2, 'R with N = m');
  close(mva([{ name: 'pool', kind: 'queue', demand: 2, servers: 2 }], 3).responseTime, 3, 'R with N = m + 1');
  for (const [n, m, d, z] of [
    [50, 10, 7, 30],
    [200, 10, 8, 1],
    [12, 4, 1, 0.5],
  ] as const) {
    close(
      mva([{ name: 'pool', kind: 'queue', demand: d, servers: m }], n, z).throughput,
      birthDeath(n, m, d, z),
      `X, N=${n} m=${m}`,
      1e-7,
    );
  }
});

/**
 * The product-form normalising constant by convolution (Buzen), independent of MVA: per
 * station f(j) = D^j / Π_{k≤j} min(k, m) (a delay: m = ∞, i.e. D^j / j!), G = their
 * convolution, X(N) = G(N−1) / G(N).
 */
function convolutionThroughput(stations: Station[], n: number): number {
  let g = [1, ...Array<number>(n).fill(0)];
  for (const s of stations) {
    const f = [1];
    for (let j = 1; j <= n; j++) {
      const servers = s.kind === 'delay' ? j : Math.min(j, s.servers ?? 1);
      f.push((f[j - 1]! * s.demand) / servers);
    }
    g = g.map((_, k) => g.slice(0, k + 1).reduce((a, gi, i) => a + gi * f[k - i]!, 0));
  }
  return g[n - 1]! / g[n]!;
}

test('many servers and many customers: exact, where 1 − Σ p(j) for p(0) would drift (m = 15, 100)', () => {
  // Nobody can queue with N ≤ m: residence is the demand.
  const wide = mva(
    [
      { name: 'pool', kind: 'queue', demand: 6.3, servers: 100 },
      { name: 'rest', kind: 'delay', demand: 20 },
    ],
    100,
  );
  close(wide.residence[0]!, 6.3, 'R with N ≤ m', 1e-9);
  close(wide.throughput, 100 / 26.3, 'X with N ≤ m', 1e-9);
  const mixed: Station[] = [
    { name: 'cpu', kind: 'queue', demand: 0.55 },
    { name: 'pool', kind: 'queue', demand: 6.6, servers: 15 },
    { name: 'link', kind: 'delay', demand: 3 },
  ];
  for (const n of [20, 60, 100])
    close(mva(mixed, n).throughput, convolutionThroughput(mixed, n), `X(${n}) against the convolution`, 1e-9);
  const light: Station[] = [
    { name: 'pool', kind: 'queue', demand: 6.3, servers: 20 },
    { name: 'think', kind: 'delay', demand: 200 },
  ];
  close(mva(light, 120).throughput, convolutionThroughput(light, 120), 'a lightly loaded pool', 1e-9);
});

test('no demand anywhere: an infinite throughput, never NaN', () => {
  const r = mva(
    [
      { name: 'cpu', kind: 'queue', demand: 0 },
      { name: 'link', kind: 'delay', demand: 0 },
    ],
    3,
  );
  assert.equal(r.throughput, Infinity);
  assert.deepEqual(r.queueLength, [0, 0]);
});

test("beyond the exact limit, Seidmann's approximation: near the chain, saturated at m/D", () => {
  const split = seidmann({ name: 'pool', kind: 'queue', demand: 8, servers: 10 });
  assert.deepEqual(
    split.map((s) => [s.kind, s.demand]),
    [
      ['queue', 0.8],
      ['delay', 7.2],
    ],
  );
  const n = EXACT_LIMIT + 500;
  const stations: Station[] = [
    { name: 'pool', kind: 'queue', demand: 8, servers: 10 },
    { name: 'cpu', kind: 'queue', demand: 0.5 },
  ];
  const r = mva(stations, n, 100);
  close(r.throughput, 10 / 8, 'X at saturation', 1e-6);
  assert.equal(r.residence.length, 2, 'one residence per station given');
  close(r.utilization[0]!, 1, 'pool utilization', 1e-6);
});

test('bad input is refused with the station named', () => {
  assert.throws(() => mva([{ name: 'cpu', kind: 'queue', demand: -1 }], 3), /station cpu: demand/);
  assert.throws(
    () => mva([{ name: 'pool', kind: 'queue', demand: 1, servers: 0 }], 3),
    /station pool: servers/,
  );
  assert.throws(() => mva([], 1.5), /customers must be an integer/);
});
