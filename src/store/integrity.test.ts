// A log that never silently loses or alters data: what opening a damaged folder reports, with the
// sequence numbers of what was lost, on real files cut or flipped byte by byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeEventLine, encodeLine, listSegments, segmentFileName } from './journal';
import { schemaVersion, StoreVersionError } from './schema';
import { openingLostData, openStore, snapshotFileName, StoreDataLossError, StoreNotFoundError } from './store';
import { previousSnapshotFileName } from './snapshotFile';
import { sha256, snapshotTrailer, trailerBytes, unsealSnapshot } from './snapshotSeal';
import type { Store } from './store';
import { logSynthetic, seededRandom, syntheticEvent, syntheticRequestId } from './testing/synthetic';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');

const log = logSynthetic;

/** A segment file as the store writes it: a header, then decisions n (event 2n − 1) with outcomes (event 2n). */
function segmentText(start: number, decisions: readonly number[]): string {
  const random = seededRandom(1);
  let text = encodeLine(JSON.stringify({ h: { format: 1, schema: schemaVersion, start } }));
  for (const n of decisions) {
    const { decision, outcome, reward } = syntheticEvent(n, random);
    text += encodeEventLine(2 * n - 1, 'decision', JSON.stringify(decision));
    text += encodeEventLine(2 * n, 'outcome', JSON.stringify({ outcome, reward }));
  }
  return text;
}

/** Changes one byte: XORs it with `mask`. */
function flip(bytes: Uint8Array, offset: number, mask: number): void {
  bytes[offset] = (bytes[offset] ?? 0) ^ mask;
}

/** Removes the last `lines` whole lines of a file. */
async function cutLines(path: string, lines: number): Promise<void> {
  const kept = (await readFile(path, 'utf8')).split('\n').slice(0, -1 - lines);
  await writeFile(path, `${kept.join('\n')}\n`);
}

/**
 * Two sessions that each crashed (no close, so no snapshot): session 1 logged decisions 1..10
 * (events 1..20, segment 1), session 2 decisions 11..15 (events 21..30, segment 21).
 */
async function twoCrashedSessions(dir: string): Promise<{ first: string; second: string }> {
  const live = join(dir, 'live');
  const one = await openStore(live, { wasmDir });
  await log(one, 1, 10);
  await cp(live, join(dir, 'after-one'), { recursive: true });
  await one.close();
  const two = await openStore(join(dir, 'after-one'), { wasmDir });
  await log(two, 11, 15);
  await cp(join(dir, 'after-one'), join(dir, 'crashed'), { recursive: true });
  await two.close();
  const segments = (await listSegments(join(dir, 'crashed'))).map((s) => s.file);
  assert.deepEqual(segments, [segmentFileName(1), segmentFileName(21)]);
  return { first: join(dir, 'crashed', segmentFileName(1)), second: join(dir, 'crashed', segmentFileName(21)) };
}

test('whole lines cut from the end of a segment that a later segment follows: the lost events 17–20 are named as an error', async (t) => {
  const dir = await tempDir(t, 'integrity');
  const { first } = await twoCrashedSessions(dir);
  await cutLines(first, 4); // decisions 9 and 10 with their outcomes: events 17..20
  const store = await openStore(join(dir, 'crashed'), { wasmDir, readOnly: true, refuseLoss: false });
  assert.deepEqual(store.notices.map((n) => [n.code, n.level, n.lost]), [['journal-gap', 'error', { from: 17, to: 20 }]]);
  assert.match(store.notices[0]?.message ?? '', /^Events 17–20 \(4\) were cut from the end of .*journal-000000000001\.log, which .*journal-000000000021\.log follows: they are lost\.$/);
  assert.equal(store.decisionCount(), 13);
  await store.close();
});

