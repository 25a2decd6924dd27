// What the user is told when the decision log opens, recovers, or cannot be opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStoreSession } from './session';
import type { StoreUserSettings } from './session';
import { loadSqlJs } from './sqlite';
import { snapshotFileName } from './store';
import { previousSnapshotFileName } from './snapshotFile';
import { seededRandom, syntheticEvent } from './testing/synthetic';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');
const keepAll: StoreUserSettings = { retention: {}, includePromptText: false };

test('a fresh folder opens with nothing to report and journals no retention pass when none is set', async (t) => {
  const dir = await tempDir(t, 'session');
  const session = await openStoreSession(join(dir, 'store'), keepAll, { wasmDir });
  assert.deepEqual(session.messages, []);
  assert.ok(session.store !== undefined);
  assert.equal(session.store.stats().lastSeq, 0);
  await session.store.close();
});

test('an unreadable snapshot whose events the journal still holds is a warning naming where it was moved; the store works', async (t) => {
  const dir = await tempDir(t, 'session');
  const first = await openStoreSession(dir, keepAll, { wasmDir });
  const { decision } = syntheticEvent(1, seededRandom(1));
  first.store?.appendDecision(decision);
  await first.store?.close();
  await writeFile(join(dir, snapshotFileName), 'not a database at all, but long enough to look like one at first glance '.repeat(3));

  const session = await openStoreSession(dir, keepAll, { wasmDir });
  assert.deepEqual(session.messages.map((m) => m.level), ['warning']);
  assert.match(session.messages[0]?.text ?? '', /^Decision log: The snapshot .*snapshot\.db is unreadable \(snapshot does not start with a SQLite header\)\. The store was rebuilt from the journal alone\. It was moved to .*snapshot\.db\.corrupt-\d{8}T\d{6}Z/);
  assert.ok(session.store !== undefined);
  assert.equal(session.store.decisionCount(), 1);
  assert.ok((await readdir(dir)).some((name) => name.startsWith(`${snapshotFileName}.corrupt-`)));
  await session.store.close();
});

test('opening that lost events says so as an error naming them; the store still opens and works', async (t) => {
  const dir = await tempDir(t, 'session');
  const random = seededRandom(2);
  for (const n of [1, 2]) {
    const opened = await openStoreSession(dir, keepAll, { wasmDir });
    opened.store?.appendDecision(syntheticEvent(n, random).decision);
    await opened.store?.close();
  }
  // Both snapshot generations unreadable: decision 1 (event 1) was in them only.
  for (const name of [snapshotFileName, previousSnapshotFileName]) await writeFile(join(dir, name), 'x'.repeat(200));
  const session = await openStoreSession(dir, keepAll, { wasmDir });
  assert.deepEqual(session.messages.map((m) => m.level), ['warning', 'warning', 'error']);
  assert.match(session.messages[2]?.text ?? '', /^Decision log: Event 1 is lost: no readable snapshot holds it, and the journal starts at 2/);
  assert.ok(session.store !== undefined);
  assert.equal(session.store.decisionCount(), 1);
  await session.store.close();
});

test('a store from a newer version, or one in use, is not opened: the user is told why and nothing changes', async (t) => {
  const dir = await tempDir(t, 'session');
  const SQL = await loadSqlJs(wasmDir);
  const db = new SQL.Database();
  db.run('PRAGMA user_version = 99');
  const future = db.export();
  db.close();
  await writeFile(join(dir, snapshotFileName), future);
  const refused = await openStoreSession(dir, keepAll, { wasmDir });
  assert.equal(refused.store, undefined);
  assert.deepEqual(refused.messages.map((m) => m.level), ['error']);
  assert.match(refused.messages[0]?.text ?? '', /schema version 99; this version reads up to \d+\)\. Update Paramloop to open it; nothing was changed\. Paramloop keeps serving the baseline parameters/);
  assert.deepEqual(new Uint8Array(await readFile(join(dir, snapshotFileName))), future);

  const other = await tempDir(t, 'session');
  const holder = await openStoreSession(other, keepAll, { wasmDir });
  const second = await openStoreSession(other, keepAll, { wasmDir });
  assert.equal(second.store, undefined);
  assert.deepEqual(second.messages.map((m) => [m.level, m.notify]), [['warning', false]], 'another window holding the log is logged, not notified');
  assert.match(second.messages[0]?.text ?? '', /is in use: another store of this process has it open/);
  await holder.store?.close();

  const file = join(other, 'a-file');
  await writeFile(file, 'x');
  const broken = await openStoreSession(file, keepAll, { wasmDir });
  assert.equal(broken.store, undefined);
  assert.match(broken.messages[0]?.text ?? '', /the store in .*a-file could not be opened \(.*a-file is a file, not a folder: a store is a folder \(give a folder path\)\)\. Nothing in it was deleted\./);
});
