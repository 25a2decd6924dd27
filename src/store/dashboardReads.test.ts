// The dashboard's reads on a small log whose right answers are written in the tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ServedBy } from '../core/types';
import { chooseBucketing, refreshBuckets, scanBuckets, scanBucketsMarked } from './dashboardScan';
import { openStore, type Store } from './store';
import type { BucketCell, Bucketing } from './dashboardReads';
import { logSynthetic, seededRandom, syntheticEvent, syntheticStartMs } from './testing/synthetic';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');
const hour = 3_600_000;
const t0 = 1_767_571_200_000; // 2026-01-05T00:00Z, a whole number of hours

/** Decision n at `t0 + minutes`, served by `servedBy` with arm `arm`, and its reward (none: no outcome). */
interface Row {
  minutes: number;
  servedBy: ServedBy;
  arm: number;
  reward?: number;
  quality?: number;
  latencyMs?: number;
  tokens?: number;
}

const rowsOfTheLog: Row[] = [
  { minutes: 5, servedBy: 'baseline', arm: 2, reward: 0.2, quality: 0.5, latencyMs: 1000, tokens: 500 },
  { minutes: 10, servedBy: 'baseline', arm: 2, reward: 0.4, quality: 0.7, latencyMs: 3000, tokens: 700 },
  { minutes: 20, servedBy: 'learned', arm: 5, reward: 0.9, quality: 0.9, latencyMs: 2000, tokens: 1000 },
  { minutes: 50, servedBy: 'baseline', arm: 3, reward: 0.6, quality: 0.6, latencyMs: 2000, tokens: 600 },
  { minutes: 70, servedBy: 'baseline', arm: 2, reward: 0.8, quality: 0.8, latencyMs: 1000, tokens: 300 },
  { minutes: 80, servedBy: 'learned', arm: 5 },
];

/** Runs `check` on the log, then closes it (before its folder is removed). */
async function withLog(t: { after(fn: () => Promise<void>): void }, check: (store: Store) => Promise<void> | void): Promise<void> {
  const store = await logOf(t);
  try {
    await check(store);
  } finally {
    await store.close();
  }
}

async function logOf(t: { after(fn: () => Promise<void>): void }): Promise<Store> {
  const dir = await tempDir(t, 'dashboard');
  const store = await openStore(join(dir, 'log'), { wasmDir });
  const random = seededRandom(7);
  rowsOfTheLog.forEach((row, i) => {
    const { decision, outcome } = syntheticEvent(i + 1, random);
    decision.timestamp = t0 + row.minutes * 60_000;
    decision.servedBy = row.servedBy;
    decision.phase = 'canary';
    decision.armIndex = row.arm;
    decision.armId = `arm${row.arm}`;
    decision.propensity = decision.probabilities[row.arm]!;
    delete decision.shadow;
    store.appendDecision(decision);
    if (row.reward !== undefined) {
      const tokensIn = 100;
      store.appendOutcome(
        { ...outcome, timestamp: decision.timestamp + 1000, quality: row.quality!, latencyMs: row.latencyMs!, tokensIn, tokensOut: row.tokens! - tokensIn },
        { reward: row.reward, violations: [] },
      );
    }
  });
  store.appendRolloutEvent({ timestamp: t0 + 30 * 60_000, kind: 'promote', fromPhase: 'shadow', toPhase: 'canary', payload: { kind: 'promote' } });
  store.appendSloIncident({ timestamp: t0 + 60 * 60_000, metric: 'quality', payload: { id: 'i1' } });
  await store.flush();
  return store;
}

