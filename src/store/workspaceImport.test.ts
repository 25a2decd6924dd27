// A workspace's earlier decision log is imported into the user's log once, all or nothing, and
// marked; a crash at any point of the import leaves a state from which the next start finishes it
// with every decision exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoggedDecision } from './events';
import { listSegments } from './journal';
import { openStoreSession, waitingWorkspaceLogMessages, workspaceImportMessages } from './session';
import type { StoreUserSettings } from './session';
import { previousSnapshotFileName } from './snapshotFile';
import { openStore, snapshotFileName } from './store';
import type { Store } from './store';
import { logSynthetic, seededRandom, syntheticEvent } from './testing/synthetic';
import { tempDir } from './testing/tempDir';
import { importedMarkerFileName, importWorkspaceLog, workspaceLogState } from './workspaceImport';
import type { ImportedMarker } from './workspaceImport';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');
const keepAll: StoreUserSettings = { retention: {}, includePromptText: false };
const importedAt = Date.UTC(2026, 2, 1, 9, 30);
const options = { wasmDir, now: () => importedAt };

/** A closed workspace log holding synthetic decisions first..last with outcomes (and `extra` without). */
async function oldLog(dir: string, first: number, last: number, extra: readonly number[] = []): Promise<void> {
  const store = await openStore(dir, { wasmDir, compactionWorker: false });
  await logSynthetic(store, first, last);
  const random = seededRandom(9);
  for (const n of extra) store.appendDecision(syntheticEvent(n, random).decision);
  await store.close();
}

/** Every file of `dir` with its bytes, to show that a folder was left exactly as it was. */
async function contents(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(dir)).sort()) files.set(name, (await readFile(join(dir, name))).toString('base64'));
  return files;
}

const logged = (store: Store): LoggedDecision[] => [...store.iterateLogged()];

test('a workspace log is imported whole into the user log, marked with when and where, and left as it was', async (t) => {
  const root = await tempDir(t, 'wsimport');
  const from = join(root, 'workspace', 'decision-log');
  await oldLog(from, 1, 12, [13]);
  const before = await contents(from);
  const user = await openStore(join(root, 'user'), { wasmDir, compactionWorker: false });
  await logSynthetic(user, 1001, 1005);
  assert.equal(await workspaceLogState(from), 'pending');

  const result = await importWorkspaceLog(user, from, options);
  assert.equal(result.state, 'imported', JSON.stringify(result));
  assert.deepEqual(result.state === 'imported' && result.report, { imported: 13, alreadyStored: 0, outcomesAdded: 0 });
  assert.equal(user.decisionCount(), 18);
  const old = await openStore(from, { wasmDir, readOnly: true });
  const oldRecords = logged(old);
  await old.close();
  assert.deepEqual(logged(user).filter((r) => !r.decision.requestId.startsWith('req-100')), oldRecords);

  const marker = JSON.parse(await readFile(join(from, importedMarkerFileName), 'utf8')) as ImportedMarker;
  assert.deepEqual(marker, { format: 'paramloop.importedLog', version: 1, importedAt: '2026-03-01T09:30:00.000Z', into: user.dir, decisions: 13, summarisedDecisions: 0 });
  const after = await contents(from);
  after.delete(importedMarkerFileName);
  assert.deepEqual(after, before, 'nothing in the old folder changed but the marker (no lock, segment or snapshot left)');
  assert.equal(await workspaceLogState(from), 'imported');

  // Marked: not imported again, not even opened.
  const lastSeq = user.stats().lastSeq;
  const again = await importWorkspaceLog(user, from, options);
  assert.equal(again.state, 'importedBefore');
  assert.deepEqual(again.state === 'importedBefore' && again.marker, marker);
  assert.equal(user.stats().lastSeq, lastSeq, 'nothing appended');
  await user.close();
});

