// The dashboard's rollup: on randomized logs, the cells it gives equal what one raw query over the
// whole log gives, through late outcomes, outcomes stored before their decision, retention, a
// reopen and a crash whose journal is replayed; and the migration from schema version 4 builds it
// from the rows already there, or changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServedBy } from '../core/types';
import type { BucketCell, Bucketing } from './dashboardReads';
import { chooseBucketing, scanBucketsMarked } from './dashboardScan';
import { EventWriter } from './records';
import { dayMs, hourMs, rollupGrainFor } from './rollup';
import { migrate, readSchemaVersion } from './schema';
import { loadSqlJs } from './sqlite';
import { openStore, snapshotFileName, type Store } from './store';
import { seededRandom, syntheticEvent } from './testing/synthetic';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');
const t0 = 1_767_571_200_000; // 2026-01-05T00:00Z

const key = (c: BucketCell): string => `${c.bucket}|${c.servedBy}|${c.armIndex}`;

/** The cells of one raw query over the whole log, with the summaries: what a scan must equal. */
function oneQuery(store: Store, bucketing: Bucketing): Map<string, BucketCell> {
  const cells = new Map<string, BucketCell>();
  for (const cell of [...store.dashboardSummaryCells(bucketing), ...store.dashboardBucketCells(bucketing, 0, store.lastSeq)]) {
    if (cell.bucket < 0 || cell.bucket >= bucketing.count) continue;
    const known = cells.get(key(cell));
    if (known === undefined) cells.set(key(cell), { ...cell });
    else for (const f of ['decisions', 'outcomes', 'rewarded', 'rewardSum', 'rewardSqSum', 'qualitySum', 'latencySum', 'tokensSum'] as const) known[f] += cell[f];
  }
  return cells;
}

/** Counts equal, sums equal up to rounding. */
function assertSameCells(actual: readonly BucketCell[], expected: Map<string, BucketCell>, what: string): void {
  assert.deepEqual(actual.map(key).sort(), [...expected.keys()].sort(), `${what}: the same cells`);
  for (const cell of actual) {
    const want = expected.get(key(cell))!;
    assert.deepEqual([cell.decisions, cell.outcomes, cell.rewarded], [want.decisions, want.outcomes, want.rewarded], `${what}: counts of ${key(cell)}`);
    for (const f of ['rewardSum', 'rewardSqSum', 'qualitySum', 'latencySum', 'tokensSum'] as const) {
      assert.ok(Math.abs(cell[f] - want[f]) <= 1e-9 * Math.max(1, Math.abs(want[f])), `${what}: ${f} of ${key(cell)} is ${cell[f]}, one query gives ${want[f]}`);
    }
  }
}

/** Bucketings the rollup serves (hours, 3 hours, days, 2 days, 30 days) and one it does not (15 minutes). */
function bucketingsOf(random: () => number): Bucketing[] {
  const since = t0 - 2 * dayMs + Math.floor(random() * 3 * dayMs);
  return [
    { start: t0 - dayMs, width: hourMs, count: 24 * 25 },
    { start: t0, width: 3 * hourMs, count: 50 },
    { start: t0 - 3 * dayMs, width: dayMs, count: 30 },
    { start: t0 - 2 * dayMs, width: 2 * dayMs, count: 12 },
    { start: Math.floor(t0 / (30 * dayMs)) * 30 * dayMs, width: 30 * dayMs, count: 2 },
    chooseBucketing(since, since + 6 * hourMs, 24),
  ];
}

/** Every bucketing scanned from the rollup (in slices of a few periods) equals one raw query; the rollup equals one built afresh. */
async function assertExact(store: Store, random: () => number, what: string): Promise<void> {
  assert.deepEqual(store.rollupMismatches(), [], `${what}: the rollup equals one built from the raw rows`);
  for (const bucketing of bucketingsOf(random)) {
    const scan = await scanBucketsMarked(store, bucketing, { firstSlicePeriods: 1 + Math.floor(random() * 30), yieldToLoop: async () => {} });
    assertSameCells(scan.cells, oneQuery(store, bucketing), `${what}, ${bucketing.width / 60_000}-minute buckets`);
  }
}

