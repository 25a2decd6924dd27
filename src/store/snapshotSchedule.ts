// The store's snapshots (ARCHITECTURE.md §"Store"): an image of the database written to
// snapshot.db.tmp, fsync'd, renamed over snapshot.db, folder fsync'd (by the compaction worker, from
// the previous snapshot and the journal; on this thread when there is no worker). The database
// records in meta.last_seq the last event folded in; the journal switches to a new segment at the
// snapshot, and the older segments are deleted only once the new snapshot is durable. A crash
// between the rename and the deletion leaves events in both: replay skips every event whose
// sequence number is at or below the snapshot's last_seq.
//
// A snapshot falls due after `snapshotEveryEvents` acknowledged events or `snapshotIntervalMs`, and
// is then taken once appends pause for `snapshotIdleMs` (or `snapshotMaxDeferMs` past due). A
// producer that never yields gets its snapshots from syncLoop.ts, on the same cadence and with the
// same bookkeeping (`hold`, `release`, `detachedDone`).
import type { Database, SqlJsStatic } from 'sql.js';
import type { Compactor } from './compactor';
import { removeSegmentsFoldedInto } from './journal';
import type { JournalWriter } from './journal';
import { exportLiveDatabase } from './memoryDatabase';
import { TimeSlicer } from './slicer';
import { writeSnapshotFile } from './snapshotFile';
import type { CompactionResult } from './snapshotFile';
import type { StoreOptions, StoreStats } from './storeOptions';
import type { WritePath } from './writePath';

/** The snapshot figures of `StoreStats`. */
export type SnapshotFigures = Pick<StoreStats, 'snapshots' | 'lastSnapshotBytes' | 'lastSnapshotExportMs' | 'lastSnapshotTotalMs' | 'snapshotMode' | 'lastSnapshotWorkerExportMs'>;

/** What snapshots are taken of and with. */
export interface SnapshotContext {
  readonly dir: string;
  readonly SQL: SqlJsStatic;
  readonly db: Database;
  /** Undefined read-only: no snapshots. */
  readonly journal: JournalWriter | undefined;
  /** The worker that builds snapshots; undefined: exports on the main thread. */
  readonly compactor: Compactor | undefined;
  readonly writes: WritePath;
  /** The store's options object, read at each use (`Store.updateSettings` changes it). */
  readonly options: Readonly<StoreOptions>;
  /** Runs a retention pass when retention is configured (before every snapshot). */
  readonly runRetention: () => void;
}

/** When the store snapshots, and the snapshots taken on its event loop. */
export class SnapshotSchedule {
  private readonly timer: NodeJS.Timeout | undefined;
  private inProgress: Promise<void> | undefined;
  private unsnapshotted: number;
  /**
   * The last event folded into the current snapshot file: when the next snapshot is in place, the
   * current one becomes the previous one, and only segments at or below this may go.
   */
  private snapshotFolded: number;
  private lastSnapshotAt: number;
  private dueSince: number | undefined;
  private readonly figures_: SnapshotFigures;

  /**
   * @param unsnapshotted Events the journal holds beyond the snapshot (plus 1 when opening changed
   *   the database): a long journal tail makes a snapshot due at once, so the next open does not
   *   replay it again.
   * @param snapshotFolded The last event folded into the snapshot file opened.
   */
  constructor(
    private readonly context: SnapshotContext,
    unsnapshotted: number,
    snapshotFolded: number,
  ) {
    this.unsnapshotted = unsnapshotted;
    this.snapshotFolded = snapshotFolded;
    this.lastSnapshotAt = this.now();
    this.figures_ = {
      snapshots: 0,
      lastSnapshotBytes: 0,
      lastSnapshotExportMs: 0,
      lastSnapshotTotalMs: 0,
      snapshotMode: context.compactor === undefined ? 'main-thread' : 'worker',
      lastSnapshotWorkerExportMs: 0,
    };
    if (context.journal !== undefined) {
      this.timer = setInterval(() => this.consider(), 250);
      this.timer.unref();
    }
  }

  /** Events acknowledged since the last snapshot (it folded those before it). */
  get eventsSinceSnapshot(): number {
    return this.unsnapshotted;
  }

  /** The last event folded into the current snapshot file. */
  get folded(): number {
    return this.snapshotFolded;
  }

  /** The snapshot being taken, if any (settles once it is in place, or has failed). */
  get running(): Promise<void> | undefined {
    return this.inProgress;
  }

  /** Counts events made durable (the write path's acknowledgements). */
  noteDurable(events: number): void {
    this.unsnapshotted += events;
  }

  /** Whether enough events, or enough time, have gone by since the last snapshot. */
  isDue(): boolean {
    return (
      this.unsnapshotted >= (this.context.options.snapshotEveryEvents ?? 100_000) ||
      this.now() - this.lastSnapshotAt >= (this.context.options.snapshotIntervalMs ?? 600_000)
    );
  }

