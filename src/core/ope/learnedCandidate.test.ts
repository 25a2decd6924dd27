import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicy, disjointFeatureMap, parsePolicySettings } from '../policies';
import { createRng } from '../math/random';
import { buildSpace } from '../space';
import { learnedCandidate, splitRows, TrainingRowError } from './learnedCandidate';

const space = buildSpace({ baseline: { temperature: 0.5, topP: 1, maxTokens: 2048 }, grid: { temperature: [0, 0.5, 1] } });

test('the trained candidate is the policy of that kind updated with the rows in order (ε-greedy, disjoint: its greedy arm has the best mean)', () => {
  assert.equal(space.arms.length, 3);
  const settings = parsePolicySettings({ featureMap: 'disjoint', epsilon: { epsilon: 0.3 } });
  // Arm 2 earns 1, the others 0, whatever the context.
  const rows = Array.from({ length: 30 }, (_, i) => ({ context: [i % 2], armIndex: i % 3, reward: i % 3 === 2 ? 1 : 0 }));
  const { policy, featureMap } = learnedCandidate(rows, { kind: 'epsilon', settings, space, contextDim: 1 });
  assert.equal(featureMap.kind, 'disjoint');
  assert.equal(policy.version, 30);
  const reference = createPolicy('epsilon', disjointFeatureMap(3, 1), settings, { baselineArm: space.baselineArm, trustRegionArms: space.trustRegionArms });
  for (const row of rows) reference.update(Float64Array.from(row.context), row.armIndex, row.reward);
  const mine = new Float64Array(3);
  const theirs = new Float64Array(3);
  policy.probabilities(Float64Array.of(1), Uint8Array.of(1, 1, 1), createRng(1), mine);
  reference.probabilities(Float64Array.of(1), Uint8Array.of(1, 1, 1), createRng(1), theirs);
  assert.deepEqual(Array.from(mine), Array.from(theirs));
  assert.ok(Math.abs((mine[2] ?? 0) - (0.7 + 0.1)) < 1e-12, `greedy arm 2 gets 1 − ε + ε/3, got ${mine[2]}`);
});

test('a row the policy cannot learn from is named by its index', () => {
  const settings = parsePolicySettings({ featureMap: 'disjoint' });
  assert.throws(
    () => learnedCandidate([{ context: [0], armIndex: 0, reward: 1 }, { context: [0], armIndex: 7, reward: 1 }], { kind: 'linucb', settings, space, contextDim: 1 }),
    (error: unknown) => error instanceof TrainingRowError && error.index === 1 && /arm index 7 is outside 0\.\.2/.test(error.reason),
  );
});

test('a time split: the earliest share trains, or the rows before a time; none trains and scores every row', () => {
  const rows = [10, 20, 30, 40, 50].map((timestamp) => ({ timestamp }));
  assert.deepEqual(splitRows(rows, { kind: 'share', share: 0.5 }), { train: [{ timestamp: 10 }, { timestamp: 20 }], score: [{ timestamp: 30 }, { timestamp: 40 }, { timestamp: 50 }] });
  assert.deepEqual(splitRows(rows, { kind: 'until', until: 40 }).train.length, 3);
  const none = splitRows(rows, { kind: 'none' });
  assert.deepEqual([none.train.length, none.score.length], [5, 5]);
});
