import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, type Rng } from '../math/random';
import { choleskyInPlace } from '../math/linalg';
import { createPolicy, disjointFeatureMap, parsePolicySettings, sharedFeatureMap, type Policy, type PolicyKind } from './index';
import { ThompsonPolicy } from './thompson';
import { LinUcbPolicy } from './linucb';

const kinds: PolicyKind[] = ['thompson', 'linucb', 'epsilon', 'baseline'];

/** A linear environment: mu(x, a) = x·θ_a + b_a, reward = mu + N(0, 0.1²). */
function linearEnvironment(k: number, d: number, seed: number) {
  const rng = createRng(seed);
  const theta = Array.from({ length: k }, () => Array.from({ length: d }, () => rng.normal() / Math.sqrt(d)));
  const bias = Array.from({ length: k }, () => 0.5 * rng.normal());
  return {
    context: (r: Rng) => Float64Array.from({ length: d }, () => r.normal()),
    mean: (x: Float64Array, a: number) => theta[a]!.reduce((s, w, j) => s + w * x[j]!, bias[a]!),
  };
}

function makePolicy(kind: PolicyKind, k: number, d: number, settings: unknown = {}): Policy {
  const all = Array.from({ length: k }, (_, a) => a);
  return createPolicy(kind, disjointFeatureMap(k, d), parsePolicySettings(settings), { baselineArm: 0, trustRegionArms: all });
}

function train(policy: Policy, env: ReturnType<typeof linearEnvironment>, rounds: number, seed: number): void {
  const rng = createRng(seed);
  const eligible = new Uint8Array(policy.armCount).fill(1);
  for (let t = 0; t < rounds; t++) {
    const x = env.context(rng);
    const { armIndex } = policy.recommend(x, eligible, rng);
    policy.update(x, armIndex, env.mean(x, armIndex) + 0.1 * rng.normal());
  }
}

test('Thompson (disjoint) propensities are within 0.01 of brute-force P(argmax) over posterior draws of θ', () => {
  const k = 4;
  const d = 2;
  const env = linearEnvironment(k, d, 3);
  const policy = new ThompsonPolicy(disjointFeatureMap(k, d), {
    ridge: { lambda: 1, forgetting: 1, refactorEvery: 512, keepCholesky: false },
    noiseVariance: 0.25,
    noisePriorVariance: 0.25,
    noisePriorWeight: 2,
    explorationScale: 1,
    floor: 0,
    monteCarloDraws: 512,
  });
  train(policy, env, 12, 1); // few rounds: the posterior is still wide and several arms can win
  const x = Float64Array.from([0.3, -0.7]);
  const eligible = new Uint8Array(k).fill(1);
  const p = new Float64Array(k);
  policy.probabilities(x, eligible, createRng(1), p);
  // Brute force: draw θ̃_a ~ N(θ̂_a, σ² A_a⁻¹) for every arm and count the argmax of θ̃_aᵀ[1, x].
  const snapshot = policy.snapshot();
  const input = [1, x[0]!, x[1]!];
  const arms = snapshot.scorer!.models.map((m) => {
    const a = Float64Array.from(m.a);
    const inverse = invert3(a);
    const mean = [0, 1, 2].map((i) => [0, 1, 2].reduce((s, j) => s + inverse[i * 3 + j]! * m.b[j]!, 0));
    const cov = inverse.map((v) => v * 0.25);
    choleskyInPlace(cov, 3);
    return { mean, chol: cov };
  });
  const rng = createRng(99);
  const wins = new Array<number>(k).fill(0);
  const draws = 200_000;
  for (let t = 0; t < draws; t++) {
    let best = -1;
    let bestScore = -Infinity;
    arms.forEach((arm, a) => {
      const z = [rng.normal(), rng.normal(), rng.normal()];
      let score = 0;
      for (let i = 0; i < 3; i++) {
        let theta = arm.mean[i]!;
        for (let j = 0; j <= i; j++) theta += arm.chol[i * 3 + j]! * z[j]!;
        score += theta * input[i]!;
      }
      if (score > bestScore) {
        bestScore = score;
        best = a;
      }
    });
    wins[best]!++;
  }
  const contested = Array.from(p).filter((v) => v > 0.05).length;
  assert.ok(contested >= 2, `the case should be contested, got ${Array.from(p).join(', ')}`);
  for (let a = 0; a < k; a++) assert.ok(Math.abs(p[a]! - wins[a]! / draws) < 0.01, `arm ${a}: quadrature ${p[a]}, brute force ${wins[a]! / draws}`);
});

