// An import is one journaled unit: a crash keeps all of it or none of it, a snapshot never splits
// it, and running the import again finishes what the store lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoggedDecision } from './events';
import { ImportError, jsonlLines } from './formats/jsonl';
import { listSegments } from './journal';
import { openStore } from './store';
import { seededRandom, syntheticEvent } from './testing/synthetic';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');

/** Decisions first..last with outcome and reward, as a JSONL export has them. */
function records(first: number, last: number): LoggedDecision[] {
  const random = seededRandom(77);
  const all: LoggedDecision[] = [];
  for (let n = 1; n <= last; n++) {
    const event = syntheticEvent(n, random);
    if (n >= first) all.push(event);
  }
  return all;
}

const exportText = (logged: readonly LoggedDecision[]): string => `${[...jsonlLines(logged)].join('\n')}\n`;

test('an import cut short before its commit is dropped whole on replay, with a warning; running it again imports all 40', async (t) => {
  const dir = await tempDir(t, 'import');
  const live = join(dir, 'live');
  const store = await openStore(live, { wasmDir });
  assert.deepEqual(await store.importJsonl(exportText(records(1, 40))), { imported: 40, alreadyStored: 0, outcomesAdded: 0 });
  await cp(live, join(dir, 'crashed'), { recursive: true });
  await store.close();
  // The unit is events 1 (begin), 2..81 (40 decisions, 40 outcomes) and 82 (commit). A crash
  // after 25 decisions and 25 outcomes were on disk leaves lines up to event 51.
  const [segment] = await listSegments(join(dir, 'crashed'));
  assert.ok(segment !== undefined);
  const path = join(dir, 'crashed', segment.file);
  const lines = (await readFile(path, 'utf8')).split('\n');
  assert.match(lines[1] ?? '', /"t":"unitBegin","e":\{"timestamp":\d+,"kind":"import","events":80\}/);
  assert.match(lines[82] ?? '', /"s":82,"t":"unitCommit","u":1,/);
  await writeFile(path, `${lines.slice(0, 1 + 51).join('\n')}\n`);

  const reopened = await openStore(join(dir, 'crashed'), { wasmDir });
  assert.deepEqual(reopened.notices.map((n) => [n.code, n.level]), [['journal-unfinished-unit', 'warning']]);
  assert.match(reopened.notices[0]?.message ?? '', /An import \(25 decisions so far\) at events 1–51 \(51\) of .* was cut short by a crash before its commit and was dropped whole: none of it is in the store\. Run the import again to finish it\./);
  assert.equal(reopened.decisionCount(), 0);
  assert.deepEqual(await reopened.importJsonl(exportText(records(1, 40))), { imported: 40, alreadyStored: 0, outcomesAdded: 0 });
  assert.deepEqual([...reopened.iterateLogged()], records(1, 40));
  await reopened.close();
  const again = await openStore(join(dir, 'crashed'), { wasmDir, readOnly: true });
  assert.deepEqual(again.notices, []);
  assert.equal(again.decisionCount(), 40);
  await again.close();
});

test('running an import again finishes what an earlier, partial one left: 11 already there (one without its outcome), 29 added', async (t) => {
  const dir = await tempDir(t, 'import');
  const store = await openStore(dir, { wasmDir });
  const all = records(1, 40);
  // What an import cut short left before imports were units: the first 10 records whole, the
  // 11th decision without its outcome.
  await store.importJsonl(exportText(all.slice(0, 10)));
  store.appendDecision((all[10] as LoggedDecision).decision);
  await store.flush();
  assert.deepEqual(await store.importJsonl(exportText(all)), { imported: 29, alreadyStored: 11, outcomesAdded: 1 });
  assert.deepEqual([...store.iterateLogged()], all);
  assert.deepEqual(await store.importJsonl(exportText(all)), { imported: 0, alreadyStored: 40, outcomesAdded: 0 });
  await store.close();
});

test('an import naming a stored request id with different content is refused whole, naming the line', async (t) => {
  const dir = await tempDir(t, 'import');
  const store = await openStore(dir, { wasmDir });
  const all = records(1, 5);
  await store.importJsonl(exportText(all.slice(0, 2)));
  const changed = all.map((r, i) => (i === 1 ? { ...r, decision: { ...r.decision, contextFingerprint: 'another context' } } : r));
  const changedOutcome = all.map((r, i) => (i === 0 && r.outcome !== undefined ? { ...r, outcome: { ...r.outcome, quality: 0.123 } } : r));
  await assert.rejects(store.importJsonl(exportText(changed)), (error: unknown) => {
    assert.ok(error instanceof ImportError);
    assert.deepEqual(error.issues.map((i) => [i.line, i.field]), [[3, 'decision']]);
    assert.match(error.message, /line 3, decision: request id 'req-2' is already in the store with a different decision/);
    return true;
  });
  await assert.rejects(store.importJsonl(exportText(changedOutcome)), /line 2, outcome: request id 'req-1' already has a different outcome in the store/);
  assert.equal(store.decisionCount(), 2, 'nothing of the refused imports was appended');
  await store.close();
});

test('a snapshot taken while an import is being written never splits it: after a crash all 200 decisions are there', async (t) => {
  const dir = await tempDir(t, 'import');
  const live = join(dir, 'live');
  // Journal batches of 50 events: the import's 402 events take 9 batches.
  const store = await openStore(live, { wasmDir, maxJournalBatchEvents: 50 });
  const importing = store.importJsonl(exportText(records(1, 200)));
  const snapshotting = store.snapshot();
  await Promise.all([importing, snapshotting]);
  await cp(live, join(dir, 'crashed'), { recursive: true });
  await store.close();
  // The segment switched after the unit's commit (event 402), not inside it.
  assert.deepEqual((await listSegments(join(dir, 'crashed'))).map((s) => s.startSeq), [1, 403]);
  const reopened = await openStore(join(dir, 'crashed'), { wasmDir, readOnly: true });
  assert.deepEqual(reopened.notices, []);
  assert.equal(reopened.decisionCount(), 200);
  await reopened.close();
});

test('appendUnit checks every event first: one refused refuses the unit, with nothing journaled', async (t) => {
  const dir = await tempDir(t, 'import');
  const store = await openStore(dir, { wasmDir });
  const [first, second] = records(1, 2) as [LoggedDecision, LoggedDecision];
  store.appendDecision(first.decision);
  await store.flush();
  const unit = [{ type: 'decision', record: second.decision }, { type: 'decision', record: first.decision }] as const;
  assert.throws(() => store.appendUnit('import', unit), /request id 'req-1' already has a decision in the store \(event 1\)/);
  assert.throws(() => store.appendUnit('import', [unit[0], unit[0]]), /the unit holds two decisions for request id 'req-2'/);
  assert.equal(store.stats().lastSeq, 1, 'no begin, no event of either unit was journaled');
  assert.equal(store.hasDecision('req-2'), false);
  await store.close();
});
