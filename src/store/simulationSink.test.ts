// A producer that never yields (`paramloop simulate --db`) gets snapshots on the store's cadence
// all the same: the worker builds them on its own thread while the loop runs, so the journal a
// crash leaves to replay stays bounded by the cadence, not by the length of the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSimulationSink } from './simulationSink';
import { openStore } from './store';
import { seededRandom, syntheticEvent } from './testing/synthetic';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');

/** Event lines in the journal segments of `dir` (read without yielding; a segment removed meanwhile counts 0). */
function journalEventLines(dir: string, files: readonly string[]): number {
  let lines = 0;
  for (const file of files) {
    try {
      lines += readFileSync(join(dir, file), 'utf8').split('\n').filter((line) => line.includes('"s":')).length;
    } catch {
      // removed by the worker after the file list was taken
    }
  }
  return lines;
}

test('15,000 decisions logged in one synchronous loop with a snapshot due every 3,000 events: snapshots are taken during the loop and the journal keeps only the latest events', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t, 'sink');
  const live = join(dir, 'live');
  const sink = await openSimulationSink(live, { wasmDir, snapshotEveryEvents: 3_000, syncEvery: 250 });
  const random = seededRandom(12);
  // No await inside: the loop never yields, as the simulator's does not. The simulator spends
  // time on each round; this loop would not, so after every 500 decisions it waits 250 ms (busy,
  // still without yielding), polling the store meanwhile.
  for (let n = 1; n <= 15_000; n++) {
    const { decision, outcome, reward } = syntheticEvent(n, random);
    sink.saveDecision(decision);
    sink.saveOutcome(outcome, reward);
    if (n % 500 === 0) {
      const until = performance.now() + 250;
      while (performance.now() < until) sink.store.flushSync();
    }
  }
  const snapshotsDuringTheLoop = sink.store.stats().snapshots;
  const files = (await readdir(live)).filter((name) => name.startsWith('journal-')).sort();
  const eventsInJournal = journalEventLines(live, files);
  await cp(live, join(dir, 'crashed'), { recursive: true });
  assert.ok(snapshotsDuringTheLoop >= 3, `${snapshotsDuringTheLoop} snapshots were taken during the loop`);
  // Of the 30,000 events logged, the journal keeps those since the previous snapshot; without
  // snapshots during the loop it would hold all 30,000, and a crash would replay them all.
  assert.ok(eventsInJournal <= 15_000, `${eventsInJournal} events left in the journal`);
  await sink.close();

  const reopened = await openStore(join(dir, 'crashed'), { wasmDir, readOnly: true });
  assert.deepEqual(reopened.notices.filter((n) => n.level !== 'info'), []);
  assert.equal(reopened.decisionCount(), 15_000);
  await reopened.close();
});