test('a crash anywhere in the import, or before the marker, is finished by the next start: every decision once', async (t) => {
  const root = await tempDir(t, 'wsimport');
  const from = join(root, 'workspace');
  await oldLog(from, 1, 8, [9]);
  const live = join(root, 'live');
  const user = await openStore(live, { wasmDir, compactionWorker: false });
  await logSynthetic(user, 1001, 1003);
  const ownEvents = user.stats().lastSeq;
  const result = await importWorkspaceLog(user, from, options);
  assert.equal(result.state, 'imported');
  // What a kill leaves at any moment of the import: the user's journal as it is (the unit is
  // written, synced, and only then is the marker written), the old folder without its marker.
  const image = join(root, 'image');
  await cp(live, image, { recursive: true });
  const expected = logged(user);
  await user.close();
  await rm(join(from, importedMarkerFileName));
  const [segment] = await listSegments(image);
  assert.ok(segment !== undefined);
  const lines = (await readFile(join(image, segment.file), 'utf8')).split('\n').filter((line) => line.length > 0);
  // The header, the user's own 6 events, then the unit: begin, 9 decisions, 8 outcomes, commit.
  const unitEvents = 1 + 9 + 8 + 1;
  assert.equal(lines.length, 1 + ownEvents + unitEvents);
  assert.match(lines[1 + ownEvents] ?? '', /"t":"unitBegin"/);

  for (let kept = 0; kept <= unitEvents; kept++) {
    const crashed = join(root, `crashed-${kept}`);
    const oldCopy = join(root, `old-${kept}`);
    await cp(image, crashed, { recursive: true });
    await cp(from, oldCopy, { recursive: true });
    await writeFile(join(crashed, segment.file), `${lines.slice(0, 1 + ownEvents + kept).join('\n')}\n`);
    // A kill while the marker was being written leaves its temporary file: not a mark.
    if (kept === unitEvents) await writeFile(join(oldCopy, `${importedMarkerFileName}.tmp`), '{"format":"paramloop.imp');
    const reopened = await openStore(crashed, { wasmDir, compactionWorker: false });
    assert.equal(reopened.decisionCount(), kept === unitEvents ? 12 : 3, `after ${kept} events of the unit`);
    const resumed = await importWorkspaceLog(reopened, oldCopy, options);
    assert.equal(resumed.state, 'imported', `after ${kept} events of the unit: ${JSON.stringify(resumed)}`);
    const report = resumed.state === 'imported' ? resumed.report : undefined;
    assert.deepEqual(report, kept === unitEvents ? { imported: 0, alreadyStored: 9, outcomesAdded: 0 } : { imported: 9, alreadyStored: 0, outcomesAdded: 0 });
    assert.deepEqual(logged(reopened), expected, `after ${kept} events of the unit`);
    assert.equal((await importWorkspaceLog(reopened, oldCopy, options)).state, 'importedBefore');
    await reopened.close();
    const marker = JSON.parse(await readFile(join(oldCopy, importedMarkerFileName), 'utf8')) as ImportedMarker;
    assert.equal(marker.decisions, 9);
    await rm(crashed, { recursive: true });
    await rm(oldCopy, { recursive: true });
  }
});