test('a segment cut mid-line that a later segment follows is a loss, not "an unacknowledged write"', async (t) => {
  const dir = await tempDir(t, 'integrity');
  const { first } = await twoCrashedSessions(dir);
  const text = await readFile(first, 'utf8');
  await writeFile(first, text.slice(0, text.length - 40)); // event 20's line, cut short
  const store = await openStore(join(dir, 'crashed'), { wasmDir });
  assert.deepEqual(store.notices.map((n) => [n.code, n.level, n.lost]), [['journal-gap', 'error', { from: 20, to: 20 }]]);
  assert.match(store.notices[0]?.message ?? '', /Event 20 was cut from the end of .*journal-000000000001\.log \(its last line is cut short\), which .*journal-000000000021\.log follows: it is lost\./);
  await store.close();
});

test('a torn last line with nothing lost after it stays an unacknowledged write (info), also when a later segment follows', async (t) => {
  const dir = await tempDir(t, 'integrity');
  await writeFile(join(dir, segmentFileName(1)), `${segmentText(1, [1, 2, 3])}${encodeEventLine(7, 'decision', '{"requestId":"torn"}').slice(0, 30)}`);
  await writeFile(join(dir, segmentFileName(7)), segmentText(7, [4, 5]));
  const store = await openStore(dir, { wasmDir, readOnly: true });
  assert.deepEqual(store.notices.map((n) => [n.code, n.level]), [['journal-torn-tail', 'info']]);
  assert.equal(store.decisionCount(), 5);
  await store.close();
});

test('a journal that starts after the snapshot ends: events 1–10 are named as lost', async (t) => {
  const dir = await tempDir(t, 'integrity');
  await writeFile(join(dir, segmentFileName(11)), segmentText(11, [6, 7, 8]));
  const store = await openStore(dir, { wasmDir, readOnly: true, refuseLoss: false });
  assert.deepEqual(store.notices.map((n) => [n.code, n.level, n.lost]), [['journal-gap', 'error', { from: 1, to: 10 }]]);
  assert.match(store.notices[0]?.message ?? '', /Events 1–10 \(10\) are lost: no readable snapshot holds them, and the journal starts at 11/);
  assert.equal(store.decisionCount(), 3);
  assert.ok(store.hasDecision(syntheticRequestId(6)));
  await store.close();
});

test('lines missing from the middle of a segment without a trace are named by their sequence numbers', async (t) => {
  const dir = await tempDir(t, 'integrity');
  const lines = segmentText(1, [1, 2, 3, 4]).split('\n');
  lines.splice(3, 2); // decision 2 and its outcome: events 3 and 4
  await writeFile(join(dir, segmentFileName(1)), lines.join('\n'));
  const store = await openStore(dir, { wasmDir, readOnly: true, refuseLoss: false });
  assert.deepEqual(store.notices.map((n) => [n.code, n.level, n.lost]), [['journal-gap', 'error', { from: 3, to: 4 }]]);
  assert.match(store.notices[0]?.message ?? '', /Events 3–4 \(2\) are missing from .*journal-000000000001\.log, between two of its lines: lost\./);
  await store.close();
});

/**
 * Two closed sessions: decisions 1..30 (events 1..60), snapshot A; decisions 31..60 (events
 * 61..120), snapshot B. A is kept as the previous snapshot with its journal from event 61 on.
 */
async function twoSnapshots(dir: string): Promise<void> {
  const one = await openStore(dir, { wasmDir });
  await log(one, 1, 30);
  await one.close();
  const two = await openStore(dir, { wasmDir });
  await log(two, 31, 60);
  await two.close();
  assert.deepEqual((await listSegments(dir)).map((s) => s.startSeq), [61, 121], 'segment 1 went with the second snapshot; 61 is kept for the previous one');
}

/** Everything a reader can see of a store: every decision with its outcome, and the aggregates. */
function contents(store: Store): unknown {
  return { logged: [...store.iterateLogged()], phases: store.countsByPhase(), arms: store.armObjectives() };
}

