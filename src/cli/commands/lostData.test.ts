// The CLI on folders that hold no store, or whose store lost events when opened: an error (exit 1)
// naming what is wrong, with nothing written (an export a script would overwrite stays as it was)
// and nothing in the folder changed; `--accept-loss` opens such a store all the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { previousSnapshotFileName, snapshotFileName } from '../../store/snapshotFile';
import { runCaptured } from '../testing';

async function workDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paramloop-cli-lost-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function folderBytes(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) files.set(name, await readFile(join(dir, name)));
  return files;
}

/**
 * Two simulate runs of 50 rounds (each closing with a snapshot), then both snapshot files made
 * unreadable: the first run's 100 events (decisions 1..50 with outcomes) were in them only.
 */
async function storeThatLostEvents(db: string): Promise<void> {
  for (const seed of ['1', '2']) {
    const run = await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'linucb', '--rounds', '50', '--seed', seed, '--db', db]);
    assert.equal(run.code, 0, run.err);
  }
  for (const name of [snapshotFileName, previousSnapshotFileName]) await writeFile(join(db, name), 'damaged '.repeat(40));
}

test('export from a mistyped or empty --db folder exits 1 naming it, and leaves the previous export as it was', async (t) => {
  const dir = await workDir(t);
  const out = join(dir, 'good.jsonl');
  await writeFile(out, 'a good export\n');
  const mistyped = await runCaptured(['export', '--db', join(dir, 'dbb'), '--format', 'jsonl', '--out', out]);
  assert.equal(mistyped.code, 1);
  assert.match(mistyped.err, /paramloop export: .*dbb holds no Paramloop store \(no such folder\)/);
  await mkdir(join(dir, 'empty'));
  const empty = await runCaptured(['export', '--db', join(dir, 'empty'), '--format', 'csv', '--out', out]);
  assert.equal(empty.code, 1);
  assert.match(empty.err, /empty holds no Paramloop store \(no snapshot and no journal in it\)/);
  const toStdout = await runCaptured(['export', '--db', join(dir, 'empty'), '--format', 'dsjson']);
  assert.equal(toStdout.code, 1);
  assert.equal(toStdout.out, '');
  assert.equal(await readFile(out, 'utf8'), 'a good export\n');
  assert.deepEqual(await readdir(dir), ['empty', 'good.jsonl'], 'no temporary file left behind either');
});

test('export from a store that lost events exits 1 naming the lost events and writes nothing; --accept-loss exports what remains', async (t) => {
  const dir = await workDir(t);
  const db = join(dir, 'db');
  await storeThatLostEvents(db);
  const before = await folderBytes(db);
  const out = join(dir, 'good.jsonl');
  await writeFile(out, 'a good export\n');
  const refused = await runCaptured(['export', '--db', db, '--format', 'jsonl', '--out', out]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /paramloop export: opening the store in .*db would lose stored events, so it was not opened and nothing in it was changed:\nEvents 1–100 \(100\) are lost/);
  assert.match(refused.err, /With --accept-loss it is opened anyway\./);
  assert.equal(await readFile(out, 'utf8'), 'a good export\n');
  assert.deepEqual(await folderBytes(db), before);

  const accepted = await runCaptured(['export', '--db', db, '--format', 'jsonl', '--out', out, '--accept-loss', '--json']);
  assert.equal(accepted.code, 0, accepted.err);
  assert.match(accepted.err, /paramloop export: error: Events 1–100 \(100\) are lost/);
  assert.equal((JSON.parse(accepted.out) as { decisions: number }).decisions, 50);
  assert.deepEqual(await folderBytes(db), before, 'read-only: nothing moved');
});

test('simulate --db into a store that lost events is refused with nothing changed; with --accept-loss it runs and the damaged files are set aside', async (t) => {
  const dir = await workDir(t);
  const db = join(dir, 'db');
  await storeThatLostEvents(db);
  const before = await folderBytes(db);
  const run = ['simulate', '--env', 'llm-planning', '--policy', 'linucb', '--rounds', '20', '--db', db, '--json'];
  const refused = await runCaptured(run);
  assert.equal(refused.code, 1);
  assert.equal(refused.out, '');
  assert.match(refused.err, /Events 1–100 \(100\) are lost/);
  assert.deepEqual(await folderBytes(db), before);

  const accepted = await runCaptured([...run, '--accept-loss']);
  assert.equal(accepted.code, 0, accepted.err);
  assert.match(accepted.err, /paramloop simulate: error: Events 1–100 \(100\) are lost/);
  const names = await readdir(db);
  assert.ok(names.some((name) => name.startsWith(`${snapshotFileName}.corrupt-`)));
  assert.ok(names.some((name) => name.startsWith(`${previousSnapshotFileName}.corrupt-`)));
  const exported = await runCaptured(['export', '--db', db, '--format', 'csv']);
  assert.equal(exported.code, 0, exported.err);
  assert.equal(exported.out.trimEnd().split('\r\n').length, 1 + 50 + 20);
});

test('export from a store whose snapshot is damaged but whose previous snapshot and journal hold everything: a warning, exit 0, every decision', async (t) => {
  const dir = await workDir(t);
  const fresh = join(dir, 'db');
  for (const seed of ['1', '2']) assert.equal((await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'linucb', '--rounds', '50', '--seed', seed, '--db', fresh])).code, 0);
  await writeFile(join(fresh, snapshotFileName), 'damaged '.repeat(40));
  const exported = await runCaptured(['export', '--db', fresh, '--format', 'jsonl', '--json', '--out', join(dir, 'all.jsonl')]);
  assert.equal(exported.code, 0, exported.err);
  assert.match(exported.err, /paramloop export: warning: The snapshot .*snapshot\.db is unreadable .* The store was rebuilt from the previous snapshot/);
  assert.equal((JSON.parse(exported.out) as { decisions: number }).decisions, 100);
});

test('ope --db, a reading command too: a mistyped folder and a store that lost events are errors (exit 1) naming them', async (t) => {
  const dir = await workDir(t);
  const mistyped = await runCaptured(['ope', '--db', join(dir, 'dbb')]);
  assert.equal(mistyped.code, 1);
  assert.match(mistyped.err, /^paramloop ope: .*dbb holds no Paramloop store \(no such folder\)\n$/);
  const db = join(dir, 'db');
  await storeThatLostEvents(db);
  const lost = await runCaptured(['ope', '--db', db]);
  assert.equal(lost.code, 1);
  assert.equal(lost.out, '');
  assert.match(lost.err, /^paramloop ope: opening the store in .*db would lose stored events, so it was not opened and nothing in it was changed:\nEvents 1–100 \(100\) are lost/);
});