test('identical request ids are skipped; a different record under a stored id refuses the whole import, naming it and the folder', async (t) => {
  const root = await tempDir(t, 'wsimport');
  const from = join(root, 'workspace');
  await oldLog(from, 1, 6);
  const before = await contents(from);
  const user = await openStore(join(root, 'user'), { wasmDir, compactionWorker: false });
  // req-1 and req-2 as the old log has them (the same seed), req-4 with other content.
  await logSynthetic(user, 1, 2);
  user.appendDecision({ ...syntheticEvent(4, seededRandom(5)).decision });
  await user.flush();
  const lastSeq = user.stats().lastSeq;

  const refused = await importWorkspaceLog(user, from, options);
  assert.equal(refused.state, 'failed');
  const reason = refused.state === 'failed' ? refused.reason : '';
  assert.match(reason, /^1 of its records conflict with your log or are invalid: request id 'req-4' is already in the store with a different decision/);
  assert.equal(user.stats().lastSeq, lastSeq, 'nothing imported');
  assert.deepEqual(await contents(from), before, 'no marker, nothing changed: the next start tries again');
  const [message] = workspaceImportMessages(refused, user.dir);
  assert.equal(message?.level, 'error');
  assert.ok(message?.text.includes(`earlier decision log in ${from} could not be imported into your log in ${user.dir}: ${reason}`), message?.text);
  assert.match(message?.text ?? '', /Nothing of it was imported and the folder was left as it was\. Paramloop keeps working with your log/);
  await user.close();

  // Without the conflicting record, the two identical ones are skipped and the rest imported.
  const other = await openStore(join(root, 'other'), { wasmDir, compactionWorker: false });
  await logSynthetic(other, 1, 2);
  const result = await importWorkspaceLog(other, from, options);
  assert.deepEqual(result.state === 'imported' && result.report, { imported: 4, alreadyStored: 2, outcomesAdded: 0 });
  assert.equal(other.decisionCount(), 6);
  const [told] = workspaceImportMessages(result, other.dir);
  assert.deepEqual(told && [told.level, told.notify], ['info', true]);
  assert.equal(
    told?.text,
    `Decision log: imported 4 decisions from this workspace's earlier log (${from}) into your log (${other.dir}) (2 decisions were already in it and skipped). The old folder is kept, read-only: Paramloop no longer writes to it.`,
  );
  await other.close();
});

test('a damaged old log, or one another store holds open, is not imported: the reason names the folder and nothing changes', async (t) => {
  const root = await tempDir(t, 'wsimport');
  const from = join(root, 'workspace');
  // Two sessions, then both snapshot generations unreadable: decision 1 and its outcome were in them only.
  await oldLog(from, 1, 1);
  const second = await openStore(from, { wasmDir, compactionWorker: false });
  await logSynthetic(second, 2, 2);
  await second.close();
  for (const name of [snapshotFileName, previousSnapshotFileName]) await writeFile(join(from, name), 'x'.repeat(200));
  const before = await contents(from);
  const user = await openStore(join(root, 'user'), { wasmDir, compactionWorker: false });

  const damaged = await importWorkspaceLog(user, from, options);
  assert.equal(damaged.state, 'failed');
  assert.match(damaged.state === 'failed' ? damaged.reason : '', new RegExp(`^opening the store in ${from} would lose stored events, so it was not opened and nothing in it was changed:\\nEvents 1–2 \\(2\\) are lost: no readable snapshot holds them`));
  assert.equal(user.stats().lastSeq, 0);
  assert.deepEqual(await contents(from), before, 'nothing moved aside, no lock left, no marker');

  const held = join(root, 'held');
  await oldLog(held, 1, 3);
  const holder = await openStore(held, { wasmDir, compactionWorker: false });
  const busy = await importWorkspaceLog(user, held, options);
  assert.equal(busy.state, 'failed');
  assert.match(busy.state === 'failed' ? busy.reason : '', /^The store in .*held is in use: another store of this process has it open/);
  await holder.close();
  assert.equal((await importWorkspaceLog(user, held, options)).state, 'imported', 'imported once the other store closed it');
  assert.equal(user.decisionCount(), 3);
  await user.close();
});

test('no log, an empty folder, or a file where the folder should be: nothing to import and nothing created', async (t) => {
  const root = await tempDir(t, 'wsimport');
  const user = await openStore(join(root, 'user'), { wasmDir, compactionWorker: false });
  const missing = join(root, 'missing');
  assert.equal((await importWorkspaceLog(user, missing, options)).state, 'none');
  await assert.rejects(stat(missing), { code: 'ENOENT' });
  const empty = join(root, 'empty');
  await mkdir(empty);
  assert.equal((await importWorkspaceLog(user, empty, options)).state, 'none');
  assert.deepEqual(await readdir(empty), []);
  const file = join(root, 'file');
  await writeFile(file, 'x');
  assert.equal((await importWorkspaceLog(user, file, options)).state, 'none');
  assert.equal(user.stats().lastSeq, 0);
  await user.close();
});