test('buckets of a window: the smallest readable width that fits the count', () => {
  assert.deepEqual(chooseBucketing(0, 10 * hour, 100), { start: 0, width: 15 * 60_000, count: 40 });
  assert.deepEqual(chooseBucketing(t0 + 5 * 60_000, t0 + 81 * 60_000, 2), { start: t0, width: hour, count: 2 });
  // A one-day window in 200 buckets: 15-minute buckets (5 minutes would need 288).
  assert.equal(chooseBucketing(t0, t0 + 24 * hour, 200).width, 15 * 60_000);
  // Years of log in 10 buckets: whole multiples of 30 days, never more buckets than asked.
  const long = chooseBucketing(0, 3 * 365 * 24 * hour, 10);
  assert.ok(long.count <= 10 && long.width % (30 * 24 * hour) === 0, JSON.stringify(long));
});

test('one cell per bucket, served-by and arm, with counts, sums and sums of squares', (t) =>
  withLog(t, async (store) => {
    const cells = await scanBuckets(store, { start: t0, width: hour, count: 2 });
    const pick = (c: (typeof cells)[number]): unknown => [c.bucket, c.servedBy, c.armIndex, c.decisions, c.outcomes, c.rewarded, round(c.rewardSum), round(c.rewardSqSum), round(c.qualitySum), c.latencySum, c.tokensSum];
    assert.deepEqual(cells.map(pick), [
      // hour 0: arm 2 twice (rewards 0.2, 0.4: sum 0.6, squares 0.04 + 0.16), arm 3 once, arm 5 (learned) once
      [0, 'baseline', 2, 2, 2, 2, 0.6, 0.2, 1.2, 4000, 1200],
      [0, 'baseline', 3, 1, 1, 1, 0.6, 0.36, 0.6, 2000, 600],
      [0, 'learned', 5, 1, 1, 1, 0.9, 0.81, 0.9, 2000, 1000],
      // hour 1: arm 2 once, and a learned decision still waiting for its outcome
      [1, 'baseline', 2, 1, 1, 1, 0.8, 0.64, 0.8, 1000, 300],
      [1, 'learned', 5, 1, 0, 0, 0, 0, 0, 0, 0],
    ]);
  }));

test('a scan in slices of one sequence number merges to the one-slice answer, giving the loop back between slices', (t) =>
  withLog(t, async (store) => {
    const bucketing = chooseBucketing(t0, t0 + 2 * hour, 200);
    const whole = await scanBuckets(store, bucketing);
    let pauses = 0;
    const sliced = await scanBuckets(store, bucketing, { firstSliceSeqs: 1, minSliceSeqs: 1, sliceMs: 0, yieldToLoop: async () => void pauses++ });
    assert.deepEqual(sliced, whole);
    assert.ok(pauses >= 5, `paused ${pauses} times`);
    // A window that holds nothing, and one that cuts the log: only the rows inside count.
    assert.deepEqual(await scanBuckets(store, { start: t0 - 2 * hour, width: hour, count: 2 }), []);
    const firstHalfHour = await scanBuckets(store, { start: t0, width: 30 * 60_000, count: 1 });
    assert.equal(firstHalfHour.reduce((s, c) => s + c.decisions, 0), 3);
  }));

test('recent decisions come newest first a page at a time, with their outcomes', (t) =>
  withLog(t, async (store) => {
    const first = store.recentDecisions(undefined, 4);
    assert.deepEqual(first.rows.map((r) => [r.armIndex, r.servedBy, r.reward]), [[5, 'learned', null], [2, 'baseline', 0.8], [3, 'baseline', 0.6], [5, 'learned', 0.9]]);
    assert.equal(first.rows[1]?.tokens, 300);
    assert.ok(first.nextBefore !== null);
    const second = store.recentDecisions(first.nextBefore ?? undefined, 4);
    assert.deepEqual(second.rows.map((r) => r.reward), [0.4, 0.2]);
    assert.equal(second.nextBefore, null);
  }));

test('history lists rollout events and incidents newest first; the newest rewarded decisions come oldest first', (t) =>
  withLog(t, async (store) => {
    const history = store.history(undefined, 10);
    assert.deepEqual(history.rows.map((r) => [r.table, r.timestamp - t0]), [['incident', 60 * 60_000], ['rollout', 30 * 60_000]]);
    assert.deepEqual(store.history(undefined, 1).rows.map((r) => r.table), ['incident']);
    const newest = store.newestRewarded(3);
    assert.deepEqual(newest.map((l) => l.reward?.reward), [0.9, 0.6, 0.8]);
  }));

