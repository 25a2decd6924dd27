import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../math/random';
import { bootstrapIntervals, countWeightedColumnSums, percentile } from './bootstrap';
import { buildEstimatorTerms, estimatorDefinitions, estimatorNames } from './estimators';
import type { LoggedRounds } from './loggedRounds';
import { makeSyntheticBandit, sampleSyntheticLog } from './synthetic';

const definitions = estimatorNames.map((name) => estimatorDefinitions[name]);

function syntheticRounds(seed: number, n: number): LoggedRounds {
  const bandit = makeSyntheticBandit({ contexts: 50, dim: 3, actions: 4, loggingBeta: 1, candidateBeta: 2, noiseSd: 0.5 }, createRng(1));
  const log = sampleSyntheticLog(bandit, n, createRng(seed));
  // A fixed, imperfect reward model: the true means shrunk by half.
  const estimatedRewards = new Float64Array(n * 4);
  log.contextIndex.forEach((c, i) => {
    for (let a = 0; a < 4; a++) estimatedRewards[i * 4 + a] = 0.5 * (bandit.meanReward[c * 4 + a] ?? 0);
  });
  return { ...log.rounds, estimatedRewards };
}

test('percentile interpolates linearly between order statistics as numpy does: [1..5] at 0.1 → 1.4, at 0.975 → 4.9', () => {
  const sorted = Float64Array.from([1, 2, 3, 4, 5]);
  assert.ok(Math.abs(percentile(sorted, 0.1) - 1.4) < 1e-12);
  assert.ok(Math.abs(percentile(sorted, 0.975) - 4.9) < 1e-12);
  assert.equal(percentile(sorted, 0), 1);
  assert.equal(percentile(sorted, 1), 5);
  assert.ok(Number.isNaN(percentile(new Float64Array(0), 0.5)));
});

test('the same seed gives identical intervals for every estimator, a different seed different ones', () => {
  const table = buildEstimatorTerms(syntheticRounds(7, 500));
  const first = bootstrapIntervals(table, definitions, { resamples: 200, alpha: 0.05, rng: createRng(42) });
  const again = bootstrapIntervals(table, definitions, { resamples: 200, alpha: 0.05, rng: createRng(42) });
  const other = bootstrapIntervals(table, definitions, { resamples: 200, alpha: 0.05, rng: createRng(43) });
  assert.deepEqual(again, first);
  for (const name of ['ips', 'snips', 'dr', 'sndr'] as const) {
    const e = estimatorNames.indexOf(name);
    assert.notEqual(other[e]?.lower, first[e]?.lower, name);
  }
});

test('counting draws per round gives the same replicates as materialising each resample from the same draws', () => {
  const rounds = syntheticRounds(3, 60);
  const table = buildEstimatorTerms(rounds);
  const resamples = 50;
  const [ips, snips] = bootstrapIntervals(table, [estimatorDefinitions.ips, estimatorDefinitions.snips], { resamples, alpha: 0.1, rng: createRng(5) });
  // Textbook resampling: draw n indices, build the resample, compute IPS and SNIPS on it.
  const rng = createRng(5);
  const ipsReplicates: number[] = [];
  const snipsReplicates: number[] = [];
  for (let b = 0; b < resamples; b++) {
    let sumIps = 0;
    let sumRw = 0;
    let sumW = 0;
    for (let t = 0; t < rounds.n; t++) {
      const i = Math.floor(rng.next() * rounds.n);
      const w = (rounds.actionDist[i * rounds.k + (rounds.actions[i] ?? 0)] ?? 0) / (rounds.pscores[i] ?? 1);
      sumIps += (rounds.rewards[i] ?? 0) * w;
      sumRw += (rounds.rewards[i] ?? 0) * w;
      sumW += w;
    }
    ipsReplicates.push(sumIps / rounds.n);
    snipsReplicates.push(sumRw / sumW);
  }
  const sortedIps = Float64Array.from(ipsReplicates).sort();
  const sortedSnips = Float64Array.from(snipsReplicates).sort();
  assert.ok(Math.abs((ips?.lower ?? 0) - percentile(sortedIps, 0.05)) < 1e-12);
  assert.ok(Math.abs((ips?.upper ?? 0) - percentile(sortedIps, 0.95)) < 1e-12);
  assert.ok(Math.abs((snips?.lower ?? 0) - percentile(sortedSnips, 0.05)) < 1e-12);
  assert.ok(Math.abs((snips?.upper ?? 0) - percentile(sortedSnips, 0.95)) < 1e-12);
});

test('SNIPS re-normalises inside each resample: with every reward 1 its interval is [1, 1] while IPS varies', () => {
  const rounds = syntheticRounds(11, 300);
  const ones: LoggedRounds = { ...rounds, rewards: new Float64Array(rounds.n).fill(1) };
  const [ips, snips] = bootstrapIntervals(buildEstimatorTerms(ones), [estimatorDefinitions.ips, estimatorDefinitions.snips], { resamples: 100, alpha: 0.05, rng: createRng(1) });
  assert.ok(Math.abs((snips?.lower ?? 0) - 1) < 1e-12 && Math.abs((snips?.upper ?? 0) - 1) < 1e-12);
  assert.ok((ips?.upper ?? 0) - (ips?.lower ?? 0) > 0.05);
});

test('a narrower level gives a narrower interval: 80% inside 95% for the same draws', () => {
  const table = buildEstimatorTerms(syntheticRounds(2, 400));
  const wide = bootstrapIntervals(table, [estimatorDefinitions.dr], { resamples: 300, alpha: 0.05, rng: createRng(9) })[0];
  const narrow = bootstrapIntervals(table, [estimatorDefinitions.dr], { resamples: 300, alpha: 0.2, rng: createRng(9) })[0];
  assert.ok((wide?.lower ?? 0) < (narrow?.lower ?? 0) && (narrow?.upper ?? 0) < (wide?.upper ?? 0));
});

test('resamples and alpha are checked: 0 resamples or alpha 1 are refused', () => {
  const table = buildEstimatorTerms(syntheticRounds(2, 10));
  assert.throws(() => bootstrapIntervals(table, definitions, { resamples: 0, alpha: 0.05, rng: createRng(1) }), /resamples/);
  assert.throws(() => bootstrapIntervals(table, definitions, { resamples: 10, alpha: 1, rng: createRng(1) }), /alpha/);
});

test('count-weighted column sums agree with the plain double loop for widths 3, 4 and 8', () => {
  const rng = createRng(17);
  const counts = Int32Array.from({ length: 37 }, () => Math.floor(rng.next() * 4));
  for (const width of [3, 4, 8]) {
    const values = Float64Array.from({ length: 37 * width }, () => rng.normal());
    const sums = new Float64Array(width).fill(99);
    countWeightedColumnSums(values, width, counts, sums);
    for (let c = 0; c < width; c++) {
      let expected = 0;
      for (let i = 0; i < 37; i++) expected += (counts[i] ?? 0) * (values[i * width + c] ?? 0);
      assert.ok(Math.abs((sums[c] ?? 0) - expected) < 1e-12, `width ${width}, column ${c}`);
    }
  }
});