/** A random log: decisions at random times over 20 days, outcomes now, later or before their decision, retention now and then. */
async function writeRandomLog(store: Store, random: () => number, first: number, count: number, clock: { now: number }): Promise<void> {
  const waiting: { requestId: string; outcome: ReturnType<typeof syntheticEvent>['outcome']; reward: number }[] = [];
  for (let n = first; n < first + count; n++) {
    const { decision, outcome } = syntheticEvent(n, random);
    decision.timestamp = t0 + Math.floor(random() * 20 * dayMs);
    decision.servedBy = (random() < 0.5 ? 'baseline' : 'learned') as ServedBy;
    const reward = Math.round(random() * 1000) / 997;
    const when = random();
    if (when < 0.1) {
      // The outcome is stored first (an import, a clock skew): the decision finds it.
      store.appendOutcome(outcome, { reward, violations: [] });
      store.appendDecision(decision);
    } else {
      store.appendDecision(decision);
      if (when < 0.5) store.appendOutcome(outcome, random() < 0.8 ? { reward, violations: [] } : undefined);
      else if (when < 0.85) waiting.push({ requestId: decision.requestId, outcome, reward });
    }
    // Late outcomes, for decisions logged earlier.
    if (waiting.length > 0 && random() < 0.3) {
      const late = waiting.splice(Math.floor(random() * waiting.length), 1)[0]!;
      store.appendOutcome(late.outcome, { reward: late.reward, violations: [] });
    }
    if (random() < 0.01) {
      clock.now = t0 + Math.floor(random() * 25 * dayMs);
      store.applyRetention(random() < 0.5 ? { keepDecisions: Math.floor(random() * 200) + 20 } : { keepDays: 5 + Math.floor(random() * 10) });
    }
  }
  // Some outcomes arrive after retention folded their decision: counted nowhere, as in the raw scan.
  for (const late of waiting.slice(0, 10)) store.appendOutcome(late.outcome, { reward: late.reward, violations: [] });
  await store.flush();
}

test('cells from the rollup equal one raw query over the whole log, through late outcomes, retention, a reopen and a crash replayed', async (t) => {
  for (const seed of [1, 2, 3]) {
    const dir = await tempDir(t, 'rollup');
    const random = seededRandom(seed);
    const clock = { now: t0 };
    const options = { wasmDir, now: () => clock.now };
    const live = join(dir, 'live');
    let store = await openStore(live, options);
    await writeRandomLog(store, random, 1, 400, clock);
    await assertExact(store, random, `seed ${seed}, as written`);
    await store.close();

    // Reopened from its snapshot, more is logged (late outcomes of decisions in the snapshot among
    // it); a kill leaves the snapshot and the journal tail, which the next open replays.
    store = await openStore(live, options);
    await assertExact(store, random, `seed ${seed}, reopened`);
    await writeRandomLog(store, random, 401, 300, clock);
    const crashed = join(dir, 'crashed');
    await cp(live, crashed, { recursive: true });
    await assertExact(store, random, `seed ${seed}, before the crash`);
    await store.close();
    const recovered = await openStore(crashed, options);
    assert.ok(recovered.decisionCount() > 0);
    await assertExact(recovered, random, `seed ${seed}, the crash's journal replayed`);
    await recovered.close();
  }
});

test('a scan from the rollup brings the slices read before later appends up to its end, and equals the raw scan', async (t) => {
  const dir = await tempDir(t, 'rollup');
  const store = await openStore(join(dir, 'log'), { wasmDir });
  const random = seededRandom(11);
  const clock = { now: t0 };
  await writeRandomLog(store, random, 1, 200, clock);
  const bucketing = { start: t0, width: dayMs, count: 20 };
  assert.equal(rollupGrainFor(bucketing), dayMs);
  // Between slices of one day each: a new decision in a day already read and one in a day not yet
  // read, and a late outcome for a decision of the first day.
  const firstDay = store.recentDecisions(undefined, 200).rows.find((r) => r.timestamp < t0 + dayMs && r.latencyMs === null)!;
  let pauses = 0;
  const scan = await scanBucketsMarked(store, bucketing, {
    firstSlicePeriods: 1,
    minSlicePeriods: 1,
    sliceMs: 0,
    yieldToLoop: async () => {
      pauses++;
      if (pauses !== 3) return;
      for (const [n, at] of [[1001, t0 + 2 * hourMs], [1002, t0 + 15 * dayMs]] as const) {
        const { decision, outcome } = syntheticEvent(n, random);
        decision.timestamp = at;
        store.appendDecision(decision);
        store.appendOutcome(outcome, { reward: 0.5, violations: [] });
      }
      const { outcome } = syntheticEvent(1003, random);
      store.appendOutcome({ ...outcome, requestId: firstDay.requestId }, { reward: 0.25, violations: [] });
    },
  });
  assert.ok(pauses >= 10, `${pauses} pauses`);
  assert.equal(scan.mark.lastSeq, store.lastSeq, 'the scan is the log as of its end');
  assertSameCells(scan.cells, oneQuery(store, bucketing), 'after appends during the scan');
  const raw = await scanBucketsMarked(store, bucketing, { rollup: false });
  assertSameCells(scan.cells, new Map(raw.cells.map((c) => [key(c), c])), 'the raw scan');
  assert.equal(scan.cells.reduce((s, c) => s + c.decisions, 0), raw.cells.reduce((s, c) => s + c.decisions, 0));
  await store.close();
});

