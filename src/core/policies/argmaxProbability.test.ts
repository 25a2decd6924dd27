import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgmaxProbability } from './argmaxProbability';
import { createRng } from '../math/random';

/** Brute force: the share of draws in which each arm's sampled score is the largest. */
function bruteForce(means: number[], sds: number[], draws: number, seed: number): number[] {
  const rng = createRng(seed);
  const wins = new Array<number>(means.length).fill(0);
  for (let t = 0; t < draws; t++) {
    let best = -1;
    let bestScore = -Infinity;
    for (let a = 0; a < means.length; a++) {
      const s = means[a]! + sds[a]! * rng.normal();
      if (s > bestScore) {
        bestScore = s;
        best = a;
      }
    }
    wins[best]!++;
  }
  return wins.map((w) => w / draws);
}

function quadrature(means: number[], sds: number[], eligible?: number[]): number[] {
  const k = means.length;
  const out = new Float64Array(k);
  new ArgmaxProbability(k).compute(Float64Array.from(means), Float64Array.from(sds), Uint8Array.from(eligible ?? means.map(() => 1)), out);
  return Array.from(out);
}

const cases: Array<{ name: string; means: number[]; sds: number[] }> = [
  { name: 'two equal arms', means: [0, 0], sds: [1, 1] },
  { name: 'three close arms with alike spreads', means: [0.1, 0.0, -0.1], sds: [0.3, 0.25, 0.35] },
  { name: 'a sharp arm among wide ones (union grid)', means: [0.5, 0.0, 0.2, 0.45], sds: [0.01, 1.0, 0.8, 0.05] },
  { name: 'one arm far ahead', means: [3, 0, 0.1], sds: [0.1, 0.2, 0.3] },
  { name: 'twelve arms, mixed', means: [0.2, 0.1, 0.0, 0.25, -0.3, 0.22, 0.05, 0.3, -0.1, 0.15, 0.28, 0.0], sds: [0.1, 0.3, 0.5, 0.05, 0.2, 0.02, 0.4, 0.15, 0.6, 0.08, 0.12, 1.0] },
];

for (const c of cases) {
  test(`quadrature P(argmax) is within 0.01 of brute force: ${c.name}`, () => {
    const exact = quadrature(c.means, c.sds);
    const brute = bruteForce(c.means, c.sds, 400_000, 7);
    exact.forEach((p, a) => assert.ok(Math.abs(p - brute[a]!) < 0.01, `arm ${a}: quadrature ${p}, brute force ${brute[a]}`));
    assert.ok(Math.abs(exact.reduce((s, p) => s + p, 0) - 1) < 1e-12);
  });
}

test('two arms: P(S0 > S1) equals the closed form Φ((m0 − m1)/√(s0² + s1²))', () => {
  // m0 − m1 = 0.3, √(0.2² + 0.4²) = 0.4472 → Φ(0.6708) = 0.74883
  const [p0] = quadrature([0.3, 0], [0.2, 0.4]);
  assert.ok(Math.abs(p0! - 0.748836) < 1e-5, String(p0));
});

test('ineligible arms get probability 0 and are not rivals', () => {
  const p = quadrature([0, 5, 0], [1, 1, 1], [1, 0, 1]);
  assert.equal(p[1], 0);
  assert.ok(Math.abs(p[0]! - 0.5) < 1e-6 && Math.abs(p[2]! - 0.5) < 1e-6, p.join(','));
});
