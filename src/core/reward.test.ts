import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeReward, parseRewardSettings, qualityWithVerdict, relativeToBaseline } from './reward';
import type { Outcome } from './types';

const outcome: Outcome = { requestId: 'r1', timestamp: 0, latencyMs: 10_000, tokensIn: 1500, tokensOut: 500, finishReason: 'stop', quality: 0.8 };

test('the reward is quality − 0.002/s latency − 0.01 per 1k tokens by default', () => {
  // 0.8 − 0.002 · 10 − 0.01 · 2 = 0.76
  const { reward, violations } = computeReward(outcome, parseRewardSettings({}));
  assert.ok(Math.abs(reward - 0.76) < 1e-12, String(reward));
  assert.deepEqual(violations, []);
});

test('hard constraints report each violation, and the optional penalty applies per violation', () => {
  const settings = parseRewardSettings({ constraints: { maxLatencyMs: 5000, maxTokens: 1000, minQuality: 0.9 }, violationPenalty: 0.5 });
  const { reward, violations } = computeReward(outcome, settings);
  assert.deepEqual(violations, ['latency 10000 ms > max 5000 ms', 'tokens 2000 > max 1000', 'quality 0.800 < min 0.9']);
  assert.ok(Math.abs(reward - (0.76 - 1.5)) < 1e-12);
});

test('an errored request reports the error as a violation', () => {
  const { violations } = computeReward({ ...outcome, finishReason: 'error', error: 'HTTP 500', quality: 0 }, parseRewardSettings({}));
  assert.deepEqual(violations, ['error: HTTP 500']);
});

test('unusable outcomes are refused, naming the field', () => {
  assert.throws(() => computeReward({ ...outcome, latencyMs: Number.NaN }, parseRewardSettings({})), /latencyMs is NaN/);
  assert.throws(() => computeReward({ ...outcome, quality: 1.2 }, parseRewardSettings({})), /quality is 1\.2, not in \[0, 1\]/);
  assert.throws(() => parseRewardSettings({ weights: { quality: -1 } }), /paramloop\.reward\.weights\.quality/);
});

test('relative reward is the difference to the baseline', () => {
  assert.equal(relativeToBaseline(0.7, 0.5), 0.7 - 0.5);
});

test('a verdict sets the quality of a checked plan: accept 0.7 + 0.3·checks, reject 0.3·checks, a rating (r − 1) / 4 alone, none leaves the checks', () => {
  assert.equal(qualityWithVerdict(0.5, 'accept'), 0.85);
  assert.equal(qualityWithVerdict(0.5, 'reject'), 0.15);
  assert.equal(qualityWithVerdict(0.5, 'none'), 0.5);
  assert.equal(qualityWithVerdict(0.5, undefined), 0.5);
  assert.equal(qualityWithVerdict(0.2, 'reject', 5), 1);
  assert.equal(qualityWithVerdict(0.9, 'accept', 1), 0);
  assert.equal(qualityWithVerdict(0.9, undefined, 3), 0.5);
  // Out-of-range checks are clamped into [0, 1].
  assert.equal(qualityWithVerdict(1.4, 'accept'), 1);
});
