// Opening checks a snapshot before it is used: its checksum while the file is read, then SQLite's
// quick_check (in the worker, on the same bytes in shared memory, while this thread copies them; or
// here, without a worker or when the worker fails). A snapshot that fails either is refused, named in
// a notice, kept aside, and the store is rebuilt from the other generation and the journal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore, snapshotFileName } from './store';
import type { Store, StoreOptions } from './store';
import { readSnapshotChecked } from './snapshotRead';
import { sha256, snapshotTrailer, unsealSnapshot } from './snapshotSeal';
import { logSynthetic } from './testing/synthetic';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');
const workerScript = join(__dirname, 'compactWorker.ts');
const when = Date.UTC(2026, 10, 25, 4, 30, 0);

/** Two sessions, each closed with a snapshot: snapshot.db holds 60 decisions, the previous one 30. */
async function twoSnapshots(dir: string): Promise<unknown> {
  const one = await openStore(dir, { wasmDir, compactionWorker: false });
  await logSynthetic(one, 1, 30);
  await one.close();
  const two = await openStore(dir, { wasmDir, compactionWorker: false });
  await logSynthetic(two, 31, 60);
  await two.close();
  const reference = await openStore(dir, { wasmDir, readOnly: true });
  assert.deepEqual(reference.notices, []);
  const expected = contents(reference);
  await reference.close();
  return expected;
}

function contents(store: Store): unknown {
  return { logged: [...store.iterateLogged()], phases: store.countsByPhase(), arms: store.armObjectives() };
}

/** Damages a table page's structure (its page type) and seals the result again: the checksum matches, quick_check fails. */
async function breakPageKeepChecksum(path: string): Promise<void> {
  const image = Buffer.from(unsealSnapshot(await readFile(path)).image);
  const pageSize = image.readUInt16BE(16);
  let page = Math.floor(image.length / pageSize) - 1;
  while (page > 1 && image[page * pageSize] !== 0x0d) page--; // a leaf page of a table
  assert.ok(page > 1, 'the snapshot has a table leaf page past the first');
  image[page * pageSize] = 0x00;
  await writeFile(path, Buffer.concat([image, snapshotTrailer(image, await sha256(image))]));
}

async function flipByte(path: string): Promise<Buffer> {
  const bytes = await readFile(path);
  const offset = Math.floor(bytes.length / 2);
  bytes[offset] = (bytes[offset] ?? 0) ^ 0x01;
  await writeFile(path, bytes);
  return bytes;
}

/** Opens `dir` for writing and checks that the damaged snapshot was refused for `reason`, the previous one used, nothing lost. */
async function opensFromPrevious(dir: string, options: Partial<StoreOptions>, reason: RegExp, expected: unknown): Promise<void> {
  const path = join(dir, snapshotFileName);
  const damaged = await readFile(path);
  const store = await openStore(dir, { wasmDir, now: () => when, ...options });
  assert.deepEqual(
    store.notices.map((n) => [n.code, n.level, n.file]),
    [['snapshot-unreadable', 'warning', path]],
  );
  assert.match(store.notices[0]?.message ?? '', reason);
  assert.match(store.notices[0]?.message ?? '', /The store was rebuilt from the previous snapshot .*snapshot\.previous\.db and the journal\./);
  assert.deepEqual(contents(store), expected, 'nothing lost, nothing changed');
  await logSynthetic(store, 61, 62);
  await store.close();
  assert.deepEqual(await readFile(`${path}.corrupt-20261125T043000Z`), damaged, 'the damaged file is kept byte for byte');
  const again = await openStore(dir, { wasmDir, readOnly: true });
  assert.deepEqual(again.notices, []);
  assert.equal(again.decisionCount(), 62);
  await again.close();
}

test('a snapshot that fails its checksum (found while it is read) is refused and the previous generation used, with the worker', async (t) => {
  const dir = await tempDir(t, 'recovery');
  const expected = await twoSnapshots(dir);
  await flipByte(join(dir, snapshotFileName));
  await opensFromPrevious(dir, { compactionWorker: { script: workerScript } }, /unreadable \(checksum mismatch/, expected);
});

test('a snapshot whose checksum matches but whose pages fail quick_check in the worker (on the shared bytes, during the copy) is refused and the previous generation used', async (t) => {
  const dir = await tempDir(t, 'recovery');
  const expected = await twoSnapshots(dir);
  await breakPageKeepChecksum(join(dir, snapshotFileName));
  await opensFromPrevious(dir, { compactionWorker: { script: workerScript } }, /unreadable \(integrity check failed/, expected);
});

test('the same quick_check failure without a worker is found on the main thread', async (t) => {
  const dir = await tempDir(t, 'recovery');
  const expected = await twoSnapshots(dir);
  await breakPageKeepChecksum(join(dir, snapshotFileName));
  await opensFromPrevious(dir, { compactionWorker: false }, /unreadable \(integrity check failed/, expected);
});

test('when the worker fails during the check, quick_check runs on the main thread and still refuses the snapshot', async (t) => {
  const dir = await tempDir(t, 'recovery');
  const expected = await twoSnapshots(dir);
  await breakPageKeepChecksum(join(dir, snapshotFileName));
  const crashing = join(dir, 'crashingWorker.js');
  await writeFile(crashing, "require('node:worker_threads').parentPort.on('message', () => process.exit(3));\n");
  const path = join(dir, snapshotFileName);
  const store = await openStore(dir, { wasmDir, now: () => when, readOnly: false, compactionWorker: { script: crashing }, snapshotEveryEvents: 1e9, snapshotIntervalMs: 1e12 });
  try {
    assert.deepEqual(store.notices.map((n) => [n.code, n.file]), [['snapshot-unreadable', path]]);
    assert.match(store.notices[0]?.message ?? '', /unreadable \(integrity check failed/);
    assert.deepEqual(contents(store), expected);
  } finally {
    await store.close().catch(() => undefined); // its snapshot needs the worker that crashes
  }
});

test('readSnapshotChecked: read in chunks into shared memory, the checksum verified as it goes; a flipped byte or a cut trailer is named', async (t) => {
  const dir = await tempDir(t, 'recovery');
  await twoSnapshots(dir);
  const path = join(dir, snapshotFileName);
  const original = await readFile(path);
  const read = await readSnapshotChecked(path, { shared: true, chunkBytes: 4096 + 7 });
  assert.equal(read?.damage, undefined);
  assert.equal(read?.sealed, true);
  assert.ok(read?.file.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(Buffer.from(read?.snapshot?.image ?? []), unsealSnapshot(original).image);
  assert.equal(await readSnapshotChecked(join(dir, 'absent.db')), undefined);

  await flipByte(path);
  assert.match((await readSnapshotChecked(path, { chunkBytes: 4096 }))?.damage ?? '', /^checksum mismatch/);
  await writeFile(path, original.subarray(0, original.length - 1));
  const cut = await readSnapshotChecked(path);
  assert.equal(cut?.sealed, false);
  assert.equal(cut?.damage, undefined, 'no trailer: read as a file from before checksums (SQLite\'s checks judge it)');
});
