// The store for a producer that runs in one synchronous loop and never yields (`simulate --db`,
// through simulationSink.ts; ARCHITECTURE.md §"Store"): `flushSync` writes and syncs the journal in
// place, and snapshots come on the cadence of the event-loop ones (snapshotSchedule.ts). The journal
// switches segment here, the worker builds the snapshot on its own thread meanwhile, and later calls
// see it finish without yielding (the compactor's `poll`, through `receiveMessageOnPort`). Without
// a worker there are no snapshots until the producer yields: the export would block it for as long
// as the database is large.
import type { Compactor, DetachedRequest } from './compactor';
import type { JournalWriter } from './journal';
import type { SnapshotSchedule } from './snapshotSchedule';
import type { CompactionResult } from './snapshotFile';
import type { StoreOptions } from './storeOptions';
import type { WritePath } from './writePath';

/** A snapshot the worker is building for the synchronous loop. */
interface Detached {
  request: DetachedRequest<CompactionResult>;
  newSegmentStart: number;
  eventsFolded: number;
  started: number;
}

/** What the synchronous loop writes and snapshots with. */
export interface SyncLoopContext {
  readonly dir: string;
  /** Undefined read-only. */
  readonly journal: JournalWriter | undefined;
  /** The worker that builds snapshots; undefined: none until the producer yields. */
  readonly compactor: Compactor | undefined;
  readonly writes: WritePath;
  readonly snapshots: SnapshotSchedule;
  /** The store's options object, read at each use (`Store.updateSettings` changes it). */
  readonly options: Readonly<StoreOptions>;
  /** Runs a retention pass when retention is configured (before every snapshot). */
  readonly runRetention: () => void;
}

/** `Store.flushSync`, the snapshots it starts, and `Store.settle` before it. */
export class SyncLoop {
  /** A snapshot started from the synchronous loop, being built by the worker. */
  private detached: Detached | undefined;

  constructor(private readonly context: SyncLoopContext) {}

  /**
   * Writes and syncs everything appended so far before returning, blocking the thread; takes a due
   * snapshot. Returns the number of events acknowledged. Must not be called while an asynchronous
   * batch or snapshot is in flight.
   */
  flushSync(): number {
    const { writes, snapshots } = this.context;
    if (writes.failure !== undefined) throw writes.failure;
    if (this.context.journal === undefined) throw new Error('the store was opened read-only');
    if (writes.writeInFlight || (snapshots.running !== undefined && this.detached === undefined)) throw new Error('flushSync while an asynchronous write is in flight');
    writes.applyPending();
    writes.writeAllSync();
    this.snapshot();
    return writes.ackedEvents;
  }

  /**
   * Resolves once nothing of the store's own is in flight: every append durable and no snapshot
   * being built on the event loop (a detached one does not block `flushSync`). A producer about to
   * call `flushSync` from a loop that never yields waits for this first.
   */
  async settle(): Promise<void> {
    const { writes, snapshots } = this.context;
    for (;;) {
      await writes.flush();
      const running = this.detached === undefined ? snapshots.running : undefined;
      if (running === undefined && !writes.writeInFlight) return;
      await running?.catch(() => undefined);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Sees a running detached snapshot finish (without yielding), or starts one when due
   * (snapshotEveryEvents, snapshotIntervalMs; there is no idle time to wait for).
   */
  private snapshot(): void {
    if (this.detached !== undefined) {
      const running = this.detached;
      const outcome = running.request.poll();
      if (outcome !== undefined) this.finish(running, outcome);
      return;
    }
    const { journal, compactor, writes, snapshots } = this.context;
    if (compactor === undefined || journal === undefined || snapshots.running !== undefined || snapshots.eventsSinceSnapshot === 0) return;
    if (!snapshots.isDue()) return;
    this.context.runRetention();
    writes.applyPending();
    writes.writeAllSync();
    // Everything appended is on disk: the new segment starts after it (never inside a unit).
    const newSegmentStart = writes.lastSeq + 1;
    journal.startSegmentSync(newSegmentStart);
    const request = compactor.compactDetached(this.context.dir, newSegmentStart, snapshots.folded);
    const running = { request, newSegmentStart, eventsFolded: snapshots.eventsSinceSnapshot, started: performance.now() };
    this.detached = running;
    snapshots.hold(
      request.done.then(
        (result) => this.finish(running, { result }),
        (error: unknown) => this.finish(running, { error: error instanceof Error ? error : new Error(String(error)) }),
      ),
    );
  }

  /** Records the end of the detached snapshot `running` (once: by poll, or when the loop yields). */
  private finish(running: Detached, outcome: { result: CompactionResult } | { error: Error }): void {
    // Already finished by a poll, perhaps with a newer one running by now.
    if (this.detached !== running) return;
    this.detached = undefined;
    this.context.snapshots.release();
    if ('error' in outcome) {
      // The segments stay (nothing was deleted); the next due snapshot tries again.
      this.context.options.onError?.(outcome.error);
      return;
    }
    this.context.snapshots.detachedDone(running.newSegmentStart, running.eventsFolded, outcome.result, running.started);
  }
}