function invert3(m: Float64Array): Float64Array {
  const [a, b, c, d, e, f, g, h, i] = Array.from(m) as [number, number, number, number, number, number, number, number, number];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return Float64Array.from([e * i - f * h, c * h - b * i, b * f - c * e, f * g - d * i, a * i - c * g, c * d - a * f, d * h - e * g, b * g - a * h, a * e - b * d].map((v) => v / det));
}

/** Thompson sampling on a shared model, σ² = 0.2, no uniform floor, `draws` Monte Carlo draws. */
function sharedThompson(map: ReturnType<typeof sharedFeatureMap>, draws: number): ThompsonPolicy {
  return new ThompsonPolicy(map, {
    ridge: { lambda: 1, forgetting: 1, refactorEvery: 512, keepCholesky: true },
    noiseVariance: 0.2,
    noisePriorVariance: 0.25,
    noisePriorWeight: 2,
    explorationScale: 1,
    floor: 0,
    monteCarloDraws: draws,
  });
}

test('Thompson (shared model) Monte Carlo propensities are within 0.01 of brute force', () => {
  const actionFeatures = [[0], [0.5], [1], [1.5]];
  const map = sharedFeatureMap(1, actionFeatures);
  const make = (draws: number) => sharedThompson(map, draws);
  const trainSet = (policy: ThompsonPolicy) => {
    const rng = createRng(5);
    for (let t = 0; t < 10; t++) {
      const x = Float64Array.from([rng.normal()]);
      const a = t % 4;
      policy.update(x, a, 0.3 * actionFeatures[a]![0]! - 0.2 * actionFeatures[a]![0]! ** 2 + 0.1 * x[0]! + 0.3 * rng.normal());
    }
  };
  // 50,000 draws: standard error ≤ 0.0022, so 0.01 is more than 4 standard errors.
  const estimate = make(50_000);
  const reference = make(400_000);
  trainSet(estimate);
  trainSet(reference);
  const x = Float64Array.from([0.4]);
  const eligible = new Uint8Array(4).fill(1);
  const p = new Float64Array(4);
  const truth = new Float64Array(4);
  estimate.probabilities(x, eligible, createRng(11), p);
  reference.probabilities(x, eligible, createRng(12), truth);
  assert.ok(Array.from(truth).filter((v) => v > 0.05).length >= 2, `contested case expected: ${Array.from(truth).join(', ')}`);
  for (let a = 0; a < 4; a++) assert.ok(Math.abs(p[a]! - truth[a]!) < 0.01, `arm ${a}: ${p[a]} vs ${truth[a]}`);
});

test('Thompson (shared model) draws in antithetic pairs: arms level in mean win exactly half the draws each, in score and in parameter space', () => {
  const make = (actionFeatures: number[][], draws: number) => sharedThompson(sharedFeatureMap(0, actionFeatures), draws);
  // No data: every mean is 0. Two arms ([1, −1] and [1, 1]: K = dim φ = 2, score space) win on the
  // sign of the draw's slope, which the pair's other half flips; with independent draws an exact
  // half has a chance of about 1 in 40.
  const x = new Float64Array(0);
  const two = new Float64Array(2);
  make([[-1], [1]], 1024).probabilities(x, new Uint8Array(2).fill(1), createRng(3), two);
  assert.deepEqual(Array.from(two), [0.5, 0.5]);
  // Three arms (K > dim φ: parameter space): the middle one never wins, the outer two a half each.
  const three = new Float64Array(3);
  make([[-1], [0], [1]], 1024).probabilities(x, new Uint8Array(3).fill(1), createRng(4), three);
  assert.deepEqual(Array.from(three), [0.5, 0, 0.5]);
  // An odd number of draws: the last is drawn alone, and the shares still sum to 1.
  const odd = new Float64Array(2);
  make([[-1], [1]], 1025).probabilities(x, new Uint8Array(2).fill(1), createRng(5), odd);
  assert.ok(Math.abs(odd[0]! + odd[1]! - 1) < 1e-12 && Math.abs(odd[0]! - 0.5) <= 1 / 1025 + 1e-12, `odd: ${Array.from(odd).join(', ')}`);
});

