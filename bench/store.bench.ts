// Store benchmarks: sustained logging throughput through the real journal (fsync'd batches),
// snapshot cost at 100k and 300k decisions, the longest event-loop block while logging up to 300k
// (with the store's own snapshots running, and with snapshots held off to isolate the write path),
// and process memory at 100k and 300k decisions; and reopening after a crash that left 100k events
// in the journal. Targets: ≥ 10k decisions/s, blocks < 50 ms while logging.
// Figures depend on the disk's fsync latency and on what else runs on the machine.
import { existsSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchSection } from './sections';
import { openStore } from '../src/store/store';
import type { Store, StoreOptions } from '../src/store/store';
import { seededRandom, syntheticEvent } from '../src/store/testing/synthetic';
import { driftProbe } from './eventLoop';

// From bench/ when run by tsx, from out/ when bundled: both sit one level below the project root.
const wasmDir = fileURLToPath(new URL('../node_modules/sql.js/dist', import.meta.url));
// The bundled worker that `npm run bench` builds next to the bench bundle (as dist/storeWorker.js
// ships next to the extension); the TypeScript source, through tsx, when run without bundling.
const bundledWorker = fileURLToPath(new URL('../out/storeWorker.js', import.meta.url));
const workerScript = import.meta.url.endsWith('/out/bench.mjs') && existsSync(bundledWorker) ? bundledWorker : fileURLToPath(new URL('../src/store/compactWorker.ts', import.meta.url));
const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const ms = (value: number): number => Math.round(value * 10) / 10;

/**
 * Appends decisions first..last with outcomes as fast as the store takes them: 100 decisions per
 * event-loop turn (a producer's own turn should not be mistaken for the store's), waiting on
 * flush() when 20k events are unacknowledged. Returns the producer's longest turn (ms).
 */
async function logRange(store: Store, random: () => number, first: number, last: number): Promise<number> {
  let n = first;
  let longestTurn = 0;
  while (n <= last) {
    const started = performance.now();
    const until = Math.min(last, n + 99);
    for (; n <= until; n++) {
      const { decision, outcome, reward } = syntheticEvent(n, random);
      store.appendDecision(decision);
      store.appendOutcome(outcome, reward);
    }
    longestTurn = Math.max(longestTurn, performance.now() - started);
    if (store.backlog > 20_000) await store.flush();
    else await new Promise((resolve) => setImmediate(resolve));
  }
  await store.flush();
  return longestTurn;
}

function memory(): { rssMiB: number; heapUsedMiB: number; externalMiB: number } {
  const usage = process.memoryUsage();
  return { rssMiB: mb(usage.rss), heapUsedMiB: mb(usage.heapUsed), externalMiB: mb(usage.external + usage.arrayBuffers) };
}

function snapshotFigures(store: Store, started: number): Record<string, unknown> {
  const stats = store.stats();
  return {
    mode: stats.snapshotMode,
    mainThreadExportBlockMs: ms(stats.lastSnapshotExportMs),
    workerExportMs: ms(stats.lastSnapshotWorkerExportMs),
    totalMs: ms(performance.now() - started),
    sizeMiB: mb(stats.lastSnapshotBytes),
  };
}

async function run(label: string, options: Partial<StoreOptions>): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), `paramloop-bench-${label}-`));
  try {
    const store = await openStore(dir, { wasmDir, ...options });
    const random = seededRandom(1);
    const figures: Record<string, unknown> = {};

    let started = performance.now();
    await logRange(store, random, 1, 100_000);
    const seconds100k = (performance.now() - started) / 1000;
    figures.loggingDecisionsPerSecond0To100k = Math.round(100_000 / seconds100k);

    await store.snapshot(); // may join a snapshot already under way; the next one covers all 100k
    started = performance.now();
    await store.snapshot();
    figures.snapshotAt100k = snapshotFigures(store, started);
    figures.memoryAt100k = memory();

    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const probe = driftProbe();
    let worstExport = 0;
    const stopWatching = store.onCommitted(() => (worstExport = Math.max(worstExport, store.stats().lastSnapshotExportMs)));
    started = performance.now();
    const longestProducerTurn = await logRange(store, random, 100_001, 300_000);
    const seconds200k = (performance.now() - started) / 1000;
    stopWatching();
    const probeWorst = probe.stop();
    histogram.disable();
    figures.loggingDecisionsPerSecond100kTo300k = Math.round(200_000 / seconds200k);
    figures.eventLoopWhileLogging100kTo300k = {
      longestBlockMsDriftProbe: ms(probeWorst),
      longestProducerTurnMs: ms(longestProducerTurn),
      maxDelayMsHistogram: ms(histogram.max / 1e6),
      p99DelayMsHistogram: ms(histogram.percentile(99) / 1e6),
      snapshotsTaken: store.stats().snapshots - 1,
      longestSnapshotExportMs: ms(worstExport),
    };

    await store.snapshot();
    started = performance.now();
    await store.snapshot();
    figures.snapshotAt300k = snapshotFigures(store, started);
    figures.memoryAt300k = memory();

    await store.close();
    started = performance.now();
    const reopened = await openStore(dir, { wasmDir, readOnly: true });
    figures.reopenAt300kMs = ms(performance.now() - started);
    await reopened.close();
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Reopening after a crash: 200k decisions in the snapshot and 50k more (100k events) only in the
 * journal, the most a crash leaves with the default snapshot cadence. The longest event-loop block
 * while opening, and the time to open.
 */
async function reopenAfterCrash(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'paramloop-bench-crash-'));
  try {
    const live = join(dir, 'live');
    const store = await openStore(live, { wasmDir, compactionWorker: { script: workerScript }, snapshotEveryEvents: 1e9, snapshotIntervalMs: 1e12 });
    const random = seededRandom(2);
    await logRange(store, random, 1, 200_000);
    await store.snapshot();
    await logRange(store, random, 200_001, 250_000);
    await cp(live, join(dir, 'crashed'), { recursive: true }); // what a kill -9 leaves: the store was never closed
    await store.close();
    const probe = driftProbe();
    const started = performance.now();
    const reopened = await openStore(join(dir, 'crashed'), { wasmDir, compactionWorker: { script: workerScript } });
    const openMs = performance.now() - started;
    const longestBlock = probe.stop();
    const decisions = reopened.decisionCount();
    await reopened.close();
    return { snapshotDecisions: 200_000, journalTailEvents: 100_000, openMs: ms(openMs), longestBlockMsDriftProbe: ms(longestBlock), decisions };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const storeSection: BenchSection = {
  name: 'store',
  async run() {
    return {
      note: 'noisy: shared 2-core machine; fsync latency of the disk in tmpdir',
      targets: { loggingDecisionsPerSecond: 10_000, longestBlockMs: 50 },
      // Default: snapshots built by the worker from the journal (main thread never exports).
      withWorkerSnapshots: await run('worker', { snapshotIdleMs: 0, snapshotMaxDeferMs: 0, compactionWorker: { script: workerScript } }),
      // No worker (the bundle ships without storeWorker.js): db.export() on the main thread.
      withMainThreadSnapshots: await run('main', { snapshotIdleMs: 0, snapshotMaxDeferMs: 0, compactionWorker: false }),
      reopenAfterCrash: await reopenAfterCrash(),
    };
  },
};
