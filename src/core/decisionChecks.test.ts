import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDistribution, checkLoggedChoice, checkReward, probabilityTolerance } from './decisionChecks';

const fields = (issues: readonly { field: string }[]): string[] => issues.map((issue) => issue.field);

test('a sound logged choice has no issue, float rounding of a mixture included', () => {
  // 0.7·[0.1, 0.2, 0.7] + 0.3·[1/3, 1/3, 1/3]: the sum is 1 only up to rounding.
  const probabilities = [0.7 * 0.1 + 0.3 / 3, 0.7 * 0.2 + 0.3 / 3, 0.7 * 0.7 + 0.3 / 3];
  assert.deepEqual(checkLoggedChoice({ armIndex: 2, propensity: probabilities[2]!, probabilities }), []);
  assert.deepEqual(checkLoggedChoice({ armIndex: 0, propensity: 0.5 + probabilityTolerance / 2, probabilities: [0.5, 0.5] }), []);
});

test('propensity 0, a propensity that disagrees with probabilities[armIndex], and an armIndex outside them are named', () => {
  assert.deepEqual(fields(checkLoggedChoice({ armIndex: 0, propensity: 0, probabilities: [0, 1] })), ['propensity']);
  const disagree = checkLoggedChoice({ armIndex: 1, propensity: 0.5, probabilities: [0.75, 0.25] });
  assert.deepEqual(disagree, [{ field: 'propensity', message: 'is 0.5, but probabilities[1], the probability of arm 1, is 0.25' }]);
  assert.deepEqual(fields(checkLoggedChoice({ armIndex: 2, propensity: 0.5, probabilities: [0.5, 0.5] })), ['armIndex']);
});

test('probabilities that sum to 24, or hold a negative entry, are named', () => {
  const probabilities = Array.from({ length: 24 }, () => 1);
  assert.deepEqual(checkLoggedChoice({ armIndex: 0, propensity: 1, probabilities }), [{ field: 'probabilities', message: 'sums to 24, not 1 (tolerance 0.000001)' }]);
  assert.match(checkDistribution([1.2, -0.2]) ?? '', /entry 0 is 1\.2, not a probability/);
  assert.match(checkDistribution([0.5, 0.5 + 2 * probabilityTolerance]) ?? '', /^sums to 1\.0000019+8?, not 1/);
});

test('an eligibility mask must be ascending indices inside the arms, hold the served arm, and carry all the probability', () => {
  assert.deepEqual(checkLoggedChoice({ armIndex: 1, propensity: 0.5, probabilities: [0.5, 0.5, 0], eligibleArms: [0, 1] }), []);
  assert.deepEqual(fields(checkLoggedChoice({ armIndex: 1, propensity: 0.5, probabilities: [0.5, 0.5, 0], eligibleArms: [1, 0] })), ['eligibleArms']);
  assert.deepEqual(fields(checkLoggedChoice({ armIndex: 1, propensity: 0.5, probabilities: [0.5, 0.5, 0], eligibleArms: [0, 3] })), ['eligibleArms']);
  assert.deepEqual(checkLoggedChoice({ armIndex: 1, propensity: 0.5, probabilities: [0.5, 0.5, 0], eligibleArms: [0, 2] }), [
    { field: 'eligibleArms', message: 'does not include the served arm 1' },
    { field: 'probabilities', message: 'entry 1 is 0.5, but arm 1 is not in eligibleArms' },
  ]);
  assert.deepEqual(fields(checkLoggedChoice({ armIndex: 0, propensity: 1, probabilities: [1, 0], eligibleArms: [] })), ['eligibleArms']);
});

test('rewards must be finite and within ±1e12', () => {
  assert.equal(checkReward(-0.3), undefined);
  assert.equal(checkReward(1e12), undefined);
  assert.match(checkReward(1e308) ?? '', /is 1e\+308; rewards beyond ±1e\+12 are refused/);
  assert.match(checkReward(Number.NaN) ?? '', /finite number, got NaN/);
});