function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

test('a refresh adds the decisions and the late outcomes that came after the scan, equal to a new scan', (t) =>
  withLog(t, async (store) => {
    const bucketing = { start: t0, width: hour, count: 3 };
    const before = await scanBucketsMarked(store, bucketing);
    assert.equal(refreshBuckets(store, before, bucketing)?.cells.length, before.cells.length, 'nothing new: the same cells');
    // The waiting learned decision (minute 80) gets its outcome late, and a new one comes at minute 130.
    const waiting = store.recentDecisions(undefined, 1).rows[0]!;
    const { outcome } = syntheticEvent(50, seededRandom(3));
    store.appendOutcome({ ...outcome, requestId: waiting.requestId, timestamp: waiting.timestamp + 500, quality: 0.5, latencyMs: 1500, tokensIn: 100, tokensOut: 300 }, { reward: 0.5, violations: [] });
    const { decision } = syntheticEvent(51, seededRandom(4));
    decision.timestamp = t0 + 130 * 60_000;
    decision.servedBy = 'baseline';
    decision.armIndex = 2;
    decision.armId = 'arm2';
    decision.propensity = decision.probabilities[2]!;
    store.appendDecision(decision);
    await store.flush();
    const refreshed = refreshBuckets(store, before, bucketing);
    assert.ok(refreshed !== undefined);
    assert.deepEqual(refreshed.cells, await scanBuckets(store, bucketing));
    const learned = refreshed.cells.find((c) => c.bucket === 1 && c.servedBy === 'learned')!;
    assert.deepEqual([learned.decisions, learned.outcomes, learned.rewardSum], [1, 1, 0.5]);
    assert.equal(refreshed.cells.find((c) => c.bucket === 2)?.decisions, 1);
    // Other buckets: scan again.
    assert.equal(refreshBuckets(store, before, { ...bucketing, width: 2 * hour }), undefined);
  }));

test('a raw scan of a short window walks the sequence numbers of its own decisions only, not the whole log', async (t) => {
  const dir = await tempDir(t, 'dashboard');
  const store = await openStore(join(dir, 'log'), { wasmDir });
  try {
    // 3000 decisions one second apart, each with its outcome: events 1 to 6000.
    await logSynthetic(store, 1, 3000);
    const walked: [number, number][] = [];
    const counting = new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (key === 'dashboardBucketCells') return (b: Bucketing, after: number, upTo: number, outcomesUpTo?: number) => (walked.push([after, upTo]), target.dashboardBucketCells(b, after, upTo, outcomesUpTo));
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    // Ten one-minute buckets from the 1000th second on: decisions 1000 to 1599 (events 1999 to 3197).
    const bucketing = { start: syntheticStartMs + 1000 * 1000, width: 60_000, count: 10 };
    const cells = await scanBuckets(counting, bucketing, { firstSliceSeqs: 100, minSliceSeqs: 100, sliceMs: 0, yieldToLoop: async () => {} });
    assert.deepEqual([walked[0]?.[0], walked[walked.length - 1]?.[1]], [1998, 3197]);
    assert.equal(cells.reduce((s, c) => s + c.decisions, 0), 600);
    // What one query over the whole log gives (sums up to rounding: slices add them in another order).
    const whole = store.dashboardBucketCells(bucketing, 0, store.lastSeq);
    const pick = (c: BucketCell): unknown => [c.bucket, c.servedBy, c.armIndex, c.decisions, c.outcomes, c.rewarded, round(c.rewardSum), round(c.rewardSqSum), round(c.latencySum), c.tokensSum];
    assert.deepEqual(cells.map(pick), whole.map(pick));
  } finally {
    await store.close();
  }
});
