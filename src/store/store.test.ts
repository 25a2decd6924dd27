// Recovery, versions, retention and queries of the store, each on a small log whose right answer
// is written in the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, cp, mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Decision, Outcome } from '../core/types';
import { encodeEventLine, encodeLine, listSegments } from './journal';
import { EventWriter } from './records';
import { migrate, readSchemaVersion, schemaVersion, StoreVersionError } from './schema';
import { loadSqlJs } from './sqlite';
import { DuplicateRequestError, openStore, snapshotFileName } from './store';
import type { Store } from './store';
import { trailerBytes } from './snapshotSeal';
import { logSynthetic, seededRandom, syntheticEvent, syntheticRequestId } from './testing/synthetic';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');

const log = logSynthetic;

/**
 * What a kill -9 leaves behind: a copy of the folder taken while the store is still open (its
 * acknowledged events are on disk; nothing was snapshotted or closed).
 */
async function crashImage(dir: string, into: string): Promise<void> {
  await cp(dir, into, { recursive: true });
}

async function folderBytes(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) files.set(name, await readFile(join(dir, name)));
  return files;
}

function hasAll(store: Store, first: number, last: number): boolean {
  for (let n = first; n <= last; n++) if (!store.hasDecision(syntheticRequestId(n))) return false;
  return true;
}

test('a journal whose last line was torn by a crash drops that line with a notice and replays the 10 before it', async (t) => {
  const dir = await tempDir(t, 'store');
  const store = await openStore(join(dir, 'live'), { wasmDir });
  await log(store, 1, 10);
  await crashImage(join(dir, 'live'), join(dir, 'crashed'));
  await store.close();
  const [segment] = await listSegments(join(dir, 'crashed'));
  assert.ok(segment !== undefined);
  const torn = encodeEventLine(21, 'rolloutEvent', JSON.stringify({ timestamp: 1, kind: 'promote', payload: {} }));
  await appendFile(join(dir, 'crashed', segment.file), torn.slice(0, torn.length - 7));

  const reopened = await openStore(join(dir, 'crashed'), { wasmDir });
  assert.deepEqual(reopened.notices.map((n) => n.code), ['journal-torn-tail']);
  assert.equal(reopened.decisionCount(), 10);
  assert.ok(hasAll(reopened, 1, 10));
  await reopened.close();
  const again = await openStore(join(dir, 'crashed'), { wasmDir, readOnly: true });
  assert.deepEqual(again.notices, [], 'the close folded the journal into a snapshot: the torn segment is gone');
  assert.equal(again.decisionCount(), 10);
  await again.close();
});

test('a damaged line in the middle of the journal is reported by line number and the others are replayed', async (t) => {
  const dir = await tempDir(t, 'store');
  const store = await openStore(join(dir, 'live'), { wasmDir });
  await log(store, 1, 5);
  await crashImage(join(dir, 'live'), join(dir, 'crashed'));
  await store.close();
  const [segment] = await listSegments(join(dir, 'crashed'));
  assert.ok(segment !== undefined);
  const path = join(dir, 'crashed', segment.file);
  const lines = (await readFile(path, 'utf8')).split('\n');
  // Line 1 is the header; lines 2,3 are decision 1 and its outcome; line 4 is decision 2.
  lines[3] = (lines[3] ?? '').replace('"req-2"', '"req-X"');
  await writeFile(path, lines.join('\n'));

  const reopened = await openStore(join(dir, 'crashed'), { wasmDir, readOnly: true, refuseLoss: false });
  assert.deepEqual(reopened.notices.map((n) => [n.code, n.level]), [['journal-corrupt-line', 'error']]);
  assert.match(reopened.notices[0]?.message ?? '', /Line 4 of .*journal-000000000001\.log is damaged \(checksum mismatch\): event 3 is lost\./);
  assert.deepEqual(reopened.notices[0]?.lost, { from: 3, to: 3 });
  assert.equal(reopened.decisionCount(), 4);
  assert.equal(reopened.hasDecision('req-2'), false);
  assert.equal(reopened.hasDecision('req-X'), false);
  await reopened.close();
});

