// A child process for the durability test and benchmark: opens the store in the folder given as
// argv[2], then appends synthetic decisions and outcomes (seed argv[3]) as fast as the store
// acknowledges them, printing `committed N` on stderr each time the journal has durably synced
// (N = decisions durably stored so far). It runs until killed, or until argv[4] decisions exist.
// With argv[5] = "sync" it logs as `paramloop simulate --db` does: through the simulation sink,
// in one loop that never yields (the journal synced in place, snapshots built by the worker
// meanwhile). The sql.js wasm folder comes from PARAMLOOP_WASM_DIR (the test bundles this script
// elsewhere).
import { join } from 'node:path';
import { openSimulationSink } from '../simulationSink';
import { openStore } from '../store';
import type { StoreOptions } from '../store';
import { seededRandom, syntheticEvent } from './synthetic';

async function main(): Promise<void> {
  const [dir, seedText, limitText, mode] = process.argv.slice(2);
  if (dir === undefined) throw new Error('usage: logWriter DIR [SEED] [LIMIT] [sync]');
  const options: StoreOptions = {
    wasmDir: process.env.PARAMLOOP_WASM_DIR ?? join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist'),
    // Small thresholds so that kills land in every phase: batches, snapshots, segment roll-overs.
    snapshotEveryEvents: 6_000,
    snapshotIdleMs: 0,
    snapshotMaxDeferMs: 0,
    maxSegmentBytes: 4 * 2 ** 20,
    onError: (error) => process.stderr.write(`error ${error.message}\n`),
  };
  const random = seededRandom(Number(seedText ?? 1));
  const limit = limitText === undefined || limitText === '' ? Infinity : Number(limitText);
  if (mode === 'sync') {
    const sink = await openSimulationSink(dir, { ...options, syncEvery: 500, onCommitted: (progress) => process.stderr.write(`committed ${progress.decisions}\n`) });
    for (const notice of sink.notices) process.stderr.write(`notice ${notice.code} ${notice.message}\n`);
    let n = sink.store.decisionCount();
    process.stderr.write(`opened ${n}\n`);
    while (n < limit) {
      n++;
      const { decision, outcome, reward } = syntheticEvent(n, random);
      sink.saveDecision(decision);
      sink.saveOutcome(outcome, reward);
    }
    await sink.close();
    process.stderr.write('closed\n');
    return;
  }
  const store = await openStore(dir, options);
  for (const notice of store.notices) process.stderr.write(`notice ${notice.code} ${notice.message}\n`);
  store.onCommitted((progress) => process.stderr.write(`committed ${progress.decisions}\n`));
  let n = store.decisionCount();
  process.stderr.write(`opened ${n}\n`);
  while (n < limit) {
    const until = Math.min(limit, n + 500);
    while (n < until) {
      n++;
      const { decision, outcome, reward } = syntheticEvent(n, random);
      store.appendDecision(decision);
      store.appendOutcome(outcome, reward);
    }
    // Back-pressure: let the journal catch up rather than queue without bound.
    if (store.backlog > 20_000) await store.flush();
    else await new Promise((resolve) => setImmediate(resolve));
  }
  await store.close();
  process.stderr.write('closed\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
