import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEventLog } from './events';
import { LLMParameterOptimizer, knowledgePrior } from './optimizer';
import { parsePolicySettings } from './policies';
import { createRng } from './math/random';
import { parseRewardSettings } from './reward';
import { buildSpace } from './space';
import type { Outcome, RequestContext, RolloutPhase } from './types';

const context: RequestContext = { taskType: 'planTask', languageId: 'typescript', promptTokens: 1200, selectionLines: 0, fileLines: 300, workspaceKind: 'folder', providerFamily: 'sim', hour: 10 };

function makeOptimizer(phase: RolloutPhase, seed = 1, policyKind: 'thompson' | 'linucb' = 'linucb') {
  let now = 1_000_000;
  const store = new MemoryEventLog();
  const optimizer = new LLMParameterOptimizer({
    space: buildSpace({}),
    policyKind,
    policySettings: parsePolicySettings({ linucb: { alpha: 0.5, exploration: { kind: 'softmax', temperature: 0.05 } } }),
    rewardSettings: parseRewardSettings({}),
    events: store,
    clock: { now: () => now },
    seed,
    phase,
  });
  return { optimizer, store, advance: (ms: number) => (now += ms) };
}

const outcomeFor = (requestId: string, quality = 0.8): Outcome => ({ requestId, timestamp: 0, latencyMs: 5000, tokensIn: 1000, tokensOut: 800, finishReason: 'stop', quality });

test('a decision carries the arm, its exact propensity, the full probability vector, policy, version, phase, server and baseline', () => {
  const { optimizer, store } = makeOptimizer('canary');
  const d = optimizer.recommend(context);
  assert.match(d.requestId, /^[0-9a-f]{32}$/);
  assert.equal(d.probabilities.length, 24);
  assert.ok(Math.abs(d.probabilities.reduce((s, p) => s + p, 0) - 1) < 1e-12);
  assert.equal(d.propensity, d.probabilities[d.armIndex]);
  assert.ok(d.propensity > 0);
  assert.equal(d.policyId, 'linucb');
  assert.equal(d.policyVersion, 0);
  assert.equal(d.phase, 'canary');
  assert.equal(d.baselineArmIndex, optimizer.space.baselineArm);
  assert.deepEqual(d.params, optimizer.space.arms[d.armIndex]!.params);
  assert.equal(d.featureNames.length, d.contextFeatures.length);
  assert.equal(d.taskType, 'planTask');
  assert.equal(d.randomStream, 0);
  // Nothing is recorded until the request is sent and the decision logged, with what the provider honoured.
  assert.equal(store.decisions.length, 0);
  optimizer.logDecision(d.requestId, { honouredParams: ['temperature', 'maxTokens'], droppedParams: ['topP'], modelUsed: 'llama3.1:8b' });
  assert.deepEqual(store.decisions.map((x) => [x.requestId, x.honouredParams, x.droppedParams, x.modelUsed]), [[d.requestId, ['temperature', 'maxTokens'], ['topP'], 'llama3.1:8b']]);
  assert.throws(() => optimizer.logDecision(d.requestId), /already logged/);
});

test('an outcome needs its decision logged first; a decision never sent is dropped after the reward wait, unrecorded', () => {
  const { optimizer, store, advance } = makeOptimizer('general');
  const d = optimizer.recommend(context);
  assert.throws(() => optimizer.recordOutcome(d.requestId, outcomeFor(d.requestId)), /never logged/);
  advance(31 * 60_000);
  assert.deepEqual(optimizer.expirePending(), []);
  assert.equal(optimizer.pendingCount, 0);
  assert.equal(store.events.length, 0);
});

test('in canary the logged vector is 0.95·π_baseline + 0.05·π_learned, and arms are drawn with exactly those probabilities', () => {
  const { optimizer } = makeOptimizer('canary', 4);
  const x = Float64Array.from(optimizer.recommend(context).contextFeatures);
  const eligible = new Uint8Array(24).fill(1);
  const learned = new Float64Array(24);
  const baseline = new Float64Array(24);
  optimizer.learned.probabilities(x, eligible, createRng(0), learned);
  optimizer.baseline.probabilities(x, eligible, createRng(0), baseline);
  const counts = new Array<number>(24).fill(0);
  const n = 10_000;
  let learnedServed = 0;
  let logged: number[] = [];
  for (let t = 0; t < n; t++) {
    const d = optimizer.recommend(context);
    counts[d.armIndex]!++;
    if (d.servedBy === 'learned') learnedServed++;
    logged = d.probabilities;
  }
  for (let a = 0; a < 24; a++) assert.ok(Math.abs(logged[a]! - (0.95 * baseline[a]! + 0.05 * learned[a]!)) < 1e-12, `arm ${a}`);
  assert.ok(Math.abs(learnedServed / n - 0.05) < 4 * Math.sqrt((0.05 * 0.95) / n), `learned share ${learnedServed / n}`);
  logged.forEach((p, a) => assert.ok(Math.abs(counts[a]! / n - p) < 5 * Math.sqrt((p * (1 - p)) / n) + 1e-9, `arm ${a}: drawn ${counts[a]! / n}, logged ${p}`));
});

