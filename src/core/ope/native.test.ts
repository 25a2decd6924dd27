import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BaselinePolicy } from '../policies/baseline';
import { disjointFeatureMap } from '../policies';
import { createRng } from '../math/random';
import { evaluateCandidate } from './evaluate';
import { jointRewardFeatures, nativeLoggedRounds, NativeRoundError, type NativeRound } from './native';

// K = 3 arms, context x ∈ R², true mean reward q(x, a) = c_a + x·β_a (linear, so the disjoint ridge
// model is well specified).
const intercepts = [0.2, 0.5, -0.1];
const slopes = [
  [1, 0],
  [0, -1],
  [0.5, 0.5],
];
const q = (x: readonly number[], a: number): number => (intercepts[a] ?? 0) + (slopes[a]?.[0] ?? 0) * (x[0] ?? 0) + (slopes[a]?.[1] ?? 0) * (x[1] ?? 0);

// Candidate: the baseline policy on arm 1 with 30% exploration over arms 0 and 2 → π_e = [0.15, 0.7, 0.15].
const candidate = new BaselinePolicy({ armCount: 3, contextDim: 2, baselineArm: 1, exploration: 0.3, explorationArms: [0, 2] });
const map = disjointFeatureMap(3, 2);

function uniformLog(n: number, seed: number): NativeRound[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const x = [rng.normal(), rng.normal()];
    const a = Math.floor(rng.next() * 3);
    return { context: x, armIndex: a, propensity: 1 / 3, loggingProbabilities: [1 / 3, 1 / 3, 1 / 3], reward: q(x, a) };
  });
}

test('the disjoint joint features put [1, x] in the arm\'s block: arm 2 of 3 with x = (4, 5) → [0,0,0, 0,0,0, 1,4,5]', () => {
  assert.deepEqual(Array.from(jointRewardFeatures(map)(Float64Array.of(4, 5), 2)), [0, 0, 0, 0, 0, 0, 1, 4, 5]);
});

test('each round gets the candidate\'s distribution [0.15, 0.7, 0.15] and its logged action, propensity and reward', () => {
  const rows = uniformLog(20, 1);
  const { rounds } = nativeLoggedRounds(rows, { policy: candidate, featureMap: map, rng: createRng(0), rewardModel: { lambda: 1, folds: 1 } });
  assert.equal(rounds.n, 20);
  assert.equal(rounds.k, 3);
  for (let i = 0; i < 20; i++) {
    assert.deepEqual(Array.from(rounds.actionDist.subarray(i * 3, i * 3 + 3)).map((p) => Math.round(p * 1e12) / 1e12), [0.15, 0.7, 0.15]);
    assert.equal(rounds.actions[i], rows[i]?.armIndex);
    assert.equal(rounds.pscores[i], 1 / 3);
    assert.equal(rounds.rewards[i], rows[i]?.reward);
  }
});

test('with noiseless linear rewards the cross-fitted ridge model recovers q, so DM equals the candidate\'s value on the logged contexts', () => {
  const rows = uniformLog(600, 2);
  const { rounds } = nativeLoggedRounds(rows, { policy: candidate, featureMap: map, rng: createRng(0), rewardModel: { lambda: 1e-8, folds: 5 } });
  let truth = 0;
  for (const row of rows) {
    const x = Array.from(row.context);
    truth += 0.15 * q(x, 0) + 0.7 * q(x, 1) + 0.15 * q(x, 2);
  }
  truth /= rows.length;
  const evaluation = evaluateCandidate(rounds, { estimators: ['dm', 'dr'] });
  const [dm, dr] = evaluation.results;
  assert.ok(Math.abs((dm?.estimate ?? 0) - truth) < 1e-6, `DM ${dm?.estimate} vs ${truth}`);
  assert.ok(Math.abs((dr?.estimate ?? 0) - truth) < 1e-6, `DR ${dr?.estimate} vs ${truth}`);
});

