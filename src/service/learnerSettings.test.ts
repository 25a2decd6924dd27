import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readLearnerSettings } from './learnerSettings';

test('unset settings give the default space (24 arms, baseline t0.2-p1-m2048), Thompson sampling and no problems', () => {
  const { settings, problems } = readLearnerSettings({});
  assert.deepEqual(problems, []);
  assert.equal(settings.space.arms.length, 24);
  assert.equal(settings.space.arms[settings.space.baselineArm]?.id, 't0.2-p1-m2048');
  assert.equal(settings.policyKind, 'thompson');
});

test('a baseline and a grid from the settings make the space; the policy kind and reward weights are read', () => {
  const { settings, problems } = readLearnerSettings({
    baseline: { temperature: 0.4, topP: 1, maxTokens: 1024 },
    space: { grid: { temperature: [0.2, 0.4, 0.6], maxTokens: [512, 1024] } },
    policy: { kind: 'linucb' },
    reward: { weights: { quality: 2 } },
  });
  assert.deepEqual(problems, []);
  assert.equal(settings.space.arms.length, 6);
  assert.deepEqual(settings.space.arms[settings.space.baselineArm]?.params, { temperature: 0.4, topP: 1, maxTokens: 1024 });
  assert.equal(settings.policyKind, 'linucb');
  assert.equal(settings.rewardSettings.weights.quality, 2);
});

test('each invalid section is named with its field and replaced by its default alone; the valid ones are kept', () => {
  const { settings, problems } = readLearnerSettings({
    baseline: { temperature: 0.4, topP: 1, maxTokens: 1024 },
    space: { grid: { temperature: 'hot' } },
    reward: { weights: { quality: -1 } },
    rollout: { phases: { canary: { trafficShare: 2 } } },
    budget: { defaultLimits: { daily: 50_000, weekly: null } },
    policy: { kind: 'oracle' },
  });
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.match(problems[0]!, /^paramloop\.space: grid\.temperature: .*using the default space instead$/);
  assert.match(problems[1]!, /^paramloop\.policy: kind: /);
  assert.match(problems[2]!, /^paramloop\.reward: .*weights\.quality/);
  assert.match(problems[3]!, /^paramloop\.rollout: phases\.canary\.trafficShare: /);
  // The baseline survives the bad grid; the budget is kept.
  assert.deepEqual(settings.space.arms[settings.space.baselineArm]?.params, { temperature: 0.4, topP: 1, maxTokens: 1024 });
  assert.deepEqual(settings.guarded?.budget, { defaultLimits: { daily: 50_000, weekly: null } });
  assert.equal(settings.policyKind, 'thompson');
});

test('a baseline outside every space\'s bounds is named, and the default baseline used', () => {
  const { settings, problems } = readLearnerSettings({ baseline: { temperature: 3 } });
  assert.equal(problems.length >= 1, true);
  assert.deepEqual(problems, ['paramloop.baseline: temperature: 3 is outside the bounds [0, 2]; using the default baseline instead']);
  assert.equal(settings.space.arms[settings.space.baselineArm]?.id, 't0.2-p1-m2048');
});
