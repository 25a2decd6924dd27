import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpace, isInsideTrustRegion, scaleTrustRegion, SpaceError } from './space';

test('the default space is the 4 × 2 × 3 grid of temperature, top_p and max_tokens, with the baseline inside', () => {
  const space = buildSpace({});
  assert.equal(space.arms.length, 24);
  assert.deepEqual(space.arms[space.baselineArm]!.params, { temperature: 0.2, topP: 1, maxTokens: 2048 });
  assert.equal(new Set(space.arms.map((a) => a.id)).size, 24, 'arm ids are unique');
});

test('the trust region keeps |Δtemperature| ≤ 0.2, |Δtop_p| ≤ 0.1 and max_tokens within a factor 2 of the baseline', () => {
  const space = buildSpace({});
  const inside = space.trustRegionArms.map((i) => space.arms[i]!.id).sort();
  // temperature 0, 0.2, 0.4 (not 0.7) × top_p 0.9, 1 × max_tokens 1024, 2048, 4096 = 18 arms
  assert.equal(inside.length, 18);
  assert.ok(!inside.some((id) => id.startsWith('t0.7')));
  const narrow = scaleTrustRegion(space.trustRegion, 0.5);
  assert.equal(narrow.temperature, 0.1);
  assert.ok(!isInsideTrustRegion(space, { temperature: 0, topP: 1, maxTokens: 2048 }, narrow));
  assert.ok(isInsideTrustRegion(space, { temperature: 0.2, topP: 1, maxTokens: 2048 }, narrow));
});

test('a baseline outside the bounds is refused, naming the setting', () => {
  assert.throws(() => buildSpace({ baseline: { temperature: 3 } }), (e: unknown) => e instanceof SpaceError && /paramloop\.space\.baseline\.temperature: 3 is outside the bounds \[0, 2\]/.test(e.message));
});

test('a grid value outside the bounds, an inverted range and an unknown field are refused, each by name', () => {
  assert.throws(() => buildSpace({ grid: { topP: [0.5, 1.5] } }), /paramloop\.space\.grid\.topP: 1\.5 is outside/);
  assert.throws(() => buildSpace({ grid: { temperature: { min: 1, max: 0, count: 3 } } }), /grid\.temperature: min 1 is greater than max 0/);
  assert.throws(() => buildSpace({ grid: { temprature: [0.1] } }), /paramloop\.space\.grid/);
  assert.throws(() => buildSpace({ grid: { temperature: [] } }), /paramloop\.space\.grid\.temperature/);
});

test('a space larger than maxArms is refused', () => {
  assert.throws(() => buildSpace({ grid: { temperature: { min: 0, max: 1, count: 20 }, maxTokens: { min: 256, max: 8192, count: 20, log: true } }, maxArms: 100 }), /400 arms exceed paramloop\.space\.maxArms \(100\)/);
});

test('ranges expand evenly (log-spaced when asked) and a baseline off the grid becomes an arm of its own', () => {
  const space = buildSpace({ baseline: { temperature: 0.3, maxTokens: 1000 }, grid: { temperature: { min: 0, max: 1, count: 3 }, maxTokens: { min: 512, max: 2048, count: 3, log: true } } });
  assert.deepEqual([...new Set(space.arms.map((a) => a.params.maxTokens))].sort((a, b) => a! - b!), [512, 1000, 1024, 2048]);
  assert.equal(space.arms.length, 10);
  assert.deepEqual(space.arms[space.baselineArm]!.params, { temperature: 0.3, maxTokens: 1000 });
});