test('LinUCB logs the probability it drew with: empirical draw frequencies match the logged vector', () => {
  const policy = new LinUcbPolicy(disjointFeatureMap(3, 1), {
    ridge: { lambda: 1, forgetting: 1, refactorEvery: 512, keepCholesky: false },
    alpha: 0.5,
    exploration: { kind: 'softmax', temperature: 0.3 },
  });
  policy.update(Float64Array.from([1]), 0, 1);
  policy.update(Float64Array.from([1]), 1, 0.5);
  const x = Float64Array.from([1]);
  const eligible = new Uint8Array(3).fill(1);
  const rng = createRng(2);
  const counts = [0, 0, 0];
  let logged: number[] = [];
  const n = 100_000;
  for (let t = 0; t < n; t++) {
    const choice = policy.recommend(x, eligible, rng);
    counts[choice.armIndex]!++;
    logged = Array.from(choice.probabilities);
  }
  logged.forEach((p, a) => {
    const se = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(counts[a]! / n - p) < 5 * se, `arm ${a}: drawn ${counts[a]! / n}, logged ${p}`);
  });
});

for (const kind of kinds) {
  test(`${kind}: probability vectors sum to 1, ineligible arms get 0, and no served arm has probability 0`, () => {
    const k = 6;
    const env = linearEnvironment(k, 3, 1);
    const policy = makePolicy(kind, k, 3);
    const rng = createRng(4);
    for (let t = 0; t < 300; t++) {
      const x = env.context(rng);
      const eligible = Uint8Array.from({ length: k }, (_, a) => (a === t % k && t % 3 === 0 ? 0 : 1));
      const choice = policy.recommend(x, eligible, rng);
      const sum = choice.probabilities.reduce((s, p) => s + p, 0);
      assert.ok(Math.abs(sum - 1) < 1e-9, `sum ${sum}`);
      assert.ok(choice.probabilities[choice.armIndex]! > 0);
      assert.equal(eligible[choice.armIndex], 1);
      for (let a = 0; a < k; a++) if (!eligible[a]) assert.equal(choice.probabilities[a], 0);
      policy.update(x, choice.armIndex, env.mean(x, choice.armIndex));
    }
  });

  test(`${kind}: the same seed gives the same decisions, and snapshot → restore continues identically`, () => {
    const k = 5;
    const env = linearEnvironment(k, 2, 8);
    const run = (policy: Policy, rng: Rng, rounds: number) => {
      const arms: number[] = [];
      for (let t = 0; t < rounds; t++) {
        const x = env.context(rng);
        const { armIndex } = policy.recommend(x, new Uint8Array(k).fill(1), rng);
        arms.push(armIndex);
        policy.update(x, armIndex, env.mean(x, armIndex));
      }
      return arms;
    };
    const first = makePolicy(kind, k, 2);
    const second = makePolicy(kind, k, 2);
    assert.deepEqual(run(first, createRng(3), 200), run(second, createRng(3), 200));
    const rngA = createRng(9);
    run(first, rngA, 50);
    const restored = makePolicy(kind, k, 2);
    restored.restore(JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<Policy['snapshot']>);
    assert.equal(restored.version, first.version);
    const rngB = createRng(0, rngA.state());
    assert.deepEqual(run(restored, rngB, 100), run(first, rngA, 100));
  });

  test(`${kind}: a rejected update (NaN reward, bad arm, Infinity feature) changes nothing`, () => {
    const policy = makePolicy(kind, 3, 2);
    policy.update(Float64Array.from([0.1, 0.2]), 1, 0.5);
    const before = JSON.stringify(policy.snapshot());
    assert.throws(() => policy.update(Float64Array.from([0.1, 0.2]), 1, Number.NaN), /reward is NaN/);
    assert.throws(() => policy.update(Float64Array.from([0.1, 0.2]), 3, 1), /arm index 3 is outside 0..2/);
    assert.throws(() => policy.update(Float64Array.from([Infinity, 0.2]), 0, 1), /context feature 0 is Infinity/);
    assert.equal(JSON.stringify(policy.snapshot()), before);
  });

  test(`${kind}: extreme inputs (zeros, ±1e6, constant features) leave no NaN`, () => {
    const policy = makePolicy(kind, 4, 3);
    const rng = createRng(1);
    const eligible = new Uint8Array(4).fill(1);
    const contexts = [
      [0, 0, 0],
      [1e6, -1e6, 1e6],
      [1, 1, 1],
      [1e-300, 0, -1e-300],
    ].map((c) => Float64Array.from(c));
    for (let t = 0; t < 400; t++) {
      const x = contexts[t % contexts.length]!;
      const choice = policy.recommend(x, eligible, rng);
      assert.ok(choice.probabilities.every((p) => Number.isFinite(p) && p >= 0), `round ${t}: ${Array.from(choice.probabilities).join(', ')}`);
      policy.update(x, choice.armIndex, t % 2 === 0 ? 1e3 : -1e3);
    }
    assert.ok(!JSON.stringify(policy.snapshot()).includes('null'), 'snapshot holds a NaN or Infinity');
  });
}

