// The user's learner for an editor window (session.ts): the first window serves the user's log, the
// next is a client of it; the window that serves imports its workspace's earlier log before the
// learner is restored, and a window that takes over later imports the one that waited for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../core/math/random';
import { loadSqlJs } from '../store/sqlite';
import { openStore, snapshotFileName } from '../store/store';
import { logSynthetic } from '../store/testing/synthetic';
import { openLearnerSession, type LearnerSession, type UserMessage } from './session';
import { environment, wasmDir } from './testing/connectOptions';

/** A temporary folder, removed after the test once the sessions it registered are closed. */
async function tempRoot(t: { after(fn: () => Promise<void>): void }): Promise<{ root: string; keep(session: LearnerSession): LearnerSession }> {
  const root = await mkdtemp(join(tmpdir(), 'paramloop-session-'));
  const sessions: LearnerSession[] = [];
  t.after(async () => {
    for (const session of sessions.reverse()) await session.connection?.close();
    await rm(root, { recursive: true, force: true });
  });
  return { root, keep: (session) => (sessions.push(session), session) };
}

async function writeOldLog(dir: string, count: number): Promise<void> {
  const store = await openStore(dir, { wasmDir, compactionWorker: false });
  await logSynthetic(store, 1, count);
  await store.close();
}

const settings = { retention: {}, includePromptText: false };

function open(dir: string, workspaceLogDir: string | undefined, told: UserMessage[] = []): Promise<LearnerSession> {
  return openLearnerSession(dir, settings, { wasmDir, ...(workspaceLogDir ? { workspaceLogDir } : {}), tell: (m) => told.push(...m), log: () => undefined, timeoutMs: 10_000 });
}

test("the first window serves the user's log and imports its workspace's earlier one before the learner is restored; the second is a client", async (t) => {
  const { root, keep } = await tempRoot(t);
  const logDir = join(root, 'user', 'decision-log');
  const oldDir = join(root, 'ws-a', 'decision-log');
  await writeOldLog(oldDir, 3);
  const first = keep(await open(logDir, oldDir));
  assert.ok(first.connection, JSON.stringify(first.messages));
  assert.equal(first.connection.role, 'serve');
  assert.deepEqual(first.workspaceLog, { state: 'imported', imported: 3 });
  assert.deepEqual(first.messages.map((m) => m.level), ['info'], JSON.stringify(first.messages));
  assert.match(first.messages[0]!.text, /imported 3 decisions from this workspace's earlier log/);
  const status = await first.connection.status();
  assert.equal(status.decisions, 3);
  assert.deepEqual(status.notices, [], 'the imported events restored without a notice');

  const second = keep(await open(logDir, join(root, 'ws-b', 'decision-log')));
  assert.ok(second.connection, JSON.stringify(second.messages));
  assert.equal(second.connection.role, 'client');
  assert.deepEqual(second.workspaceLog, { state: 'none', imported: 0 });
  // The client logs into the served log.
  const rec = await second.connection.recommend(environment.sampleContext(createRng(1)), 's');
  assert.equal(rec.kind, 'decision');
  if (rec.kind === 'decision') await second.connection.logDecision(rec.decision.requestId);
  assert.equal((await first.connection.status()).decisions, 4);
});

test('a workspace log waits in a client window and is imported (and told) when that window takes over', async (t) => {
  const { root, keep } = await tempRoot(t);
  const logDir = join(root, 'user', 'decision-log');
  const waitingDir = join(root, 'ws-b', 'decision-log');
  await writeOldLog(waitingDir, 2);
  const first = keep(await open(logDir, undefined));
  assert.ok(first.connection);
  const told: UserMessage[] = [];
  const second = keep(await open(logDir, waitingDir, told));
  assert.ok(second.connection);
  assert.equal(second.connection.role, 'client');
  assert.deepEqual(second.workspaceLog, { state: 'waiting', imported: 0 });
  assert.ok(second.messages.some((m) => m.text.includes(`${waitingDir} will be imported into your log when this window opens it`)), JSON.stringify(second.messages));

  const served = new Promise<void>((resolve) => second.connection!.onServingChange((s) => s.thisProcess && resolve()));
  await first.connection.close();
  await served;
  assert.equal(second.connection.role, 'serve');
  assert.deepEqual(second.workspaceLog, { state: 'imported', imported: 2 });
  assert.ok(told.some((m) => m.level === 'info' && /imported 2 decisions/.test(m.text)), JSON.stringify(told));
  assert.equal((await second.connection.status()).decisions, 2);
});

test('a log written by a newer version: no learner, an error naming the folder, the window keeps working', async (t) => {
  const { root, keep } = await tempRoot(t);
  const logDir = join(root, 'user', 'decision-log');
  await mkdir(logDir, { recursive: true });
  const SQL = await loadSqlJs(wasmDir);
  const db = new SQL.Database();
  db.run('PRAGMA user_version = 99');
  const future = db.export();
  db.close();
  await writeFile(join(logDir, snapshotFileName), future);
  const session = keep(await open(logDir, undefined));
  assert.equal(session.connection, undefined);
  assert.deepEqual(new Uint8Array(await readFile(join(logDir, snapshotFileName))), future, 'nothing changed');
  assert.equal(session.messages.length, 1);
  assert.equal(session.messages[0]!.level, 'error');
  assert.match(session.messages[0]!.text, /newer Paramloop \(schema version 99/);
});
