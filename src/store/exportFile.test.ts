// Exports written to a file: each format holds what the log holds over the range asked, JSONL comes
// back whole through the import, and a cancelled or failed export leaves no file behind (and a file
// already at the target as it was).
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoggedDecision } from './events';
import { ExportCancelledError, exportToFile } from './exportFile';
import { csvColumns } from './formats/csv';
import { openStore, type Store } from './store';
import { seededRandom, syntheticEvent, syntheticStartMs } from './testing/synthetic';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');

/** Stores a test opened, closed when it ends (before its folder goes). */
const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/** `count` decisions one second apart; every fifth still waits for its outcome. */
async function filledStore(dir: string, count: number): Promise<{ store: Store; logged: LoggedDecision[] }> {
  const store = await openStore(dir, { wasmDir });
  stores.push(store);
  const random = seededRandom(5);
  const logged: LoggedDecision[] = [];
  for (let n = 1; n <= count; n++) {
    const { decision, outcome, reward } = syntheticEvent(n, random);
    store.appendDecision(decision);
    if (n % 5 === 0) {
      logged.push({ decision });
      continue;
    }
    store.appendOutcome(outcome, reward);
    logged.push({ decision, outcome, reward });
  }
  await store.flush();
  return { store, logged };
}

test('a JSONL export over a time range holds exactly the decisions logged in it, and imports back deep-equal', async (t) => {
  const dir = await tempDir(t, 'export-file');
  const { store, logged } = await filledStore(join(dir, 'log'), 60);
  // Decisions n = 11…40 (timestamps start + n s): since is inclusive, until exclusive.
  const since = syntheticStartMs + 11_000;
  const until = syntheticStartMs + 41_000;
  const out = join(dir, 'range.jsonl');
  const progress: number[] = [];
  const summary = await exportToFile(store, { format: 'jsonl', out, since, until, onProgress: (n) => progress.push(n) });
  const expected = logged.filter(({ decision }) => decision.timestamp >= since && decision.timestamp < until);
  assert.equal(expected.length, 30);
  assert.deepEqual(summary, { format: 'jsonl', out, decisions: 30, skippedUnlabelled: 0 });
  assert.equal(progress.at(-1), 30);
  const text = await readFile(out, 'utf8');
  const target = await openStore(join(dir, 'imported'), { wasmDir });
  stores.push(target);
  assert.deepEqual(await target.importJsonl(text), { imported: 30, alreadyStored: 0, outcomesAdded: 0 });
  assert.deepEqual([...target.iterateLogged()], expected);
  assert.equal(store.rawDecisionCount({ since, until }), 30);
});

test('CSV has a header and a row per decision; DSJSON a line per decision with an outcome, each with the fields VW reads', async (t) => {
  const dir = await tempDir(t, 'export-file');
  const { store, logged } = await filledStore(join(dir, 'log'), 25);
  const csv = await exportToFile(store, { format: 'csv', out: join(dir, 'log.csv') });
  const rows = (await readFile(join(dir, 'log.csv'), 'utf8')).split('\r\n').filter((line) => line !== '');
  assert.equal(csv.decisions, 25);
  assert.equal(rows.length, 26);
  assert.equal(rows[0], csvColumns().join(','));
  const dsjson = await exportToFile(store, { format: 'dsjson', out: join(dir, 'log.dsjson') });
  const labelled = logged.filter((l) => l.outcome !== undefined);
  assert.deepEqual([dsjson.decisions, dsjson.skippedUnlabelled], [labelled.length, 25 - labelled.length]);
  const lines = (await readFile(join(dir, 'log.dsjson'), 'utf8')).trim().split('\n');
  assert.equal(lines.length, labelled.length);
  for (const [i, line] of lines.entries()) {
    const event = JSON.parse(line) as Record<string, unknown> & { a: number[]; p: number[]; _label_Action: number; _label_probability: number; _label_cost: number; c: unknown };
    const { decision, reward } = labelled[i]!;
    assert.equal(event._label_Action, decision.armIndex + 1);
    assert.equal(event.a[0], decision.armIndex + 1, 'the chosen action first');
    assert.equal(event._label_probability, decision.propensity);
    assert.equal(event.p[0], decision.propensity);
    assert.equal(event._label_cost, -reward!.reward);
    assert.equal(event._labelIndex, decision.armIndex);
    assert.ok(event.c !== undefined);
  }
});

test('a cancelled export leaves no file, not even a partial one, and a file already at the target is as it was', async (t) => {
  const dir = await tempDir(t, 'export-file');
  const { store } = await filledStore(join(dir, 'log'), 200);
  const out = join(dir, 'export.jsonl');
  await writeFile(out, 'an earlier export\n');
  const controller = new AbortController();
  const seen: number[] = [];
  await assert.rejects(
    exportToFile(store, {
      format: 'jsonl',
      out,
      signal: controller.signal,
      sliceMs: 0,
      onProgress: (n) => {
        seen.push(n);
        if (n >= 50) controller.abort();
      },
    }),
    ExportCancelledError,
  );
  assert.ok(seen.length > 0 && seen.at(-1)! < 200, `cancelled midway: ${seen.at(-1)}`);
  assert.equal(await readFile(out, 'utf8'), 'an earlier export\n');
  assert.deepEqual((await readdir(dir)).sort(), ['export.jsonl', 'log']);
  // Cancelled before it began: nothing at all.
  const fresh = join(dir, 'fresh.csv');
  await assert.rejects(exportToFile(store, { format: 'csv', out: fresh, signal: AbortSignal.abort() }), ExportCancelledError);
  assert.deepEqual((await readdir(dir)).sort(), ['export.jsonl', 'log']);
});

test('an export that cannot be written fails with the file system\'s reason and leaves nothing', async (t) => {
  const dir = await tempDir(t, 'export-file');
  const { store } = await filledStore(join(dir, 'log'), 5);
  await assert.rejects(exportToFile(store, { format: 'jsonl', out: join(dir, 'missing', 'x.jsonl') }), /ENOENT/);
  assert.deepEqual(await readdir(dir), ['log']);
});
