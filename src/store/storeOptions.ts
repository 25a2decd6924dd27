// What a store is opened with and the figures it reports (store.ts re-exports both).
import type { CompactionWorkerSpec } from './compactor';
import type { RetentionSettings } from './retention';

export interface StoreOptions {
  /** Folder holding sql-wasm.wasm (the bundle's dist folder, or node_modules/sql.js/dist). */
  wasmDir: string;
  /** Keep prompt text in the journal, database and exports (the user opted in). Default false. */
  storePromptText?: boolean;
  /**
   * Open without writing anything: no journal segment, no snapshot, no file moved. A folder that
   * holds no store is then a StoreNotFoundError.
   */
  readOnly?: boolean;
  /**
   * Refuse to open (a StoreDataLossError naming the losses, nothing on disk changed) when opening
   * would lose stored events. Default: true read-only (a reader must not pass a partial log off as
   * the whole), false writable (the extension keeps working and reports each loss as an error).
   */
  refuseLoss?: boolean;
  /** How long an append may wait for companions before its batch is written. Default 2 ms. */
  batchDelayMs?: number;
  /** A batch is written at once when this many events are queued. Default 2000. */
  maxBatchEvents?: number;
  /**
   * Time spent applying queued events to the in-memory database per event-loop turn (ms), so that
   * catching up never blocks the editor for long. Default 4 ms.
   */
  applySliceMs?: number;
  /** At most this many events are written to the journal in one batch. Default 4000. */
  maxJournalBatchEvents?: number;
  /** `flush()` also waits until the database trails the journal by at most this many events. Default 20 000. */
  maxApplyLagEvents?: number;
  /** Snapshot once this many events have been journaled since the last one. Default 100 000. */
  snapshotEveryEvents?: number;
  /** Snapshot at least this often while events arrive. Default 10 minutes. */
  snapshotIntervalMs?: number;
  /** A due snapshot waits for this much quiet (no appends). Default 2 s. */
  snapshotIdleMs?: number;
  /** …but no longer than this past due. Default 60 s. */
  snapshotMaxDeferMs?: number;
  /**
   * The worker that builds snapshots off the main thread; default: found next to this module
   * (`storeWorker.js` in a bundle, `compactWorker.ts` from source). `false`: export on the main
   * thread (blocks for time proportional to the database's size).
   */
  compactionWorker?: CompactionWorkerSpec | false;
  /** A journal segment rolls over past this size. Default 64 MiB. */
  maxSegmentBytes?: number;
  retention?: RetentionSettings;
  /** Clock (ms since the epoch) for retention and for the names of files moved aside. */
  now?: () => number;
  /** Called with errors that happen off the caller's stack (a journal write, a snapshot). */
  onError?: (error: Error) => void;
}

/** Figures about the store's upkeep, for logs and benchmarks. */
export interface StoreStats {
  lastSeq: number;
  ackedEvents: number;
  backlogEvents: number;
  snapshots: number;
  lastSnapshotBytes: number;
  /** Time the event loop was blocked by the last snapshot's export (ms). */
  lastSnapshotExportMs: number;
  /** Time the last snapshot took from start to durable rename (ms). */
  lastSnapshotTotalMs: number;
  applyErrors: number;
  /** Where snapshots are exported: in the compaction worker, or on the main thread (no worker). */
  snapshotMode: 'worker' | 'main-thread';
  /** Export time of the last snapshot inside the worker (ms; it does not block the main thread). */
  lastSnapshotWorkerExportMs: number;
}