test('candidate mass on arms the logger never serves is reported: logger on arms 0 and 1 only, candidate puts 0.15 on arm 2', () => {
  const rows = uniformLog(10, 3).map((row) => ({ ...row, armIndex: row.armIndex % 2, propensity: 0.5, loggingProbabilities: [0.5, 0.5, 0] }));
  const { candidateMassOffSupport } = nativeLoggedRounds(rows, { policy: candidate, featureMap: map, rng: createRng(0), rewardModel: { lambda: 1, folds: 2 } });
  assert.ok(Math.abs(candidateMassOffSupport - 0.15) < 1e-12);
});

test('a round whose context does not fit the policy, or with a bad propensity, is refused naming the round and field', () => {
  const rows = uniformLog(3, 4);
  const bad = [rows[0], { ...rows[1], context: [1, 2, 3] }, rows[2]] as NativeRound[];
  assert.throws(() => nativeLoggedRounds(bad, { policy: candidate, featureMap: map, rng: createRng(0), rewardModel: { lambda: 1, folds: 1 } }), (error: unknown) => error instanceof NativeRoundError && error.index === 1 && error.field === 'contextFeatures');
  const zero = [{ ...rows[0], propensity: 0 }] as NativeRound[];
  assert.throws(() => nativeLoggedRounds(zero, { policy: candidate, featureMap: map, rng: createRng(0), rewardModel: { lambda: 1, folds: 1 } }), /round 1: propensity/);
});

test('an eligibility mask confines the candidate: baseline arm 1 with exploration restricted to arm 0 → [0.3, 0.7, 0]', () => {
  const rows = uniformLog(5, 5);
  const { rounds, candidateMassOffSupport } = nativeLoggedRounds(rows, { policy: candidate, featureMap: map, rng: createRng(0), rewardModel: { lambda: 1, folds: 1 }, eligible: Uint8Array.of(1, 1, 0) });
  assert.deepEqual(Array.from(rounds.actionDist.subarray(0, 3)).map((p) => Math.round(p * 1e12) / 1e12), [0.3, 0.7, 0]);
  assert.equal(candidateMassOffSupport, 0);
});

test('a round\'s own eligibility mask restricts the candidate there: with arm 2 masked out on even rounds (the logger could not serve it), π_e is [0.3, 0.7, 0] on them and no mass falls off the logging support', () => {
  const rows = uniformLog(10, 5).map((row, i) =>
    i % 2 === 0
      ? { ...row, armIndex: row.armIndex === 2 ? 0 : row.armIndex, propensity: 0.5, loggingProbabilities: [0.5, 0.5, 0], eligible: Uint8Array.of(1, 1, 0) }
      : row,
  );
  const unmasked = nativeLoggedRounds(
    rows.map(({ eligible: _eligible, ...row }) => row),
    { policy: candidate, featureMap: map, rng: createRng(0), rewardModel: { lambda: 1, folds: 1 } },
  );
  // Without the masks the candidate keeps 0.15 on arm 2 on the five masked rounds: 0.075 off support on average.
  assert.ok(Math.abs(unmasked.candidateMassOffSupport - 0.075) < 1e-12, String(unmasked.candidateMassOffSupport));
  const masked = nativeLoggedRounds(rows, { policy: candidate, featureMap: map, rng: createRng(0), rewardModel: { lambda: 1, folds: 1 } });
  assert.equal(masked.candidateMassOffSupport, 0);
  for (let i = 0; i < 10; i += 2) {
    assert.deepEqual(Array.from(masked.rounds.actionDist.subarray(i * 3, i * 3 + 3)).map((p) => Math.round(p * 1e12) / 1e12), [0.3, 0.7, 0]);
  }
});

test('a round whose mask allows no arm, or has the wrong length, is refused by index and field', () => {
  const rows = uniformLog(3, 6);
  const options = { policy: candidate, featureMap: map, rng: createRng(0), rewardModel: { lambda: 1, folds: 1 } };
  assert.throws(() => nativeLoggedRounds([rows[0]!, { ...rows[1]!, eligible: Uint8Array.of(0, 0, 0) }], options), /round 2: eligibleArms: no arm is eligible/);
  assert.throws(() => nativeLoggedRounds([{ ...rows[0]!, eligible: Uint8Array.of(1, 1) }], options), /round 1: eligibleArms: has 2 flags/);
});
