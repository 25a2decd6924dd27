import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../math/random';
import { fitRidge, predictRidge, rewardModelPredictions, type FeatureMap, type RewardSamples } from './rewardModel';

/** Disjoint linear model per action: φ(x, a) = e_a ⊗ [1, x] (K·(d+1) features). */
function disjointMap(k: number, d: number): FeatureMap<Float64Array> {
  return (x, a) => {
    const phi = new Float64Array(k * (d + 1));
    phi[a * (d + 1)] = 1;
    for (let j = 0; j < d; j++) phi[a * (d + 1) + 1 + j] = x[j] ?? 0;
    return phi;
  };
}

function linearSamples(n: number, k: number, d: number, truth: Float64Array, noise: number, seed: number): RewardSamples<Float64Array> {
  const rng = createRng(seed);
  const map = disjointMap(k, d);
  const contexts: Float64Array[] = [];
  const actions = new Int32Array(n);
  const rewards = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = Float64Array.from({ length: d }, () => rng.normal());
    const a = Math.floor(rng.next() * k);
    const phi = map(x, a);
    let r = 0;
    for (let j = 0; j < phi.length; j++) r += (phi[j] ?? 0) * (truth[j] ?? 0);
    contexts.push(x);
    actions[i] = a;
    rewards[i] = r + noise * rng.normal();
  }
  return { contexts, actions, rewards };
}

test('ridge on one feature matches the closed form Σxr/(λ + Σx²): x = [1, 2], r = [2, 4], λ = 1 → 10/6', () => {
  const samples: RewardSamples<number> = { contexts: [1, 2], actions: Int32Array.from([0, 0]), rewards: Float64Array.from([2, 4]) };
  const model = fitRidge(samples, (x) => Float64Array.of(x), 1);
  assert.ok(Math.abs((model.coefficients[0] ?? 0) - 10 / 6) < 1e-15);
  assert.ok(Math.abs(predictRidge(model, (x: number) => Float64Array.of(x), 3, 0) - 5) < 1e-14);
});

test('recovers a known linear truth (K = 3, d = 2, 9 coefficients) to 1e-6 from noiseless data with λ = 1e-9', () => {
  const truth = Float64Array.from([0.5, 1, -2, -0.3, 0.25, 0.75, 1.5, 0, -1]);
  const samples = linearSamples(300, 3, 2, truth, 0, 1);
  const model = fitRidge(samples, disjointMap(3, 2), 1e-9);
  truth.forEach((value, j) => assert.ok(Math.abs((model.coefficients[j] ?? 0) - value) < 1e-6, `coefficient ${j}`));
});

test('with noise sd 0.5 and 20000 rounds the coefficients are within 0.03 of the truth', () => {
  const truth = Float64Array.from([0.5, 1, -2, -0.3, 0.25, 0.75, 1.5, 0, -1]);
  const model = fitRidge(linearSamples(20000, 3, 2, truth, 0.5, 2), disjointMap(3, 2), 1);
  truth.forEach((value, j) => assert.ok(Math.abs((model.coefficients[j] ?? 0) - value) < 0.03, `coefficient ${j}: ${model.coefficients[j]} vs ${value}`));
});

test('predictions are n × K; with 3 folds round i is predicted by the model fitted on the rounds of the other folds', () => {
  const truth = Float64Array.from([0.5, 1, -2, -0.3, 0.25, 0.75]);
  const samples = linearSamples(30, 2, 2, truth, 0.5, 3);
  const map = disjointMap(2, 2);
  const predictions = rewardModelPredictions(samples, 2, map, { lambda: 0.1, folds: 3 });
  assert.equal(predictions.length, 60);
  for (const i of [0, 4, 29]) {
    const keep = Array.from({ length: 30 }, (_, j) => j).filter((j) => j % 3 !== i % 3);
    const outOfFold: RewardSamples<Float64Array> = {
      contexts: keep.map((j) => samples.contexts[j] ?? new Float64Array(2)),
      actions: Int32Array.from(keep.map((j) => samples.actions[j] ?? 0)),
      rewards: Float64Array.from(keep.map((j) => samples.rewards[j] ?? 0)),
    };
    const model = fitRidge(outOfFold, map, 0.1);
    for (let a = 0; a < 2; a++) {
      const expected = predictRidge(model, map, samples.contexts[i] ?? new Float64Array(2), a);
      assert.ok(Math.abs((predictions[i * 2 + a] ?? 0) - expected) < 1e-12, `round ${i}, action ${a}`);
    }
  }
  const inSample = rewardModelPredictions(samples, 2, map, { lambda: 0.1 });
  const full = fitRidge(samples, map, 0.1);
  assert.ok(Math.abs((inSample[5] ?? 0) - predictRidge(full, map, samples.contexts[2] ?? new Float64Array(2), 1)) < 1e-12);
});

test('a non-positive penalty or more folds than rounds is refused', () => {
  const samples = linearSamples(4, 2, 1, Float64Array.from([1, 1, 1, 1]), 0, 4);
  assert.throws(() => fitRidge(samples, disjointMap(2, 1), 0), /penalty/);
  assert.throws(() => rewardModelPredictions(samples, 2, disjointMap(2, 1), { lambda: 1, folds: 5 }), /5 folds/);
});