test('in shadow the baseline serves and the learned policy’s would-be choice is logged beside it', () => {
  const { optimizer } = makeOptimizer('shadow', 2, 'thompson');
  for (let t = 0; t < 50; t++) {
    const d = optimizer.recommend(context);
    assert.equal(d.servedBy, 'baseline');
    assert.ok(d.shadow, 'shadow choice present');
    assert.equal(d.shadow.propensity, d.shadow.probabilities[d.shadow.armIndex]);
    assert.ok(optimizer.space.trustRegionArms.includes(d.armIndex), 'the baseline explores only inside the trust region');
  }
});

test('recordOutcome joins by request id and updates the learned policy; unknown ids, repeats and bad outcomes change nothing', () => {
  const { optimizer, store } = makeOptimizer('general');
  const d = optimizer.recommend(context);
  optimizer.logDecision(d.requestId);
  assert.throws(() => optimizer.recordOutcome('nope', outcomeFor('nope')), /no pending decision with request id nope/);
  assert.throws(() => optimizer.recordOutcome(d.requestId, { ...outcomeFor(d.requestId), latencyMs: Number.POSITIVE_INFINITY }), /latencyMs is Infinity/);
  assert.equal(optimizer.learned.version, 0);
  const { report } = optimizer.recordOutcome(d.requestId, outcomeFor(d.requestId));
  assert.ok(Math.abs(report.reward - (0.8 - 0.002 * 5 - 0.01 * 1.8)) < 1e-12);
  assert.equal(optimizer.learned.version, 1);
  assert.throws(() => optimizer.recordOutcome(d.requestId, outcomeFor(d.requestId)), /already recorded/);
  assert.equal(store.outcomes.length, 1);
});

test('after the reward wait a default reward closes the decision, marked defaulted, without teaching the policy', () => {
  const { optimizer, store, advance } = makeOptimizer('general');
  optimizer.logDecision(optimizer.recommend(context).requestId);
  advance(29 * 60_000);
  assert.deepEqual(optimizer.expirePending(), []);
  advance(2 * 60_000);
  assert.equal(optimizer.expirePending().length, 1);
  assert.equal(store.outcomes[0]!.outcome.defaulted, true);
  assert.equal(optimizer.learned.version, 0);
  assert.equal(optimizer.pendingCount, 0);
});

test('the same seed gives the same decisions, request ids included', () => {
  const run = () => {
    const { optimizer } = makeOptimizer('guarded', 9, 'thompson');
    return Array.from({ length: 30 }, (_, t) => {
      const d = optimizer.recommend({ ...context, promptTokens: 100 * (t + 1) });
      optimizer.logDecision(d.requestId);
      optimizer.recordOutcome(d.requestId, outcomeFor(d.requestId, (t % 10) / 10));
      return `${d.requestId}:${d.armIndex}:${d.servedBy}`;
    });
  };
  assert.deepEqual(run(), run());
});

test('the knowledge prior leans against high temperature and towards more tokens for long prompts', () => {
  const space = buildSpace({});
  const prior = knowledgePrior(space, 'shared')!;
  assert.equal(prior[1], -0.05); // intercept × temperature
  assert.equal(prior[2], -0.05); // intercept × temperature²
  assert.equal(knowledgePrior(space, 'disjoint'), undefined);
});

test('a sticky split decides who serves; the learned policy can be kept inside the trust region', () => {
  const { optimizer } = makeOptimizer('guarded', 3);
  const inside = new Uint8Array(24);
  for (const a of optimizer.space.trustRegionArms) inside[a] = 1;
  for (let t = 0; t < 40; t++) {
    const d = optimizer.recommend(context, { servedBy: 'learned', learnedEligible: inside });
    assert.equal(d.servedBy, 'learned');
    assert.equal(inside[d.armIndex], 1, `arm ${d.armId} is outside the trust region`);
    // Outside the trust region only the baseline (which never goes there either) could put mass.
    d.probabilities.forEach((p, a) => assert.ok(inside[a] || p === 0, `arm ${a} has ${p}`));
  }
  const { optimizer: shadow } = makeOptimizer('shadow', 3);
  assert.throws(() => shadow.recommend(context, { servedBy: 'learned' }), /cannot serve in phase shadow/);
});