test('12 single-byte flips across a snapshot are each detected, and the store comes back whole from the previous snapshot and the journal', async (t) => {
  const dir = await tempDir(t, 'integrity');
  const live = join(dir, 'live');
  await twoSnapshots(live);
  const reference = await openStore(live, { wasmDir, readOnly: true });
  assert.deepEqual(reference.notices, []);
  const expected = contents(reference);
  assert.equal(reference.decisionCount(), 60);
  await reference.close();
  const sealed = await readFile(join(live, snapshotFileName));
  // The header, the first pages, pages in the middle and the last one, and the checksum trailer
  // (its magic, its length field and its digest).
  const offsets = [0, 18, 28, 60, 100, 4096 + 200, Math.floor(sealed.length / 3), Math.floor(sealed.length / 2), sealed.length - trailerBytes - 1, sealed.length - trailerBytes, sealed.length - 40, sealed.length - 1];
  for (const offset of offsets) {
    const copy = join(dir, `flip-${offset}`);
    await cp(live, copy, { recursive: true });
    const flipped = Buffer.from(sealed);
    flip(flipped, offset, 0xff);
    await writeFile(join(copy, snapshotFileName), flipped);
    const store = await openStore(copy, { wasmDir, readOnly: true });
    assert.deepEqual(store.notices.map((n) => [n.code, n.level]), [['snapshot-unreadable', 'warning']], `byte ${offset}`);
    assert.match(store.notices[0]?.message ?? '', /The store was rebuilt from the previous snapshot .*snapshot\.previous\.db and the journal\./, `byte ${offset}`);
    assert.deepEqual(contents(store), expected, `byte ${offset}: nothing lost, nothing changed`);
    await store.close();
  }
});

