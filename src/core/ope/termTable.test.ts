import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../math/random';
import { countWeightedColumnSums } from './bootstrap';
import { buildEstimatorTerms, estimatorDefinitions, estimatorNames } from './estimators';
import { evaluateCandidate } from './evaluate';
import type { LoggedRounds } from './loggedRounds';
import { makeSyntheticBandit, sampleSyntheticLog } from './synthetic';
import { centredTerms, evaluateRatioEstimator, pointEstimates } from './termTable';

/** n rounds, K = 2, uniform logging and candidate, every prediction `predicted`, every reward `reward`. */
function constantRounds(n: number, predicted: number, reward: number): LoggedRounds {
  return {
    n,
    k: 2,
    actions: Int32Array.from({ length: n }, (_, i) => i % 2),
    rewards: new Float64Array(n).fill(reward),
    pscores: new Float64Array(n).fill(0.5),
    actionDist: new Float64Array(2 * n).fill(0.5),
    estimatedRewards: new Float64Array(2 * n).fill(predicted),
  };
}

test('DM of constant predictions 0.7 over 3,000 rounds is 0.7, and its interval contains it (the raw sums missed it by 1e-14)', () => {
  for (const predicted of [0.7, 1 / 3, 0.1]) {
    const evaluation = evaluateCandidate(constantRounds(3000, predicted, predicted), {
      estimators: [...estimatorNames],
      bootstrap: { resamples: 200, alpha: 0.05, rng: createRng(1) },
    });
    for (const result of evaluation.results) {
      const interval = result.interval;
      assert.ok(interval !== undefined);
      assert.ok(interval.lower <= result.estimate && result.estimate <= interval.upper, `${result.name} at ${predicted}: ${result.estimate} outside [${interval.lower}, ${interval.upper}]`);
    }
    const dm = evaluation.results.find((r) => r.name === 'dm');
    assert.equal(dm?.estimate, predicted);
  }
});

test('centring changes no estimate: on a synthetic log every estimator, on the full table and on resamples, agrees with the raw sums to 1e-12', () => {
  const bandit = makeSyntheticBandit({ contexts: 40, dim: 3, actions: 4, loggingBeta: 1, candidateBeta: 2, noiseSd: 0.5 }, createRng(3));
  const log = sampleSyntheticLog(bandit, 800, createRng(4));
  const estimatedRewards = Float64Array.from({ length: 800 * 4 }, (_, j) => 0.5 * (bandit.meanReward[(log.contextIndex[Math.floor(j / 4)] ?? 0) * 4 + (j % 4)] ?? 0));
  const raw = buildEstimatorTerms({ ...log.rounds, estimatedRewards });
  const definitions = estimatorNames.map((name) => estimatorDefinitions[name]);
  const centred = centredTerms(raw, definitions);
  const rawEstimates = pointEstimates(raw, definitions);
  const centredEstimates = pointEstimates(centred.table, centred.estimators);
  definitions.forEach((definition, e) => {
    assert.ok(Math.abs((centredEstimates[e] ?? 0) - (rawEstimates[e] ?? 0)) < 1e-12, definition.name);
  });
  // A resample: counts drawn at random; the count-weighted ratios agree as well.
  const rng = createRng(5);
  const counts = new Int32Array(800);
  for (let t = 0; t < 800; t++) counts[Math.floor(rng.next() * 800)]!++;
  const rawSums = new Float64Array(raw.width);
  const centredSums = new Float64Array(raw.width);
  countWeightedColumnSums(raw.values, raw.width, counts, rawSums);
  countWeightedColumnSums(centred.table.values, raw.width, counts, centredSums);
  definitions.forEach((definition, e) => {
    const a = evaluateRatioEstimator(definition, rawSums, 800);
    const b = evaluateRatioEstimator(centred.estimators[e]!, centredSums, 800);
    assert.ok(Math.abs(a - b) < 1e-12, `${definition.name}: ${a} vs ${b}`);
  });
});

test('a column that divides, or is divided by two different things, is left as it is', () => {
  const table = { n: 2, width: 3, values: Float64Array.of(1, 2, 3, 4, 5, 6) };
  const { table: centred, estimators } = centredTerms(table, [
    { name: 'a', parts: [{ numerator: 0, denominator: 1 }] },
    { name: 'b', parts: [{ numerator: 2 }, { numerator: 2, denominator: 1 }] },
  ]);
  assert.deepEqual(Array.from(centred.values), [1 - (5 / 7) * 2, 2, 3, 4 - (5 / 7) * 5, 5, 6]);
  assert.deepEqual(estimators[1]?.parts, [{ numerator: 2 }, { numerator: 2, denominator: 1 }]);
});
