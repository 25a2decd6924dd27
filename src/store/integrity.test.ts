// A log that never silently loses or alters data: what opening a damaged folder reports, with the
// sequence numbers of what was lost, on real files cut or flipped byte by byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeEventLine, encodeLine, listSegments, segmentFileName } from './journal';
import { schemaVersion } from './schema';
import { openStore } from './store';
import type { Store } from './store';
import { seededRandom, syntheticEvent, syntheticRequestId } from './testing/synthetic';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');

/** Appends synthetic decisions first..last, each with its outcome (2 events each), durably. */
async function log(store: Store, first: number, last: number): Promise<void> {
  const random = seededRandom(first);
  for (let n = first; n <= last; n++) {
    const { decision, outcome, reward } = syntheticEvent(n, random);
    store.appendDecision(decision);
    store.appendOutcome(outcome, reward);
  }
  await store.flush();
}

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
  const store = await openStore(join(dir, 'crashed'), { wasmDir, readOnly: true });
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
  const store = await openStore(dir, { wasmDir, readOnly: true });
  assert.deepEqual(store.notices.map((n) => [n.code, n.level, n.lost]), [['journal-gap', 'error', { from: 1, to: 10 }]]);
  assert.match(store.notices[0]?.message ?? '', /Events 1–10 \(10\) are lost: the snapshot holds events up to 0 and the journal starts at 11/);
  assert.equal(store.decisionCount(), 3);
  assert.ok(store.hasDecision(syntheticRequestId(6)));
  await store.close();
});

test('lines missing from the middle of a segment without a trace are named by their sequence numbers', async (t) => {
  const dir = await tempDir(t, 'integrity');
  const lines = segmentText(1, [1, 2, 3, 4]).split('\n');
  lines.splice(3, 2); // decision 2 and its outcome: events 3 and 4
  await writeFile(join(dir, segmentFileName(1)), lines.join('\n'));
  const store = await openStore(dir, { wasmDir, readOnly: true });
  assert.deepEqual(store.notices.map((n) => [n.code, n.level, n.lost]), [['journal-gap', 'error', { from: 3, to: 4 }]]);
  assert.match(store.notices[0]?.message ?? '', /Events 3–4 \(2\) are missing from .*journal-000000000001\.log, between two of its lines: lost\./);
  await store.close();
});
