import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dominatedBy, dominates } from './pareto';

test('an arm is dominated only when another is no worse on quality, latency and tokens and better on one', () => {
  const base = { quality: 0.6, latencyMs: 2000, tokens: 900 };
  assert.equal(dominates({ quality: 0.7, latencyMs: 2000, tokens: 900 }, base), true, 'better quality, same cost');
  assert.equal(dominates({ quality: 0.6, latencyMs: 1900, tokens: 900 }, base), true, 'faster, same otherwise');
  assert.equal(dominates({ quality: 0.6, latencyMs: 2000, tokens: 900 }, base), false, 'equal points dominate neither way');
  assert.equal(dominates({ quality: 0.9, latencyMs: 2100, tokens: 500 }, base), false, 'a trade-off: slower');
});

test('flags the dominated arms of a hand-checked set and names who dominates them', () => {
  // 0: baseline. 1: better quality at more tokens (a trade-off: on the front). 2: worse than 0 on
  // everything. 3: as good as 0 on quality and tokens, faster: dominates 0 and 2. 4: worse than 1
  // on quality and latency at the same tokens: dominated by 1; better quality than 0 and 3, so not by them.
  const points = [
    { quality: 0.6, latencyMs: 2000, tokens: 900 },
    { quality: 0.8, latencyMs: 2500, tokens: 1500 },
    { quality: 0.5, latencyMs: 2600, tokens: 1000 },
    { quality: 0.6, latencyMs: 1800, tokens: 900 },
    { quality: 0.7, latencyMs: 2600, tokens: 1500 },
  ];
  assert.deepEqual(dominatedBy(points), [[3], [], [0, 3], [], [1]]);
});
