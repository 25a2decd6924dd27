import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../core/math/random';
import { parsePolicySettings } from '../core/policies';
import { parseRewardSettings } from '../core/reward';
import { contextFeatures } from '../core/features';
import { cappedLognormalMean, clippedNormalMean, createLlmPlanningEnvironment } from './llmPlanning';
import { runLlmPlanning } from './runLlm';
import type { TaskType } from '../core/types';

const env = createLlmPlanningEnvironment();
const reward = parseRewardSettings({});

test('closed forms: clipped normal and capped lognormal means match their definitions', () => {
  // μ = 0.95, σ = 0.1: E[clip] < μ because the top is cut; by numeric integration it is 0.93021.
  let integral = 0;
  for (let z = -8; z < 8; z += 1e-4) integral += Math.min(1, Math.max(0, 0.95 + 0.1 * z)) * Math.exp(-0.5 * z * z) * 1e-4;
  integral /= Math.sqrt(2 * Math.PI);
  assert.ok(Math.abs(clippedNormalMean(0.95, 0.1) - integral) < 1e-6, `${clippedNormalMean(0.95, 0.1)} vs ${integral}`);
  assert.ok(Math.abs(cappedLognormalMean(1000, 0.1, 1e9) - 1000) < 1e-6, 'no cap: the mean is c');
  assert.ok(cappedLognormalMean(1000, 0.1, 1000) < 1000 && cappedLognormalMean(1000, 0.1, 1000) > 950);
});

test('the environment’s stated means equal the average of its sampled outcomes (200,000 draws)', () => {
  const rng = createRng(3);
  const context = env.sampleContext(rng);
  const arm = env.space.arms[5]!;
  const mean = env.meanOutcome(context, arm);
  const n = 200_000;
  let quality = 0;
  let tokens = 0;
  let latency = 0;
  for (let i = 0; i < n; i++) {
    const o = env.sampleOutcome(context, arm, rng, 'r', 0);
    quality += o.quality / n;
    tokens += o.tokensOut / n;
    latency += o.latencyMs / n;
  }
  assert.ok(Math.abs(quality - mean.quality) < 0.001, `quality ${quality} vs ${mean.quality}`);
  assert.ok(Math.abs(tokens / mean.tokensOut - 1) < 0.002, `tokens ${tokens} vs ${mean.tokensOut}`);
  assert.ok(Math.abs(latency / mean.latencyMs - 1) < 0.002, `latency ${latency} vs ${mean.latencyMs}`);
});

test('each task type has its own optimum, and it is not the baseline', () => {
  const rng = createRng(1);
  const best = new Map<TaskType, Set<string>>();
  for (let i = 0; i < 400; i++) {
    const context = { ...env.sampleContext(rng), promptTokens: 1500 };
    const { armIndex } = env.optimum(context, reward);
    if (!best.has(context.taskType)) best.set(context.taskType, new Set());
    best.get(context.taskType)!.add(env.space.arms[armIndex]!.id);
  }
  assert.deepEqual(Object.fromEntries([...best].map(([t, ids]) => [t, [...ids]]).sort()), {
    breakDownTodo: ['t0.7-p0.9-m1024'],
    planSelection: ['t0.2-p1-m1024'],
    planTask: ['t0.4-p0.9-m2048'],
    planTests: ['t0-p1-m4096'],
  });
});

for (const policy of ['thompson', 'linucb'] as const) {
  test(`${policy}: after 3,000 requests the learned arm of every task type is the optimum (within 0.01 of its reward)`, () => {
    const { optimizer } = runLlmPlanning({ environment: env, policy, policySettings: parsePolicySettings({ thompson: { monteCarloDraws: 256 } }), rewardSettings: reward, rounds: 3000, seed: 2 });
    const rng = createRng(77);
    const scorer = (optimizer.learned as unknown as { scorer: { score(x: Float64Array, e: Uint8Array): void; means: Float64Array } }).scorer;
    const eligible = new Uint8Array(env.space.arms.length).fill(1);
    for (let i = 0; i < 200; i++) {
      const context = env.sampleContext(rng);
      scorer.score(contextFeatures(context), eligible);
      let learnedArm = 0;
      for (let a = 1; a < eligible.length; a++) if (scorer.means[a]! > scorer.means[learnedArm]!) learnedArm = a;
      const best = env.optimum(context, reward);
      const gap = best.reward - env.meanReward(context, env.space.arms[learnedArm]!, reward);
      assert.ok(gap < 0.01, `${context.taskType} (${context.promptTokens} tokens): learned ${env.space.arms[learnedArm]!.id}, optimum ${env.space.arms[best.armIndex]!.id}, gap ${gap.toFixed(4)}`);
    }
  });
}