test('an empty old log is marked without a notification; decisions kept only as summaries are named as staying behind', async (t) => {
  const root = await tempDir(t, 'wsimport');
  const user = (await openStoreSession(join(root, 'user'), keepAll, { wasmDir, compactionWorker: false })).store;
  assert.ok(user !== undefined);
  const emptyLog = join(root, 'empty-log');
  await (await openStore(emptyLog, { wasmDir, compactionWorker: false })).close();
  const empty = await importWorkspaceLog(user, emptyLog, options);
  assert.deepEqual(empty.state === 'imported' && empty.report, { imported: 0, alreadyStored: 0, outcomesAdded: 0 });
  assert.deepEqual(workspaceImportMessages(empty, user.dir).map((m) => [m.level, m.notify]), [['info', false]]);
  assert.equal(await workspaceLogState(emptyLog), 'imported');

  // Retention keeps the newest 4 decisions as rows; the other 6 are daily sums, which cannot be imported.
  const summarised = join(root, 'summarised');
  const store = await openStore(summarised, { wasmDir, compactionWorker: false });
  await logSynthetic(store, 1, 10);
  store.applyRetention({ keepDecisions: 4 });
  await store.close();
  const result = await importWorkspaceLog(user, summarised, options);
  assert.deepEqual(result.state === 'imported' && [result.report.imported, result.summarisedDecisions], [4, 6]);
  assert.match(workspaceImportMessages(result, user.dir)[0]?.text ?? '', /imported 4 decisions .*\. 6 older decisions that it held only as daily summaries stay there\. The old folder is kept/);
  await user.close();
});

test('an old log holding a record the import format refuses is not imported: the reason names the decision and the field', async (t) => {
  const root = await tempDir(t, 'wsimport');
  const from = join(root, 'workspace');
  const store = await openStore(from, { wasmDir, compactionWorker: false });
  await logSynthetic(store, 1, 2);
  // The store checks a decision's shape at append; the invariants of a logged choice are the import's.
  const { decision } = syntheticEvent(3, seededRandom(3));
  store.appendDecision({ ...decision, propensity: (decision.probabilities[decision.armIndex] ?? 0) / 2 });
  await store.close();
  const user = await openStore(join(root, 'user'), { wasmDir, compactionWorker: false });
  const result = await importWorkspaceLog(user, from, options);
  assert.equal(result.state, 'failed');
  assert.match(result.state === 'failed' ? result.reason : '', /^1 of its records conflict with your log or are invalid: decision 'req-3' \(decision\.propensity\): /);
  assert.equal(user.stats().lastSeq, 0, 'none of the three imported');
  assert.equal(await workspaceLogState(from), 'pending');
  await user.close();
});

test('a window without the user log says, in the log only, that a workspace log waits; nothing when there is none or it was imported', async (t) => {
  const root = await tempDir(t, 'wsimport');
  const from = join(root, 'workspace');
  assert.deepEqual(await waitingWorkspaceLogMessages(from), []);
  await oldLog(from, 1, 1);
  assert.deepEqual(await waitingWorkspaceLogMessages(from), [
    { level: 'info', text: `Decision log: this workspace's earlier decision log in ${from} will be imported into your log when this window opens it.` },
  ]);
  const user = await openStore(join(root, 'user'), { wasmDir, compactionWorker: false });
  assert.equal((await importWorkspaceLog(user, from, options)).state, 'imported');
  await user.close();
  assert.deepEqual(await waitingWorkspaceLogMessages(from), []);
});