test('a writable open after a flipped byte keeps everything: the damaged file is moved aside, the previous snapshot takes its place, and later opens are clean', async (t) => {
  const dir = await tempDir(t, 'integrity');
  await twoSnapshots(dir);
  const reference = await openStore(dir, { wasmDir, readOnly: true });
  const expected = contents(reference);
  await reference.close();
  const path = join(dir, snapshotFileName);
  const bytes = await readFile(path);
  flip(bytes, Math.floor(bytes.length / 2), 0x01);
  await writeFile(path, bytes);

  const store = await openStore(dir, { wasmDir, now: () => Date.UTC(2026, 10, 25, 4, 30, 0) });
  assert.deepEqual(store.notices.map((n) => [n.code, n.level]), [['snapshot-unreadable', 'warning']]);
  assert.match(store.notices[0]?.message ?? '', /unreadable \(checksum mismatch/);
  assert.deepEqual(await readFile(`${path}.corrupt-20261125T043000Z`), bytes, 'the damaged file is kept byte for byte');
  assert.deepEqual(contents(store), expected);
  await log(store, 61, 62);
  await store.close();
  const again = await openStore(dir, { wasmDir, readOnly: true });
  assert.deepEqual(again.notices, []);
  assert.equal(again.decisionCount(), 62);
  await again.close();
});

test('when both snapshots are damaged, the events only they held are named as lost (an error), and both files are kept', async (t) => {
  const dir = await tempDir(t, 'integrity');
  await twoSnapshots(dir);
  for (const name of [snapshotFileName, previousSnapshotFileName]) {
    const bytes = await readFile(join(dir, name));
    flip(bytes, 5000, 0xff);
    await writeFile(join(dir, name), bytes);
  }
  const store = await openStore(dir, { wasmDir, now: () => Date.UTC(2026, 10, 25, 4, 30, 0) });
  assert.deepEqual(store.notices.map((n) => [n.code, n.level, n.lost]), [
    ['snapshot-unreadable', 'warning', undefined],
    ['snapshot-unreadable', 'warning', undefined],
    ['journal-gap', 'error', { from: 1, to: 60 }],
  ]);
  assert.match(store.notices[2]?.message ?? '', /Events 1–60 \(60\) are lost: no readable snapshot holds them, and the journal starts at 61/);
  assert.equal(openingLostData(store.notices), true);
  assert.equal(store.decisionCount(), 30);
  await store.close();
  const names = await readdir(dir);
  assert.ok(names.includes(`${snapshotFileName}.corrupt-20261125T043000Z`));
  assert.ok(names.includes(`${previousSnapshotFileName}.corrupt-20261125T043000Z`));
});

test('a missing snapshot.db with the previous snapshot present: rebuilt from it and the journal, with a warning', async (t) => {
  const dir = await tempDir(t, 'integrity');
  await twoSnapshots(dir);
  await rm(join(dir, snapshotFileName));
  const store = await openStore(dir, { wasmDir, readOnly: true });
  assert.deepEqual(store.notices.map((n) => [n.code, n.level]), [['snapshot-fallback', 'warning']]);
  assert.equal(store.decisionCount(), 60);
  await store.close();
});

test('a sealed snapshot from a newer schema version is refused untouched; the same header on a file that fails its checksum is damage', async (t) => {
  const dir = await tempDir(t, 'integrity');
  await twoSnapshots(dir);
  const path = join(dir, snapshotFileName);
  const { image } = unsealSnapshot(await readFile(path));
  const newer = Buffer.from(image);
  newer.writeUInt32BE(schemaVersion + 1, 60); // PRAGMA user_version
  const sealedNewer = Buffer.concat([newer, snapshotTrailer(newer, await sha256(newer))]);
  await writeFile(path, sealedNewer);
  await assert.rejects(openStore(dir, { wasmDir }), StoreVersionError);
  assert.deepEqual(await readFile(path), sealedNewer, 'left byte for byte');
  // The same newer header, but the checksum is the old image's: damage, recovered from the previous snapshot.
  await writeFile(path, Buffer.concat([newer, snapshotTrailer(newer, await sha256(image))]));
  const store = await openStore(dir, { wasmDir, readOnly: true });
  assert.deepEqual(store.notices.map((n) => [n.code, n.level]), [['snapshot-unreadable', 'warning']]);
  assert.equal(store.decisionCount(), 60);
  await store.close();
});

test('refuseLoss: an open that would lose events throws a StoreDataLossError naming them and changes nothing on disk', async (t) => {
  const dir = await tempDir(t, 'integrity');
  await twoSnapshots(dir);
  for (const name of [snapshotFileName, previousSnapshotFileName]) await writeFile(join(dir, name), 'x'.repeat(300));
  const before = await Promise.all((await readdir(dir)).sort().map(async (name) => [name, await readFile(join(dir, name))] as const));
  await assert.rejects(openStore(dir, { wasmDir, refuseLoss: true }), (error: unknown) => {
    assert.ok(error instanceof StoreDataLossError);
    assert.match(error.message, /would lose stored events, so it was not opened and nothing in it was changed:\nEvents 1–60 \(60\) are lost/);
    assert.deepEqual(error.notices.filter((n) => n.level === 'error').map((n) => n.lost), [{ from: 1, to: 60 }]);
    return true;
  });
  const after = await Promise.all((await readdir(dir)).sort().map(async (name) => [name, await readFile(join(dir, name))] as const));
  assert.deepEqual(after, before);
  // Nothing lost: refuseLoss opens as usual.
  const sound = join(dir, 'sound');
  await twoSnapshots(sound);
  const store = await openStore(sound, { wasmDir, refuseLoss: true });
  assert.equal(store.decisionCount(), 60);
  await store.close();
});

test('reading a folder that holds no store is an error saying why; a writable open creates the store', async (t) => {
  const dir = await tempDir(t, 'integrity');
  await assert.rejects(openStore(join(dir, 'typo'), { wasmDir, readOnly: true }), /typo holds no Paramloop store \(no such folder\)/);
  await writeFile(join(dir, 'file'), 'x');
  await assert.rejects(openStore(join(dir, 'file'), { wasmDir, readOnly: true }), /file is a file, not a folder/);
  await assert.rejects(openStore(dir, { wasmDir, readOnly: true }), (error: unknown) => error instanceof StoreNotFoundError && /no snapshot and no journal in it/.test(error.message));
  await writeFile(join(dir, `${snapshotFileName}.corrupt-20261125T043000Z`), 'x');
  await assert.rejects(openStore(dir, { wasmDir, readOnly: true }), /no snapshot and no journal; files set aside as damaged: snapshot\.db\.corrupt-20261125T043000Z/);
  const created = await openStore(join(dir, 'new'), { wasmDir });
  assert.deepEqual(created.notices, []);
  await created.close();
});
