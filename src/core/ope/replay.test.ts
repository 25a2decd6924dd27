import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoggedRounds } from './loggedRounds';
import { deterministicCandidateActions, replayEvaluation } from './replay';

/*
 * K = 2, four rounds; the candidate always plays [0, 1, 1, 0].
 *
 *   round  logged a  r  pscore  candidate  match
 *   1      0         1  0.5     0          yes
 *   2      1         0  0.25    1          yes
 *   3      0         0  0.8     1          no
 *   4      1         1  0.5     0          no
 *
 *   replay          = (1 + 0)/2 = 0.5, with 2 matches
 *   weighted replay = (1/0.5 + 0/0.25) / (1/0.5 + 1/0.25) = 2/6 = 1/3
 */
const rounds: LoggedRounds = {
  n: 4,
  k: 2,
  actions: Int32Array.from([0, 1, 0, 1]),
  rewards: Float64Array.from([1, 0, 0, 1]),
  pscores: Float64Array.from([0.5, 0.25, 0.8, 0.5]),
  actionDist: Float64Array.from([1, 0, 0, 1, 0, 1, 1, 0]),
  estimatedRewards: new Float64Array(8),
};

test('replay averages the rewards of the 2 matching rounds (0.5); the propensity-weighted replay gives 2/6', () => {
  const candidate = deterministicCandidateActions(rounds);
  assert.deepEqual(Array.from(candidate ?? []), [0, 1, 1, 0]);
  const result = replayEvaluation(rounds, candidate ?? new Int32Array(0));
  assert.equal(result.matches, 2);
  assert.equal(result.n, 4);
  assert.equal(result.estimate, 0.5);
  assert.ok(Math.abs(result.weightedEstimate - 1 / 3) < 1e-15);
  assert.equal(result.loggingUniform, false);
});

test('under uniform logging (every pscore 1/K) plain and weighted replay agree and the logging is flagged uniform', () => {
  const uniform: LoggedRounds = { ...rounds, pscores: Float64Array.from([0.5, 0.5, 0.5, 0.5]) };
  const result = replayEvaluation(uniform, Int32Array.from([0, 1, 1, 0]));
  assert.equal(result.loggingUniform, true);
  assert.equal(result.estimate, 0.5);
  assert.equal(result.weightedEstimate, 0.5);
});

test('a stochastic candidate has no deterministic action list, and no match gives NaN with 0 matches', () => {
  assert.equal(deterministicCandidateActions({ ...rounds, actionDist: Float64Array.from([0.5, 0.5, 0, 1, 0, 1, 1, 0]) }), undefined);
  const none = replayEvaluation(rounds, Int32Array.from([1, 0, 1, 0]));
  assert.equal(none.matches, 0);
  assert.ok(Number.isNaN(none.estimate));
});
