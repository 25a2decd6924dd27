import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BucketCell } from '../store/dashboardReads';
import { nextGateText } from './dashboardOverview';
import { armMeans, meanInterval, rewardOverTime, selectionOverTime } from './dashboardSeries';

const cell = (bucket: number, servedBy: BucketCell['servedBy'], armIndex: number, rewards: number[], extra: Partial<BucketCell> = {}): BucketCell => ({
  bucket,
  servedBy,
  armIndex,
  decisions: rewards.length,
  outcomes: rewards.length,
  rewarded: rewards.length,
  rewardSum: rewards.reduce((s, r) => s + r, 0),
  rewardSqSum: rewards.reduce((s, r) => s + r * r, 0),
  qualitySum: 0,
  latencySum: 0,
  tokensSum: 0,
  ...extra,
});

test('mean and 95% normal interval from n, sum and sum of squares, by hand', () => {
  // rewards 0.2 and 0.4: mean 0.3, s² = (0.2 − 0.6²/2)/1 = 0.02, s/√n = 0.1, half width 1.959964 × 0.1
  const m = meanInterval(2, 0.6, 0.2);
  assert.ok(Math.abs(m.mean! - 0.3) < 1e-12);
  assert.ok(Math.abs(m.lower! - 0.1040036) < 1e-6 && Math.abs(m.upper! - 0.4959964) < 1e-6, JSON.stringify(m));
  assert.deepEqual(meanInterval(1, 0.7, 0.49), { mean: 0.7, lower: null, upper: null });
  assert.deepEqual(meanInterval(0, 0, 0), { mean: null, lower: null, upper: null });
  // equal values: no spread, the interval is the point
  assert.deepEqual(meanInterval(3, 1.5, 0.75), { mean: 0.5, lower: 0.5, upper: 0.5 });
});

test('reward over time folds the cells per bucket and traffic kind', () => {
  const bucketing = { start: 1000, width: 10, count: 3 };
  const cells = [cell(0, 'baseline', 2, [0.2]), cell(0, 'baseline', 3, [0.4]), cell(0, 'learned', 5, [0.9]), cell(2, 'baseline', 2, [0.8], { decisions: 2 })];
  const r = rewardOverTime(cells, bucketing);
  assert.deepEqual(r.bucketStarts, [1000, 1010, 1020]);
  assert.deepEqual(r.decisions, [3, 0, 2]);
  assert.deepEqual(r.baseline.n, [2, 0, 1]);
  assert.deepEqual(r.baseline.mean.map((x) => (x === null ? null : Math.round(x * 1e9) / 1e9)), [0.3, null, 0.8]);
  assert.ok(Math.abs(r.baseline.lower[0]! - 0.1040036) < 1e-6);
  assert.deepEqual(r.baseline.lower.slice(1), [null, null]);
  assert.deepEqual(r.learned.n, [1, 0, 0]);
  assert.deepEqual(r.learned.mean, [0.9, null, null]);
});

test('selection over time keeps the most served arms and sums the rest; arm means divide the sums', () => {
  const bucketing = { start: 0, width: 10, count: 2 };
  const cells = [
    cell(0, 'baseline', 0, [0, 0, 0], { qualitySum: 1.5, latencySum: 3000, tokensSum: 3000 }),
    cell(0, 'learned', 1, [1]),
    cell(1, 'baseline', 2, [1, 1]),
    cell(1, 'learned', 0, [1], { qualitySum: 0.5, latencySum: 1000, tokensSum: 600 }),
  ];
  const share = selectionOverTime(cells, bucketing, 2);
  // arm 0: 4, arm 2: 2, arm 1: 1 → arms 0 and 2 shown, arm 1 in other
  assert.deepEqual(share.series, [{ armIndex: 0, counts: [3, 1] }, { armIndex: 2, counts: [0, 2] }]);
  assert.deepEqual(share.other, [1, 0]);
  assert.deepEqual(share.totals, [4, 3]);
  const arm0 = armMeans(cells)[0]!;
  assert.deepEqual(arm0, { armIndex: 0, outcomes: 4, quality: 0.5, latencyMs: 1000, tokens: 900, reward: 0.25 });
});

test('what happens next, in words', () => {
  const canary = { phase: 'canary' as const, status: 'running', samples: 4, minSamples: 10, days: 2, minDays: 3, deadlineDays: 28, autoPromote: true };
  // 6 more learned outcomes at 2 a day: 3 days, longer than the 1 day the phase still needs
  assert.equal(nextGateText(canary), 'canary: 4 of 10 learned outcomes, 2 of 3 days; next gate in about 3 days');
  assert.equal(nextGateText({ ...canary, samples: 0 }), 'canary: 0 of 10 learned outcomes, 2 of 3 days; next gate once 10 more learned outcomes arrive');
  assert.equal(nextGateText({ ...canary, samples: 12, days: 2.5 }), 'canary: 10 of 10 learned outcomes, 2.5 of 3 days; next gate within a day');
  assert.equal(nextGateText({ ...canary, samples: 12, days: 4 }), 'canary: 10 of 10 learned outcomes, 3 of 3 days; the gate looks at the evidence at its next run (at most daily)');
  assert.match(nextGateText({ ...canary, status: 'paused' }), /paused: no promotion until someone resumes$/);
  assert.match(nextGateText({ ...canary, phase: 'shadow', samples: 1 }), /^shadow: 1 of 10 outcomes/);
  assert.match(nextGateText({ ...canary, phase: 'general' }), /no further gate/);
});
