import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, sampleIndex } from '../math/random';
import { armComparisonTerms, compareWithArm } from './armComparison';
import type { LoggedRounds } from './loggedRounds';

// Two rounds, K = 2, worked by hand. Candidate π = (0.25, 0.75) on both; the fixed arm is 0.
// Round 1: served arm 0 with μ = 0.5, r = 1, q̂ = (0.6, 0.2):
//   Γ(π) = 0.25·0.6 + 0.75·0.2 + (0.25/0.5)(1 − 0.6) = 0.15 + 0.15 + 0.2 = 0.5
//   Γ(0) = 0.6 + (1/0.5)(1 − 0.6) = 1.4,  D = −0.9
// Round 2: served arm 1 with μ = 0.25, r = 0, q̂ = (0.4, 0.8):
//   Γ(π) = 0.1 + 0.6 + (0.75/0.25)(0 − 0.8) = −1.7
//   Γ(0) = 0.4 (arm 0 not served: no correction),  D = −2.1
const handRounds: LoggedRounds = {
  n: 2,
  k: 2,
  actions: Int32Array.of(0, 1),
  rewards: Float64Array.of(1, 0),
  pscores: Float64Array.of(0.5, 0.25),
  actionDist: Float64Array.of(0.25, 0.75, 0.25, 0.75),
  estimatedRewards: Float64Array.of(0.6, 0.2, 0.4, 0.8),
};

test('the per-round DR terms of the candidate, the fixed arm and their difference match the textbook formulas worked by hand', () => {
  const { values } = armComparisonTerms(handRounds, 0);
  const expected = [-0.9, 0.5, 1.4, -2.1, -1.7, 0.4];
  expected.forEach((v, i) => assert.ok(Math.abs(values[i]! - v) < 1e-12, `term ${i}: ${values[i]} vs ${v}`));
  const c = compareWithArm(handRounds, 0, { level: 0.05 });
  assert.ok(Math.abs(c.difference.estimate - -1.5) < 1e-12);
  assert.ok(Math.abs(c.candidate.estimate - -0.6) < 1e-12);
  assert.ok(Math.abs(c.arm.estimate - 0.9) < 1e-12);
  // Every lower bound lies at or below its estimate.
  for (const e of [c.difference, c.candidate, c.arm]) assert.ok(e.lower <= e.estimate);
});

// A context-free world with known values: arms' mean rewards μ, logger (0.6, 0.2, 0.2), candidate
// (0.1, 0.2, 0.7), fixed arm 0. V(candidate) − V(arm 0) = 0.1·0.3 + 0.2·0.5 + 0.7·0.45 − 0.3 = 0.145.
const mu = [0.3, 0.5, 0.45];
const logger = [0.6, 0.2, 0.2];
const candidate = [0.1, 0.2, 0.7];
const trueDifference = candidate.reduce((s, p, a) => s + p * mu[a]!, 0) - mu[0]!;

function log(seed: number, n: number): LoggedRounds {
  const rng = createRng(seed);
  const actions = new Int32Array(n);
  const rewards = new Float64Array(n);
  const pscores = new Float64Array(n);
  const actionDist = new Float64Array(n * 3);
  const estimatedRewards = new Float64Array(n * 3).fill(0.4);
  for (let i = 0; i < n; i++) {
    const a = sampleIndex(logger, rng.next());
    actions[i] = a;
    rewards[i] = mu[a]! + 0.2 * rng.normal();
    pscores[i] = logger[a]!;
    actionDist.set(candidate, i * 3);
  }
  return { n, k: 3, actions, rewards, pscores, actionDist, estimatedRewards };
}

test('over 400 logs of 300 rounds the difference estimate is unbiased for the true 0.145 and its 5% lower bound lies above the truth in about 5% of them', () => {
  let sum = 0;
  let above = 0;
  const runs = 400;
  for (let s = 0; s < runs; s++) {
    const c = compareWithArm(log(s + 1, 300), 0, { level: 0.05 });
    sum += c.difference.estimate;
    if (c.difference.lower > trueDifference) above++;
  }
  const mean = sum / runs;
  assert.ok(Math.abs(mean - trueDifference) < 0.01, `mean ${mean} vs ${trueDifference}`);
  assert.ok(above / runs <= 0.08, `lower bound above the truth in ${above} of ${runs}`);
});

test('a level outside (0, 0.5) and an arm outside the space are refused', () => {
  assert.throws(() => compareWithArm(handRounds, 0, { level: 0.5 }), /level/);
  assert.throws(() => compareWithArm(handRounds, 2, { level: 0.05 }), /arm 2/);
});
