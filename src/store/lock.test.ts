// One writer per store folder: a second open is refused while the first is alive, a lock left by
// a dead process is taken over, read-only opens need no lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { lockFileName, StoreLockedError } from './lock';
import { openStore } from './store';
import { seededRandom, syntheticEvent } from './testing/synthetic';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');

/** A process that is running (until `stop`), and its pid. */
function sleeper(): { pid: number; stop(): Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid === undefined) throw new Error('could not start a child process');
  return {
    pid: child.pid,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function holder(pid: number, host = hostname()): string {
  return `${JSON.stringify({ pid, host, since: 1_764_000_000_000, token: 'other' })}\n`;
}

test('a second writer in the same process is refused until the first closes; read-only opens are allowed', async (t) => {
  const dir = await tempDir(t, 'lock');
  const first = await openStore(dir, { wasmDir });
  const { decision } = syntheticEvent(1, seededRandom(1));
  first.appendDecision(decision);
  await first.flush();
  await assert.rejects(openStore(dir, { wasmDir }), (error: unknown) => error instanceof StoreLockedError && /another store of this process has it open/.test(error.message));
  const reader = await openStore(dir, { wasmDir, readOnly: true });
  assert.equal(reader.decisionCount(), 1);
  await reader.close();
  await first.close();
  assert.ok(!(await readdir(dir)).includes(lockFileName), 'closing removes the lock');
  const second = await openStore(dir, { wasmDir });
  assert.equal(second.decisionCount(), 1);
  assert.equal(second.staleLock, undefined);
  await second.close();
});

test('a lock held by a running process is refused, naming it, and nothing in the folder changes', async (t) => {
  const dir = await tempDir(t, 'lock');
  const store = await openStore(dir, { wasmDir });
  const { decision } = syntheticEvent(1, seededRandom(1));
  store.appendDecision(decision);
  await store.close();
  const running = sleeper();
  t.after(() => running.stop());
  await writeFile(join(dir, lockFileName), holder(running.pid));
  const before = new Map<string, string>();
  for (const name of await readdir(dir)) before.set(name, await readFile(join(dir, name), 'latin1'));

  await assert.rejects(openStore(dir, { wasmDir }), (error: unknown) => {
    assert.ok(error instanceof StoreLockedError);
    assert.equal(error.holder.pid, running.pid);
    assert.match(error.message, new RegExp(`in use: process ${running.pid} has had it open since 2025-11-24T16:00:00.000Z`));
    return true;
  });
  const after = new Map<string, string>();
  for (const name of await readdir(dir)) after.set(name, await readFile(join(dir, name), 'latin1'));
  assert.deepEqual(after, before);
});

test('a lock left by a process that has ended is taken over, and reported as stale', async (t) => {
  const dir = await tempDir(t, 'lock');
  const ended = sleeper();
  await ended.stop();
  await writeFile(join(dir, lockFileName), holder(ended.pid));
  const store = await openStore(dir, { wasmDir });
  assert.equal(store.staleLock?.pid, ended.pid);
  const lock = JSON.parse(await readFile(join(dir, lockFileName), 'utf8')) as { pid: number };
  assert.equal(lock.pid, process.pid);
  await store.close();
  assert.ok(!(await readdir(dir)).includes(lockFileName));
});

test('a lock cut short is stale; a lock from another host is refused with how to clear it', async (t) => {
  const dir = await tempDir(t, 'lock');
  await writeFile(join(dir, lockFileName), '{"pid": 12');
  const store = await openStore(dir, { wasmDir });
  assert.equal(store.staleLock?.pid, 0);
  await store.close();

  await writeFile(join(dir, lockFileName), holder(4242, 'build-agent-7'));
  await assert.rejects(openStore(dir, { wasmDir }), /process 4242 on host build-agent-7 has it open \(if that host no longer runs Paramloop on this folder, delete .*store\.lock\)/);
});

test('the lock carries a random secret for the socket clients of its holder, in a file only its owner can read', async (t) => {
  const dir = await tempDir(t, 'lock');
  const first = await openStore(dir, { wasmDir });
  const written = JSON.parse(await readFile(join(dir, lockFileName), 'utf8')) as { secret?: unknown };
  assert.equal(typeof written.secret, 'string');
  assert.equal(Buffer.from(written.secret as string, 'base64url').length, 32);
  assert.equal(first.lockHolder?.secret, written.secret);
  if (process.platform !== 'win32') assert.equal((await stat(join(dir, lockFileName))).mode & 0o777, 0o600);
  await first.close();
  const second = await openStore(dir, { wasmDir });
  assert.notEqual(second.lockHolder?.secret, written.secret, 'each open draws its own secret');
  await second.close();
  const reader = await openStore(dir, { wasmDir, readOnly: true });
  assert.equal(reader.lockHolder, undefined);
  await reader.close();
});