const damages = [
  { damage: 'truncated', checkedBy: 'the worker' },
  { damage: 'garbage', checkedBy: 'the worker' },
  { damage: 'page-corrupted', checkedBy: 'the worker' },
  { damage: 'page-corrupted', checkedBy: 'the main thread' },
  { damage: 'page-corrupted (written before checksums)', checkedBy: 'the worker' },
  { damage: 'page-corrupted (written before checksums)', checkedBy: 'the main thread' },
] as const;
for (const { damage, checkedBy } of damages) {
  test(`a ${damage} snapshot (checked by ${checkedBy}) is moved aside with a timestamp (bytes kept), the user warned, and rebuilt from the journal, which still holds everything`, async (t) => {
    const dir = await tempDir(t, 'store');
    const live = join(dir, 'live');
    const first = await openStore(live, { wasmDir });
    await log(first, 1, 40);
    await first.close(); // decisions 1..40 are in the snapshot only
    const second = await openStore(live, { wasmDir });
    await log(second, 41, 60); // decisions 41..60 are in the journal only
    await crashImage(live, join(dir, 'crashed'));
    await second.close();
    const snapshotPath = join(dir, 'crashed', snapshotFileName);
    if (damage === 'truncated') {
      const size = (await readFile(snapshotPath)).length;
      await truncate(snapshotPath, Math.floor(size / 2));
    } else if (damage === 'garbage') {
      const random = seededRandom(7);
      await writeFile(snapshotPath, Buffer.from(Array.from({ length: 8192 }, () => Math.floor(random() * 256))));
    } else {
      // Header and size intact, every page after the first two overwritten. Without its checksum
      // trailer (a file from before checksums) only SQLite's own integrity check can tell.
      const sealed = await readFile(snapshotPath);
      const bytes = damage === 'page-corrupted' ? sealed : sealed.subarray(0, sealed.length - trailerBytes);
      const random = seededRandom(8);
      for (let i = 2 * 4096; i < bytes.length - (damage === 'page-corrupted' ? trailerBytes : 0); i++) bytes[i] = Math.floor(random() * 256);
      await writeFile(snapshotPath, bytes);
    }
    const damagedBytes = await readFile(snapshotPath);

    const reopened = await openStore(join(dir, 'crashed'), {
      wasmDir,
      now: () => Date.UTC(2026, 10, 25, 4, 30, 0),
      ...(checkedBy === 'the main thread' ? { compactionWorker: false as const } : {}),
    });
    // The journal from event 1 is kept until a second snapshot is verified: nothing was lost.
    assert.deepEqual(reopened.notices.map((n) => [n.code, n.level]), [['snapshot-unreadable', 'warning']]);
    if (damage === 'page-corrupted') assert.match(reopened.notices[0]?.message ?? '', /unreadable \(checksum mismatch/);
    if (damage !== 'page-corrupted' && damage.startsWith('page-corrupted')) {
      assert.match(reopened.notices[0]?.message ?? '', /unreadable \((integrity check failed|database disk image is malformed)/);
    }
    assert.match(reopened.notices[0]?.message ?? '', /The store was rebuilt from the journal alone\. It was moved to .*\.corrupt-20261125T043000Z \(kept, never deleted\)\.$/);
    const movedTo = reopened.notices[0]?.movedTo;
    assert.equal(movedTo, `${snapshotPath}.corrupt-20261125T043000Z`);
    assert.deepEqual(await readFile(movedTo), damagedBytes, 'the damaged snapshot is kept byte for byte');
    assert.equal(reopened.decisionCount(), 60);
    assert.ok(hasAll(reopened, 1, 60));
    await reopened.close();
    const again = await openStore(join(dir, 'crashed'), { wasmDir, readOnly: true });
    assert.deepEqual(again.notices, []);
    assert.equal(again.decisionCount(), 60);
    await again.close();
  });
}

test('a crash between the snapshot rename and the journal clean-up replays nothing twice (retention is not undone)', async (t) => {
  const dir = await tempDir(t, 'store');
  const live = join(dir, 'live');
  const store = await openStore(live, { wasmDir });
  await log(store, 1, 10);
  const oldSegments = await folderBytes(live);
  // Retention keeps the newest 4 decisions; the other 6 go into the summaries.
  assert.deepEqual(store.applyRetention({ keepDecisions: 4 }), { summarisedDecisions: 6, summarisedOutcomes: 6 });
  await store.snapshot();
  await crashImage(live, join(dir, 'crashed'));
  await store.close();
  // Put back the folded-in segments, as if the crash hit before they were deleted.
  for (const [name, bytes] of oldSegments) if (name.startsWith('journal-')) await writeFile(join(dir, 'crashed', name), bytes);

  const reopened = await openStore(join(dir, 'crashed'), { wasmDir, readOnly: true });
  assert.deepEqual(reopened.notices, []);
  assert.equal(reopened.rawDecisionCount(), 4, 'events at or below the snapshot\'s last sequence number are skipped');
  assert.equal(reopened.decisionCount(), 10);
  await reopened.close();
});

/**
 * Writes a snapshot.db holding a v1 database with two decisions and one outcome. The rows are
 * written at the current version by the current writer and copied into a v1 database column by
 * column: the columns v1 had, exactly as a v1 writer stored them.
 */
async function writeVersion1Store(dir: string, version = 1): Promise<void> {
  const SQL = await loadSqlJs(wasmDir);
  const current = new SQL.Database();
  migrate(current);
  const writer = new EventWriter(current);
  const random = seededRandom(3);
  const a = syntheticEvent(1, random);
  const b = syntheticEvent(2, random);
  writer.apply(1, { type: 'decision', record: a.decision });
  writer.apply(2, { type: 'outcome', record: { outcome: a.outcome, reward: a.reward } });
  writer.apply(3, { type: 'decision', record: b.decision });
  writer.free();
  const db = new SQL.Database();
  migrate(db, 1);
  for (const table of ['feature_sets', 'decisions', 'outcomes']) {
    const columns = (db.exec(`PRAGMA table_info(${table})`)[0]?.values ?? []).map((row) => String(row[1]));
    const insert = db.prepare(`INSERT INTO ${table} (${columns.join(',')}) VALUES (${columns.map(() => '?').join(',')})`);
    for (const row of current.exec(`SELECT ${columns.join(',')} FROM ${table}`)[0]?.values ?? []) insert.run(row);
    insert.free();
  }
  current.close();
  db.run("INSERT INTO meta (key, value) VALUES ('last_seq', '3')");
  if (version !== 1) db.run(`PRAGMA user_version = ${version}`);
  await writeFile(join(dir, snapshotFileName), db.export());
  db.close();
}

test('a database written by schema version 1 opens, migrates to version 5 and keeps its rows', async (t) => {
  const dir = await tempDir(t, 'store');
  await writeVersion1Store(dir);
  const store = await openStore(dir, { wasmDir });
  assert.equal(schemaVersion, 5);
  assert.deepEqual(store.notices.map((n) => n.message), ['The database was migrated from schema version 1 to 5.']);
  assert.equal(store.decisionCount(), 2);
  // Version 2 added the retention summaries: folding the older decision into them now works.
  assert.deepEqual(store.applyRetention({ keepDecisions: 1 }), { summarisedDecisions: 1, summarisedOutcomes: 1 });
  assert.equal(store.rawDecisionCount(), 1);
  assert.equal(store.decisionCount(), 2);
  await store.close();
  const SQL = await loadSqlJs(wasmDir);
  const db = new SQL.Database(await readFile(join(dir, snapshotFileName)));
  assert.equal(readSchemaVersion(db), 5);
  db.close();
});

test('eligibleArms, sessionKey, taskType, randomStream and modelUsed survive a migration from version 2, the journal (replayed after a crash) and the snapshot', async (t) => {
  const dir = await tempDir(t, 'store');
  const live = join(dir, 'live');
  await mkdir(live);
  await writeVersion1Store(live);
  const SQL = await loadSqlJs(wasmDir);
  const v1 = new SQL.Database(await readFile(join(live, snapshotFileName)));
  assert.deepEqual(migrate(v1, 2), [2]);
  await writeFile(join(live, snapshotFileName), v1.export());
  v1.close();
  const random = seededRandom(5);
  const masked = syntheticEvent(3, random).decision;
  masked.eligibleArms = [0, 2, 3, masked.armIndex].filter((a, i, all) => all.indexOf(a) === i).sort((a, b) => a - b);
  masked.sessionKey = 'session-5-1';
  const keyed = { ...syntheticEvent(4, random).decision, sessionKey: 'session-5-2', taskType: 'planTests' as const, randomStream: 41, modelUsed: 'llama3.1:8b' };

  const store = await openStore(live, { wasmDir });
  assert.deepEqual(store.notices.map((n) => n.message), ['The database was migrated from schema version 2 to 5.']);
  store.appendDecision(masked);
  store.appendDecision(keyed);
  await store.flush();
  await crashImage(live, join(dir, 'crashed'));
  await store.close();

  const expectedTail = [masked, keyed];
  const older = (logged: { decision: Decision }[]): Decision[] => logged.map((l) => l.decision).slice(0, 2);
  for (const folder of ['crashed', 'live']) {
    // 'crashed': the two decisions come back from the journal; 'live': from the closing snapshot.
    const reopened = await openStore(join(dir, folder), { wasmDir, readOnly: true });
    const logged = [...reopened.iterateLogged()];
    assert.equal(logged.length, 4, folder);
    assert.deepEqual(logged.slice(2).map((l) => l.decision), expectedTail, folder);
    for (const decision of older(logged)) {
      assert.equal('eligibleArms' in decision, false, `${folder}: rows from version 2 read back without the field`);
      assert.equal('sessionKey' in decision, false, folder);
      for (const field of ['taskType', 'randomStream', 'modelUsed']) assert.equal(field in decision, false, `${folder}: ${field}`);
    }
    await reopened.close();
  }
});

test('a decision whose eligibleArms are not ascending arm indices is refused at append, before the journal', async (t) => {
  const dir = await tempDir(t, 'store');
  const store = await openStore(dir, { wasmDir });
  const { decision } = syntheticEvent(1, seededRandom(1));
  assert.throws(() => store.appendDecision({ ...decision, eligibleArms: [3, 1] }), /decision\.eligibleArms must be ascending arm indices \(request req-1\)/);
  assert.throws(() => store.appendDecision({ ...decision, eligibleArms: [0, 1.5] }), /eligibleArms/);
  assert.equal(store.stats().lastSeq, 0);
  await store.close();
});

test('a database from a newer schema version is refused with a clear message and every file is left byte for byte', async (t) => {
  const dir = await tempDir(t, 'store');
  await writeVersion1Store(dir, schemaVersion + 1);
  const segment = `${encodeLine(JSON.stringify({ h: { format: 1, schema: schemaVersion + 1, start: 4 } }))}${encodeEventLine(4, 'decision', '{}')}`;
  await writeFile(join(dir, 'journal-000000000004.log'), segment);
  await writeFile(join(dir, `${snapshotFileName}.tmp`), 'left over');
  const before = await folderBytes(dir);
  await assert.rejects(openStore(dir, { wasmDir }), (error: unknown) => {
    assert.ok(error instanceof StoreVersionError);
    assert.match(error.message, new RegExp(`written by a newer Paramloop \\(schema version ${schemaVersion + 1}; this version reads up to ${schemaVersion}\\).*nothing was changed`));
    return true;
  });
  assert.deepEqual(await folderBytes(dir), before);
});

test('a journal from a newer schema version is refused too, and left untouched', async (t) => {
  const dir = await tempDir(t, 'store');
  await writeFile(join(dir, 'journal-000000000001.log'), encodeLine(JSON.stringify({ h: { format: 1, schema: 99, start: 1 } })));
  const before = await folderBytes(dir);
  await assert.rejects(openStore(dir, { wasmDir }), StoreVersionError);
  assert.deepEqual(await folderBytes(dir), before);
});

test('opening read-only writes nothing, even when recovery would move a file', async (t) => {
  const dir = await tempDir(t, 'store');
  const store = await openStore(join(dir, 'live'), { wasmDir });
  await log(store, 1, 3);
  await crashImage(join(dir, 'live'), join(dir, 'crashed'));
  await store.close();
  await writeFile(join(dir, 'crashed', snapshotFileName), 'not a database');
  const before = await folderBytes(join(dir, 'crashed'));
  const reopened = await openStore(join(dir, 'crashed'), { wasmDir, readOnly: true });
  assert.deepEqual(reopened.notices.map((n) => n.code), ['snapshot-unreadable']);
  assert.equal(reopened.notices[0]?.movedTo, undefined);
  assert.equal(reopened.decisionCount(), 3);
  await reopened.close();
  assert.deepEqual(await folderBytes(join(dir, 'crashed')), before);
});

test('prompt text never reaches the journal or the database unless the user opted in', async (t) => {
  const dir = await tempDir(t, 'store');
  const { decision } = syntheticEvent(1, seededRandom(1));
  const secret = 'refactor the PaymentService (confidential)';
  const store = await openStore(join(dir, 'out'), { wasmDir });
  store.appendDecision({ ...decision, promptText: secret });
  await store.flush();
  assert.equal([...store.iterateLogged()][0]?.decision.promptText, undefined);
  await store.close();
  for (const bytes of (await folderBytes(join(dir, 'out'))).values()) assert.equal(bytes.includes(secret), false);

  const optedIn = await openStore(join(dir, 'in'), { wasmDir, storePromptText: true });
  optedIn.appendDecision({ ...decision, promptText: secret });
  assert.equal([...optedIn.iterateLogged()][0]?.decision.promptText, secret);
  await optedIn.close();
});

// A hand-checkable log: 2 days, 2 arms, known rewards.
const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);
function handDecision(n: number, ts: number, armIndex: number, phase: Decision['phase'], servedBy: Decision['servedBy']): Decision {
  return {
    requestId: `h${n}`,
    timestamp: ts,
    contextFeatures: [1],
    featureNames: ['bias'],
    contextFingerprint: 'f',
    armIndex,
    armId: `arm${armIndex}`,
    params: { temperature: armIndex / 10 },
    propensity: 0.5,
    probabilities: [0.5, 0.5],
    policyId: servedBy === 'learned' ? 'ts' : 'base',
    policyVersion: 1,
    phase,
    servedBy,
    baselineArmIndex: 0,
  };
}
function handOutcome(n: number, ts: number, quality: number, latencyMs: number, tokens: number): Outcome {
  return { requestId: `h${n}`, timestamp: ts + 1, latencyMs, tokensIn: tokens, tokensOut: 0, finishReason: 'stop', quality };
}

async function handStore(dir: string): Promise<Store> {
  const store = await openStore(dir, { wasmDir, now: () => t0 + 2 * day });
  // Day 0: canary, learned policy: arm 1 twice (rewards 1.0, 0.5), arm 0 once (reward 0.0).
  store.appendDecision(handDecision(1, t0 + 1000, 1, 'canary', 'learned'));
  store.appendOutcome(handOutcome(1, t0 + 1000, 0.9, 1000, 100), { reward: 1.0, violations: [] });
  store.appendDecision(handDecision(2, t0 + 2000, 1, 'canary', 'learned'));
  store.appendOutcome(handOutcome(2, t0 + 2000, 0.7, 3000, 300), { reward: 0.5, violations: [] });
  store.appendDecision(handDecision(3, t0 + 3000, 0, 'canary', 'learned'));
  store.appendOutcome(handOutcome(3, t0 + 3000, 0.2, 500, 50), { reward: 0.0, violations: ['latency'] });
  // Day 1: shadow, baseline: arm 0 once with reward 0.25, once without any outcome yet.
  store.appendDecision(handDecision(4, t0 + day + 5, 0, 'shadow', 'baseline'));
  store.appendOutcome(handOutcome(4, t0 + day + 5, 0.4, 1500, 150), { reward: 0.25, violations: [] });
  store.appendDecision(handDecision(5, t0 + day + 6, 0, 'shadow', 'baseline'));
  await store.flush();
  return store;
}

test('dashboard aggregates match a hand-computed 5-decision log, before and after retention summarises day 0', async (t) => {
  const dir = await tempDir(t, 'store');
  const store = await handStore(dir);
  const check = (): void => {
    assert.deepEqual(store.rewardByBucket(day), [
      { bucketStart: t0, policyId: 'ts', phase: 'canary', decisions: 3, rewarded: 3, rewardSum: 1.5, rewardMean: 0.5 },
      { bucketStart: t0 + day, policyId: 'base', phase: 'shadow', decisions: 2, rewarded: 1, rewardSum: 0.25, rewardMean: 0.25 },
    ]);
    assert.deepEqual(store.armShares(), [
      { armIndex: 0, decisions: 3, share: 3 / 5 },
      { armIndex: 1, decisions: 2, share: 2 / 5 },
    ]);
    assert.deepEqual(store.armObjectives(), [
      { armIndex: 0, outcomes: 2, qualityMean: (0.2 + 0.4) / 2, latencyMeanMs: (500 + 1500) / 2, tokensMean: (50 + 150) / 2, rewardMean: 0.25 / 2 },
      { armIndex: 1, outcomes: 2, qualityMean: (0.9 + 0.7) / 2, latencyMeanMs: (1000 + 3000) / 2, tokensMean: (100 + 300) / 2, rewardMean: 1.5 / 2 },
    ]);
    assert.deepEqual(store.countsByPhase(), [
      { phase: 'canary', servedBy: 'learned', decisions: 3, outcomes: 3 },
      { phase: 'shadow', servedBy: 'baseline', decisions: 2, outcomes: 1 },
    ]);
  };
  check();
  // Keep 1 day at "now" = day 2: day 0's three decisions are summarised, day 1's two stay raw.
  assert.deepEqual(store.applyRetention({ keepDays: 1 }), { summarisedDecisions: 3, summarisedOutcomes: 3 });
  assert.equal(store.rawDecisionCount(), 2);
  check();
  await store.close();
});

test('a snapshot built by the worker from the journal equals one exported on the main thread (40 decisions, newest 25 kept)', async (t) => {
  const dir = await tempDir(t, 'store');
  const logs: unknown[] = [];
  for (const compactionWorker of [undefined, false] as const) {
    const path = join(dir, compactionWorker === false ? 'main' : 'worker');
    const store = await openStore(path, { wasmDir, ...(compactionWorker === false ? { compactionWorker } : {}) });
    assert.equal(store.stats().snapshotMode, compactionWorker === false ? 'main-thread' : 'worker');
    await log(store, 1, 40);
    store.applyRetention({ keepDecisions: 25 });
    await log(store, 41, 45);
    await store.snapshot();
    await store.close();
    const reopened = await openStore(path, { wasmDir, readOnly: true });
    assert.deepEqual(reopened.notices, []);
    assert.equal(reopened.rawDecisionCount(), 30);
    assert.equal(reopened.decisionCount(), 45);
    logs.push({ logged: [...reopened.iterateLogged()], buckets: reopened.rewardByBucket(3_600_000) });
    await reopened.close();
    // One snapshot (the close found nothing new to fold), of events 1..91 (80 + a retention pass +
    // 10): until a second one is verified the journal from event 1 is kept, beside the empty
    // segment started at the snapshot.
    assert.deepEqual((await listSegments(path)).map((s) => s.startSeq), [1, 92]);
  }
  assert.deepEqual(logs[0], logs[1]);
});

test('a second decision or outcome for a request id is refused at append, naming the id, and the stored one is kept', async (t) => {
  const dir = await tempDir(t, 'store');
  const store = await openStore(dir, { wasmDir });
  const random = seededRandom(9);
  const first = syntheticEvent(1, random);
  const second = syntheticEvent(2, random); // another request, reused below under req-1's id
  store.appendDecision(first.decision);
  // Still queued (not yet applied to the database): refused all the same.
  assert.throws(() => store.appendDecision({ ...second.decision, requestId: 'req-1' }), (error: unknown) => {
    assert.ok(error instanceof DuplicateRequestError);
    assert.equal(error.requestId, 'req-1');
    assert.equal(error.existingSeq, 1);
    assert.match(error.message, /request id 'req-1' already has a decision in the store \(event 1\)/);
    return true;
  });
  store.appendOutcome(first.outcome, first.reward);
  await store.flush();
  assert.equal(store.decisionCount(), 1, 'applied now: the database answers');
  assert.throws(() => store.appendDecision({ ...second.decision, requestId: 'req-1' }), /request id 'req-1' already has a decision in the store \(event 1\)/);
  assert.throws(() => store.appendOutcome({ ...second.outcome, requestId: 'req-1' }), /request id 'req-1' already has an outcome in the store \(event 2\)/);
  assert.equal(store.stats().lastSeq, 2, 'nothing refused was journaled');
  assert.deepEqual([...store.iterateLogged()], [first]);
  await store.close();
  const reopened = await openStore(dir, { wasmDir, readOnly: true });
  assert.deepEqual([...reopened.iterateLogged()], [first]);
  await reopened.close();
});

test('replay is idempotent by sequence number: the same event applies once; another event for the same request id is refused', async () => {
  const SQL = await loadSqlJs(wasmDir);
  const db = new SQL.Database();
  migrate(db);
  const writer = new EventWriter(db);
  const random = seededRandom(10);
  const a = syntheticEvent(1, random);
  const b = syntheticEvent(2, random);
  writer.apply(5, { type: 'decision', record: a.decision });
  writer.apply(6, { type: 'outcome', record: { outcome: a.outcome, reward: a.reward } });
  writer.apply(5, { type: 'decision', record: a.decision });
  writer.apply(6, { type: 'outcome', record: { outcome: a.outcome, reward: a.reward } });
  assert.equal(db.exec('SELECT COUNT(*) FROM decisions')[0]?.values[0]?.[0], 1);
  assert.throws(() => writer.apply(7, { type: 'decision', record: { ...b.decision, requestId: 'req-1' } }), /request id 'req-1' already has a decision in the store \(event 5\)/);
  assert.throws(() => writer.apply(8, { type: 'outcome', record: { outcome: { ...b.outcome, requestId: 'req-1' } } }), /request id 'req-1' already has an outcome in the store \(event 6\)/);
  assert.equal(db.exec("SELECT arm_index, seq FROM decisions WHERE request_id = 'req-1'")[0]?.values[0]?.join(), `${a.decision.armIndex},5`);
  writer.free();
  db.close();
});