test('the rollup serves buckets of whole hours or days inside [0, 2^53) ms; finer or unaligned buckets are scanned raw', () => {
  assert.equal(rollupGrainFor({ start: t0, width: 30 * dayMs, count: 10 }), dayMs);
  assert.equal(rollupGrainFor({ start: t0, width: 6 * hourMs, count: 10 }), hourMs);
  assert.equal(rollupGrainFor({ start: t0 + hourMs, width: dayMs, count: 10 }), hourMs, 'days that start at 01:00 are whole hours');
  assert.equal(rollupGrainFor({ start: t0, width: 15 * 60_000, count: 10 }), undefined);
  assert.equal(rollupGrainFor({ start: -dayMs, width: dayMs, count: 10 }), undefined);
});

test('migrating a version 4 log builds the rollup from its rows, in the migration transaction: all of it, or nothing on a failure', async (t) => {
  const SQL = await loadSqlJs(wasmDir);
  /** A version 4 database holding 300 decisions over 10 days, most with outcomes. */
  const version4 = (): InstanceType<typeof SQL.Database> => {
    const db = new SQL.Database();
    migrate(db, 4);
    const writer = new EventWriter(db);
    const random = seededRandom(5);
    let seq = 0;
    for (let n = 1; n <= 300; n++) {
      const { decision, outcome, reward } = syntheticEvent(n, random);
      decision.timestamp = t0 + Math.floor(random() * 10 * dayMs);
      writer.apply(++seq, { type: 'decision', record: decision });
      if (random() < 0.8) writer.apply(++seq, { type: 'outcome', record: { outcome, reward } });
    }
    db.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_seq', ?)", [String(seq)]);
    writer.free();
    return db;
  };

  const db = version4();
  assert.deepEqual(migrate(db), [5]);
  const counted = db.exec('SELECT grain, SUM(decisions), SUM(outcomes) FROM decision_rollup GROUP BY grain ORDER BY grain')[0]?.values;
  const raw = db.exec('SELECT COUNT(*), COUNT(o.request_id) FROM decisions d LEFT JOIN outcomes o ON o.request_id = d.request_id')[0]?.values[0];
  assert.deepEqual(counted, [[hourMs, ...raw!], [dayMs, ...raw!]], 'every raw decision and outcome, at both grains');
  const dir = await tempDir(t, 'rollup');
  await mkdir(join(dir, 'log'));
  const image = version4();
  await writeFile(join(dir, 'log', snapshotFileName), image.export());
  image.close();
  const store = await openStore(join(dir, 'log'), { wasmDir });
  assert.deepEqual(store.notices.map((n) => n.message), ['The database was migrated from schema version 4 to 5.']);
  await assertExact(store, seededRandom(6), 'migrated from version 4');
  await store.close();
  db.close();

  // The rollup's build fails half-way (a temporary table of that name takes its rows and refuses
  // them): the migration is rolled back whole, the log stays at version 4 without a rollup.
  const failing = version4();
  const rowsBefore = failing.exec('SELECT (SELECT COUNT(*) FROM decisions), (SELECT COUNT(*) FROM outcomes)')[0]?.values;
  failing.exec('CREATE TEMP TABLE decision_rollup (grain INTEGER)');
  assert.throws(() => migrate(failing), /table decision_rollup has no column named period/);
  assert.equal(readSchemaVersion(failing), 4);
  assert.deepEqual(failing.exec("SELECT name FROM sqlite_master WHERE name LIKE 'decision_rollup%'"), [], 'neither the table nor its triggers');
  assert.deepEqual(failing.exec('SELECT (SELECT COUNT(*) FROM decisions), (SELECT COUNT(*) FROM outcomes)')[0]?.values, rowsBefore);
  failing.close();
});