// Without the exploration floor: with a floor γ the regret has a linear term γ·T·(mean gap), the
// price of valid propensities, which the rounds benchmarks measure.
const noFloor = { thompson: { floor: 0 }, linucb: { exploration: { kind: 'epsilon', epsilon: 0 } } };
for (const kind of ['thompson', 'linucb'] as const) {
  test(`${kind}: regret grows sublinearly on a linear environment (the second 2,000 rounds cost < 1/3 of the first)`, () => {
    const k = 6;
    const env = linearEnvironment(k, 4, 21);
    const policy = makePolicy(kind, k, 4, noFloor);
    const rng = createRng(6);
    const eligible = new Uint8Array(k).fill(1);
    const regret = [0, 0];
    for (let t = 0; t < 4000; t++) {
      const x = env.context(rng);
      const { armIndex } = policy.recommend(x, eligible, rng);
      let best = -Infinity;
      for (let a = 0; a < k; a++) best = Math.max(best, env.mean(x, a));
      regret[t < 2000 ? 0 : 1]! += best - env.mean(x, armIndex);
      policy.update(x, armIndex, env.mean(x, armIndex) + 0.1 * rng.normal());
    }
    assert.ok(regret[1]! < regret[0]! / 3, `first half ${regret[0]}, second half ${regret[1]}`);
  });
}

test('with a forgetting factor the model follows a drifting reward; without it, it stays anchored to the old data', () => {
  // Arm 0 pays 1 for 2,000 rounds, then 0; arm 1 always pays 0.5. Both arms are fed every round.
  const estimateAfterDrift = (forgetting: number) => {
    const policy = makePolicy('linucb', 2, 1, { ridge: { lambda: 1, forgetting, refactorEvery: 512 } });
    const x = Float64Array.from([0]);
    for (let t = 0; t < 2200; t++) {
      policy.update(x, 0, t < 2000 ? 1 : 0);
      policy.update(x, 1, 0.5);
    }
    const snapshot = policy.snapshot();
    const model = snapshot.scorer!.models[0]!;
    // θ̂ = A⁻¹b for the 2×2 model of arm 0 over [1, x] with x = 0: the intercept is b₀ / A₀₀.
    return model.b[0]! / model.a[0]!;
  };
  const forgetful = estimateAfterDrift(0.98);
  const anchored = estimateAfterDrift(1);
  assert.ok(forgetful < 0.05, `with γ = 0.98 arm 0's estimate is ${forgetful}, expected ≈ 0 after 200 rounds of 0`);
  assert.ok(anchored > 0.85, `with γ = 1 arm 0's estimate is ${anchored}, expected ≈ 2000/2200`);
});