  /** The snapshot figures so far (a copy). */
  figures(): SnapshotFigures {
    return { ...this.figures_ };
  }

  /** Stops looking for due snapshots (the store is closing). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** Writes a snapshot now (and runs retention first when configured). */
  snapshot(): Promise<void> {
    if (this.context.journal === undefined) return Promise.reject(new Error('the store was opened read-only'));
    this.inProgress ??= this.take().finally(() => {
      this.inProgress = undefined;
    });
    return this.inProgress;
  }

  /** Marks a snapshot started elsewhere (a detached one, syncLoop.ts) as the one running. */
  hold(done: Promise<void>): void {
    this.inProgress = done;
  }

  /** The snapshot `hold` marked has ended. */
  release(): void {
    this.inProgress = undefined;
  }

  /** Records a detached snapshot in place: it folded the events below `newSegmentStart`. */
  detachedDone(newSegmentStart: number, eventsFolded: number, result: CompactionResult, started: number): void {
    this.snapshotFolded = newSegmentStart - 1;
    this.unsnapshotted = Math.max(0, this.unsnapshotted - eventsFolded);
    this.lastSnapshotAt = this.now();
    this.dueSince = undefined;
    this.figures_.snapshots++;
    this.figures_.lastSnapshotExportMs = 0;
    this.figures_.lastSnapshotWorkerExportMs = result.exportMs;
    this.figures_.lastSnapshotBytes = result.bytes;
    this.figures_.lastSnapshotTotalMs = performance.now() - started;
  }

  private now(): number {
    return (this.context.options.now ?? Date.now)();
  }

  /** Runs from an unref'd timer: takes a due snapshot once appends pause (or it is overdue). */
  private consider(): void {
    const { writes, options } = this.context;
    if (this.inProgress !== undefined || writes.closed || writes.failure !== undefined || this.unsnapshotted === 0) return;
    const now = performance.now();
    if (!this.isDue()) {
      this.dueSince = undefined;
      return;
    }
    this.dueSince ??= now;
    const idle = now - writes.lastAppendAt >= (options.snapshotIdleMs ?? 2000);
    const overdue = now - this.dueSince >= (options.snapshotMaxDeferMs ?? 60_000);
    if (idle || overdue) {
      this.snapshot().catch((error: unknown) => options.onError?.(error instanceof Error ? error : new Error(String(error))));
    }
  }

  private async take(): Promise<void> {
    const { journal, compactor, writes, dir } = this.context;
    if (journal === undefined) return;
    const started = performance.now();
    this.context.runRetention();
    let bytes: Uint8Array | undefined;
    let newSegmentStart = 0;
    let eventsFolded = 0;
    // Between batches, so no batch is in flight: everything below the new segment is durable in
    // the older segments (for the worker) and applied to the database (for a main-thread export).
    await writes.betweenBatches(async (nextSeq) => {
      eventsFolded = this.unsnapshotted;
      newSegmentStart = nextSeq;
      if (compactor === undefined) {
        writes.applyPending();
        const exportStarted = performance.now();
        bytes = await exportLiveDatabase(this.context.SQL, this.context.db);
        this.figures_.lastSnapshotExportMs = performance.now() - exportStarted;
      }
      await journal.startSegment(newSegmentStart);
    });
    if (compactor !== undefined) {
      // The worker rebuilds the database from the last snapshot and the journal, exports and
      // writes it: the main thread never blocks on an export.
      const result = await compactor.compact(dir, newSegmentStart, this.snapshotFolded);
      this.figures_.lastSnapshotExportMs = 0;
      this.figures_.lastSnapshotWorkerExportMs = result.exportMs;
      this.figures_.lastSnapshotBytes = result.bytes;
    } else if (bytes !== undefined) {
      const slicer = new TimeSlicer();
      await writeSnapshotFile(dir, bytes, async () => {
        if (slicer.due()) await slicer.pause();
      });
      this.figures_.lastSnapshotBytes = bytes.byteLength;
    }
    // The new snapshot is in place and verified; the one it replaced is now the previous one, and
    // the segments folded into the one before that may go (the worker removed them itself).
    const previousFolded = this.snapshotFolded;
    this.snapshotFolded = newSegmentStart - 1;
    if (compactor === undefined) await removeSegmentsFoldedInto(dir, previousFolded);
    this.unsnapshotted = Math.max(0, this.unsnapshotted - eventsFolded);
    this.lastSnapshotAt = this.now();
    this.dueSince = undefined;
    this.figures_.snapshots++;
    this.figures_.lastSnapshotTotalMs = performance.now() - started;
  }
}
