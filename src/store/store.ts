// The store: an in-memory sql.js database made durable by an append-only journal and periodic
// snapshots (ARCHITECTURE.md §"Store").
//
// Write path: `append*` assigns the event a sequence number, encodes its journal line and queues it;
// a batch (what is queued after a few milliseconds, at most `maxJournalBatchEvents`) is written to
// the journal and fdatasync'd, and only then are its events acknowledged (`flush()` resolves,
// `onCommitted` fires). One batch is in flight at a time. The database catches up separately, in
// transactions of at most `applySliceMs` each, one per event-loop turn; queries apply what is
// queued first (read-your-writes).
//
// The live database is an in-memory SQLite database (memoryDatabase.ts): a write costs the same at
// any size, where sql.js's in-memory files copy themselves whole each time they grow.
//
// Snapshots: an image of the database written to snapshot.db.tmp, fsync'd, renamed over
// snapshot.db, folder fsync'd (by the compaction worker, from the previous snapshot and the
// journal; on this thread when there is no worker). The database records in meta.last_seq the last
// event folded in; the journal switches to a new segment at the snapshot, and the older segments
// are deleted only once the new snapshot is durable. A crash between the rename and the deletion
// leaves events in both: replay skips every event whose sequence number is at or below the
// snapshot's last_seq.
//
// Open: one writer per folder (lock.ts), then recovery.ts: version checks first (a newer snapshot
// or journal is refused before anything is touched), the snapshot validated (a truncated or
// unreadable one is renamed aside with a timestamp, never deleted), migrated forward, and the
// journal tail replayed. Recovery is reported as notices.
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, SqlJsStatic, Statement } from 'sql.js';
import type { Decision, Outcome, RewardReport } from '../core/types';
import { parseJsonl } from './formats/jsonl';
import { planImport } from './importPlan';
import type {
  BudgetEventRecord,
  CommitProgress,
  DecisionSink,
  PolicySnapshotRecord,
  RolloutEventRecord,
  SloIncidentRecord,
  RetentionRecord,
  StoreEvent,
  WaiverRecord,
} from './events';
import { encodeEventLine, JournalWriter, removeSegmentsFoldedInto, segmentFileName } from './journal';
import { totalDecisionCount } from './queries';
import { checkDecision, checkOutcome, DuplicateRequestError } from './records';
import type { EventWriter } from './records';
import type { RetentionReport, RetentionSettings } from './retention';
import { schemaVersion } from './schema';
import { snapshotFileName, snapshotTempName, writeSnapshotFile } from './snapshotFile';
import { loadSqlJs } from './sqlite';
import { TimeSlicer } from './slicer';
import { recoverDatabase } from './recovery';
import type { RecoveryNotice } from './recovery';
import { exportLiveDatabase } from './memoryDatabase';
import { StoreReads } from './storeReads';
import { acquireLock } from './lock';
import { prepareStoreFolder } from './folder';
import type { LockHolder, StoreLock } from './lock';
import { Compactor, detectCompactionWorker } from './compactor';
import type { CompactionWorkerSpec, DetachedRequest } from './compactor';
import type { CompactionResult } from './snapshotFile';

export { snapshotFileName, DuplicateRequestError };
export { openingLostData } from './notices';
export { StoreDataLossError, StoreNotFoundError } from './recovery';
export type { RecoveryNotice };

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

/** What `importJsonl` did. */
export interface ImportReport {
  /** Decisions added (with their outcomes). */
  imported: number;
  /** Decisions the store already held exactly as the file has them (an import run again). */
  alreadyStored: number;
  /** Outcomes added to decisions already stored without one. */
  outcomesAdded: number;
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

interface Pending {
  seq: number;
  event: StoreEvent;
}

/**
 * The durable store of decisions, outcomes and the safety machinery's records. Open it with
 * `openStore`; close it (which flushes and snapshots) before the process ends.
 */
export class Store extends StoreReads implements DecisionSink {
  private unapplied: Pending[] = [];
  /**
   * Request ids of decisions and outcomes appended but not yet applied to the database, with their
   * sequence numbers: with the database, what a new decision or outcome is checked against.
   */
  private readonly unappliedDecisions = new Map<string, number>();
  private readonly unappliedOutcomes = new Map<string, number>();
  /** Encoded journal lines not yet written; `unit`: an event or the commit of a unit (not its begin). */
  private unwritten: { line: string; type: StoreEvent['type']; unit: boolean }[] = [];
  /** Decisions and outcomes of a unit whose commit is not yet written: counted once it is. */
  private unitDecisions = 0;
  private unitOutcomes = 0;
  private unwrittenFirstSeq = 0;
  private chain: Promise<void> = Promise.resolve();
  private writeQueued = false;
  private writeInFlight = false;
  private applyScheduled = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private snapshotRunning: Promise<void> | undefined;
  /** A snapshot started from a synchronous loop (flushSync), being built by the worker. */
  private detached: { request: DetachedRequest<CompactionResult>; newSegmentStart: number; eventsFolded: number; started: number } | undefined;
  private readonly listeners = new Set<(progress: CommitProgress) => void>();
  private failure: Error | undefined;
  private closed = false;
  private lastAppliedSeq: number;
  private ackedEvents = 0;
  private ackedOutcomes = 0;
  private ackedDecisionsTotal: number;
  private lastAckedSeq: number;
  private eventsSinceSnapshot = 0;
  /**
   * The last event folded into the current snapshot file: when the next snapshot is in place, the
   * current one becomes the previous one, and only segments at or below this may go.
   */
  private snapshotFolded: number;
  private lastSnapshotAt: number;
  private dueSince: number | undefined;
  private lastAppendAt = 0;
  private readonly setLastSeq: Statement;
  private readonly compactor: Compactor | undefined;
  private readonly stats_: StoreStats;
  private readonly options: StoreOptions;
  /** The lock this open replaced: its holder ended without closing the store (a crash or a kill). */
  readonly staleLock: LockHolder | undefined;
  /** The lock this open holds (with the secret its socket's clients present); undefined read-only. */
  readonly lockHolder: LockHolder | undefined;

  private constructor(
    readonly dir: string,
    private readonly SQL: SqlJsStatic,
    db: Database,
    private readonly writer: EventWriter,
    private readonly journal: JournalWriter | undefined,
    compactor: Compactor | undefined,
    private readonly lock: StoreLock | undefined,
    options: StoreOptions,
    private lastSeq: number,
    /** What opening found and repaired. */
    readonly notices: readonly RecoveryNotice[],
    /** Events the journal holds beyond the snapshot (plus 1 when opening changed the database). */
    unsnapshotted: number,
    snapshotFolded: number,
  ) {
    super(db);
    this.snapshotFolded = snapshotFolded;
    // A copy: updateSettings changes it, never the caller's object.
    this.options = { ...options };
    this.staleLock = lock?.staleHolder;
    this.lockHolder = lock?.holder;
    this.lastAppliedSeq = lastSeq;
    this.lastAckedSeq = lastSeq;
    this.ackedDecisionsTotal = totalDecisionCount(db);
    this.lastSnapshotAt = this.now();
    // A long journal tail makes a snapshot due at once, so the next open does not replay it again.
    this.eventsSinceSnapshot = unsnapshotted;
    this.setLastSeq = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_seq', ?)");
    this.stats_ = {
      lastSeq,
      ackedEvents: 0,
      backlogEvents: 0,
      snapshots: 0,
      lastSnapshotBytes: 0,
      lastSnapshotExportMs: 0,
      lastSnapshotTotalMs: 0,
      applyErrors: 0,
      snapshotMode: 'main-thread',
      lastSnapshotWorkerExportMs: 0,
    };
    this.compactor = compactor;
    this.stats_.snapshotMode = this.compactor === undefined ? 'main-thread' : 'worker';
    if (journal !== undefined) {
      this.snapshotTimer = setInterval(() => this.considerSnapshot(), 250);
      this.snapshotTimer.unref();
    }
  }

  /**
   * Opens (creating if needed) the store in `dir`. See the file comment for what opening does. A
   * store open for writing holds the folder's lock (lock.ts) until it is closed.
   */
  static async open(dir: string, options: StoreOptions): Promise<Store> {
    const readOnly = options.readOnly ?? false;
    await prepareStoreFolder(dir, readOnly);
    const lock = readOnly ? undefined : await acquireLock(dir, options.now);
    try {
      return await Store.openLocked(dir, options, lock);
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  private static async openLocked(dir: string, options: StoreOptions, lock: StoreLock | undefined): Promise<Store> {
    const SQL = await loadSqlJs(options.wasmDir);
    const readOnly = options.readOnly ?? false;
    // The worker that builds snapshots (and checks the one found) when writing; none read-only.
    const workerSpec = readOnly || options.compactionWorker === false ? undefined : (options.compactionWorker ?? detectCompactionWorker());
    const compactor = workerSpec === undefined ? undefined : new Compactor(workerSpec, options.wasmDir);
    let recovered;
    try {
      recovered = await recoverDatabase(SQL, dir, {
        readOnly,
        refuseLoss: options.refuseLoss ?? readOnly,
        now: options.now ?? Date.now,
        ...(compactor === undefined ? {} : { checkSnapshot: (path: string) => compactor.checkSnapshot(path) }),
      });
    } catch (error) {
      await compactor?.terminate();
      throw error;
    }
    const { db, writer, maxSeq, replayed, dirty, segmentStarts, notices, snapshotFolded } = recovered;
    let journal: JournalWriter | undefined;
    try {
      // A fresh journal segment for this session's events (then retention, journaled).
      if (!readOnly) {
        await unlink(join(dir, snapshotTempName)).catch(() => undefined);
        const nextSeq = maxSeq + 1;
        // A segment starting at nextSeq can only hold a header from a session that logged nothing.
        if (segmentStarts.includes(nextSeq)) await unlink(join(dir, segmentFileName(nextSeq)));
        journal = new JournalWriter(dir, schemaVersion, options.maxSegmentBytes ?? 64 * 2 ** 20);
        await journal.startSegment(nextSeq);
      }
      const store = new Store(dir, SQL, db, writer, journal, compactor, lock, options, maxSeq, notices, replayed + (dirty ? 1 : 0), snapshotFolded);
      if (options.retention !== undefined && !readOnly) {
        const report = store.applyRetention(options.retention);
        if (report.summarisedDecisions > 0) {
          notices.push({ level: 'info', code: 'retention', message: `Retention folded ${report.summarisedDecisions} decisions into daily summaries.` });
        }
      }
      return store;
    } catch (error) {
      await journal?.close();
      await compactor?.terminate();
      writer.free();
      db.close();
      throw error;
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  // ---- write path ----------------------------------------------------------------------------

  /**
   * Appends one event; returns its sequence number. Durable once `flush()` resolves past it. A
   * decision for a request id that already has one, or an outcome for a request that already has
   * one, is refused with a DuplicateRequestError (nothing is journaled): a stored record is never
   * replaced.
   */
  /** True when opened read-only (no lock, no appends). */
  get readOnly(): boolean {
    return this.journal === undefined;
  }

  append(event: StoreEvent): number {
    if (event.type === 'unitBegin' || event.type === 'unitCommit') throw new Error('units are appended with appendUnit');
    return this.appendEvent(event, undefined);
  }

  /**
   * Appends `events` as one unit: after a crash, replay keeps all of them or none (the journal
   * holds them between a begin and a commit event; a unit without its commit is dropped). Every
   * event is checked first: one refused (malformed, or a request id the store or the unit already
   * has) refuses the whole unit, with nothing journaled. Durable once `flush()` resolves.
   */
  appendUnit(kind: string, events: readonly StoreEvent[]): void {
    const decisions = new Set<string>();
    const outcomes = new Set<string>();
    for (const event of events) {
      if (event.type === 'decision') {
        checkDecision(event.record);
        this.refuseDuplicate('decision', event.record.requestId);
        if (decisions.has(event.record.requestId)) throw new Error(`the unit holds two decisions for request id '${event.record.requestId}'`);
        decisions.add(event.record.requestId);
      } else if (event.type === 'outcome') {
        checkOutcome(event.record.outcome);
        this.refuseDuplicate('outcome', event.record.outcome.requestId);
        if (outcomes.has(event.record.outcome.requestId)) throw new Error(`the unit holds two outcomes for request id '${event.record.outcome.requestId}'`);
        outcomes.add(event.record.outcome.requestId);
      } else if (event.type === 'unitBegin' || event.type === 'unitCommit') {
        throw new Error('units do not nest');
      }
    }
    const begin = this.appendEvent({ type: 'unitBegin', record: { timestamp: this.now(), kind, events: events.length } }, undefined);
    for (const event of events) this.appendEvent(event, begin);
    this.appendEvent({ type: 'unitCommit', record: { timestamp: this.now() } }, begin);
  }

  private appendEvent(event: StoreEvent, unit: number | undefined): number {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw new Error('the store is closed');
    if (this.journal === undefined) throw new Error('the store was opened read-only');
    let stored = event;
    if (event.type === 'decision') {
      checkDecision(event.record);
      this.refuseDuplicate('decision', event.record.requestId);
      if (event.record.promptText !== undefined && this.options.storePromptText !== true) {
        const { promptText: _dropped, ...withoutPrompt } = event.record;
        stored = { type: 'decision', record: withoutPrompt };
      }
    } else if (event.type === 'outcome') {
      checkOutcome(event.record.outcome);
      this.refuseDuplicate('outcome', event.record.outcome.requestId);
    }
    const seq = ++this.lastSeq;
    if (stored.type === 'decision') this.unappliedDecisions.set(stored.record.requestId, seq);
    else if (stored.type === 'outcome') this.unappliedOutcomes.set(stored.record.outcome.requestId, seq);
    if (this.unwritten.length === 0) this.unwrittenFirstSeq = seq;
    this.unwritten.push({ line: encodeEventLine(seq, stored.type, JSON.stringify(stored.record), unit), type: stored.type, unit: unit !== undefined });
    this.unapplied.push({ seq, event: stored });
    this.lastAppendAt = performance.now();
    this.scheduleWrite();
    return seq;
  }

  private refuseDuplicate(kind: 'decision' | 'outcome', requestId: string): void {
    const existing = (kind === 'decision' ? this.unappliedDecisions : this.unappliedOutcomes).get(requestId) ?? this.writer.storedSeq(kind, requestId);
    if (existing !== undefined) throw new DuplicateRequestError(requestId, kind, existing);
  }

  appendDecision(decision: Decision): void {
    this.append({ type: 'decision', record: decision });
  }

  appendOutcome(outcome: Outcome, reward?: RewardReport): void {
    this.append({ type: 'outcome', record: reward === undefined ? { outcome } : { outcome, reward } });
  }

  appendPolicySnapshot(record: PolicySnapshotRecord): number {
    return this.append({ type: 'policySnapshot', record });
  }

  appendRolloutEvent(record: RolloutEventRecord): number {
    return this.append({ type: 'rolloutEvent', record });
  }

  appendBudgetEvent(record: BudgetEventRecord): number {
    return this.append({ type: 'budgetEvent', record });
  }

  appendWaiver(record: WaiverRecord): number {
    return this.append({ type: 'waiver', record });
  }

  appendSloIncident(record: SloIncidentRecord): number {
    return this.append({ type: 'sloIncident', record });
  }

  /**
   * Events not yet acknowledged, or acknowledged but not yet applied to the in-memory database,
   * whichever is more. A fast producer waits on `flush()` when it grows.
   */
  get backlog(): number {
    return Math.max(this.lastSeq - this.lastAckedSeq, this.unapplied.length);
  }

  onCommitted(listener: (progress: CommitProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves, once everything appended so far is on disk, to the number of events acknowledged. */
  async flush(): Promise<number> {
    const target = this.lastSeq;
    while (this.lastAckedSeq < target) {
      if (this.failure !== undefined) throw this.failure;
      if (this.unwritten.length > 0) this.queueWrite();
      await this.chain;
    }
    if (this.failure !== undefined) throw this.failure;
    // Back-pressure for fast producers: the in-memory database may trail the journal, but by no
    // more than maxApplyLagEvents, so its queue cannot grow without bound.
    while (this.unapplied.length > (this.options.maxApplyLagEvents ?? 20_000) && !this.closed && this.failure === undefined) {
      this.scheduleApply();
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (this.failure !== undefined) throw this.failure;
    return this.ackedEvents;
  }

  private scheduleWrite(): void {
    if (this.unwritten.length >= (this.options.maxBatchEvents ?? 2000)) {
      this.queueWrite();
    } else if (this.flushTimer === undefined && !this.writeQueued) {
      // Not unref'd: unacknowledged events keep the process alive until they are on disk.
      this.flushTimer = setTimeout(() => this.queueWrite(), this.options.batchDelayMs ?? 2);
    }
  }

  private queueWrite(): void {
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.writeQueued) return;
    this.writeQueued = true;
    this.chain = this.chain.then(() => this.writeBatch()).catch((error: unknown) => this.fail(error));
  }

  private fail(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    this.failure ??= failure;
    this.options.onError?.(failure);
  }

  /**
   * Applies queued events to the database a slice at a time, one slice per event-loop turn, each
   * slice stopping once it has run `applySliceMs`, so that applying never blocks the loop for long.
   */
  private scheduleApply(): void {
    if (this.applyScheduled || this.unapplied.length === 0) return;
    this.applyScheduled = true;
    setImmediate(() => {
      this.applyScheduled = false;
      if (this.closed || this.failure !== undefined) return;
      try {
        this.applyPending(performance.now() + (this.options.applySliceMs ?? 4));
      } catch (error) {
        // The events stay in the journal (acknowledged ones are durable there); the next open
        // replays them. Appends fail from now on, so the caller falls back to its baseline.
        this.fail(new Error(`the in-memory database could not apply events: ${error instanceof Error ? error.message : String(error)}; they are kept in the journal and replayed at the next open`));
        return;
      }
      this.scheduleApply();
    });
  }

  /**
   * Applies queued events to the database in one transaction: all of them (queries do this first:
   * read-your-writes), or as many as fit before `deadline` (a `performance.now()` time; at least one).
   */
  private applyPending(deadline = Number.POSITIVE_INFINITY): void {
    const queue = this.unapplied;
    if (queue.length === 0) return;
    let count = 0;
    this.db.exec('BEGIN');
    try {
      while (count < queue.length) {
        const { seq, event } = queue[count] as Pending;
        count++;
        try {
          this.writer.apply(seq, event);
        } catch (error) {
          // The event is journaled all the same: the journal is the user's evidence.
          this.stats_.applyErrors++;
          this.options.onError?.(new Error(`event ${seq} (${event.type}) was journaled but not applied: ${error instanceof Error ? error.message : String(error)}`));
        }
        // Checking the clock every 16 events keeps its cost out of the loop's.
        if ((count & 15) === 0 && performance.now() >= deadline) break;
      }
      const last = queue[count - 1] as Pending;
      this.setLastSeq.run([String(last.seq)]);
      this.db.exec('COMMIT');
      this.lastAppliedSeq = last.seq;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
    // Applied: from now on the database answers for these request ids.
    for (let i = 0; i < count; i++) {
      const { seq, event } = queue[i] as Pending;
      if (event.type === 'decision' && this.unappliedDecisions.get(event.record.requestId) === seq) this.unappliedDecisions.delete(event.record.requestId);
      else if (event.type === 'outcome' && this.unappliedOutcomes.get(event.record.outcome.requestId) === seq) this.unappliedOutcomes.delete(event.record.outcome.requestId);
    }
    this.unapplied = count === queue.length ? [] : queue.slice(count);
  }

  private async writeBatch(): Promise<void> {
    this.writeQueued = false;
    if (this.failure !== undefined || this.journal === undefined) return;
    if (this.unwritten.length === 0) return;
    // Durability does not wait for the database: the journal takes the whole backlog (up to a
    // bound on the buffer), and the database catches up in short steps of its own (scheduleApply).
    const batch = this.takeUnwritten(this.options.maxJournalBatchEvents ?? 4000);
    this.scheduleApply();
    this.writeInFlight = true;
    try {
      await this.journal.writeDurably(batch.text, batch.firstSeq);
    } finally {
      this.writeInFlight = false;
    }
    this.acknowledge(batch);
    if (this.unwritten.length > 0) this.queueWrite();
  }

  /**
   * Writes and syncs everything appended so far before returning, blocking the thread: for
   * producers that run in one synchronous loop and never yield (the simulator). Returns the number
   * of events acknowledged. Must not be called while an asynchronous batch is in flight.
   */
  flushSync(): number {
    if (this.failure !== undefined) throw this.failure;
    if (this.journal === undefined) throw new Error('the store was opened read-only');
    if (this.writeInFlight || (this.snapshotRunning !== undefined && this.detached === undefined)) throw new Error('flushSync while an asynchronous write is in flight');
    this.applyPending();
    if (this.unwritten.length > 0) {
      const batch = this.takeUnwritten(Number.POSITIVE_INFINITY);
      this.journal.writeDurablySync(batch.text, batch.firstSeq);
      this.acknowledge(batch);
    }
    this.snapshotFromSyncLoop();
    return this.ackedEvents;
  }

  /**
   * Snapshots for a producer that never yields (flushSync), on the cadence of `considerSnapshot`
   * (snapshotEveryEvents, snapshotIntervalMs; there is no idle time to wait for): the journal
   * switches segment here, the worker builds the snapshot on its own thread meanwhile, and later
   * calls see it finish without yielding. Without a worker there are no snapshots until the
   * producer yields (the export would block it for as long as the database is large).
   */
  private snapshotFromSyncLoop(): void {
    if (this.detached !== undefined) {
      const running = this.detached;
      const outcome = running.request.poll();
      if (outcome !== undefined) this.finishDetached(running, outcome);
      return;
    }
    const journal = this.journal;
    if (this.compactor === undefined || journal === undefined || this.snapshotRunning !== undefined || this.eventsSinceSnapshot === 0) return;
    const due =
      this.eventsSinceSnapshot >= (this.options.snapshotEveryEvents ?? 100_000) ||
      this.now() - this.lastSnapshotAt >= (this.options.snapshotIntervalMs ?? 600_000);
    if (!due) return;
    if (this.options.retention !== undefined) this.applyRetention(this.options.retention);
    this.applyPending();
    const unwritten = this.unwritten.length > 0 ? this.takeUnwritten(Number.POSITIVE_INFINITY) : undefined;
    if (unwritten !== undefined) {
      journal.writeDurablySync(unwritten.text, unwritten.firstSeq);
      this.acknowledge(unwritten);
    }
    // Everything appended is on disk: the new segment starts after it (never inside a unit).
    const newSegmentStart = this.lastSeq + 1;
    journal.startSegmentSync(newSegmentStart);
    const request = this.compactor.compactDetached(this.dir, newSegmentStart, this.snapshotFolded);
    const running = { request, newSegmentStart, eventsFolded: this.eventsSinceSnapshot, started: performance.now() };
    this.detached = running;
    this.snapshotRunning = request.done.then(
      (result) => this.finishDetached(running, { result }),
      (error: unknown) => this.finishDetached(running, { error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }

  /** Records the end of the detached snapshot `running` (once: by poll, or when the loop yields). */
  private finishDetached(running: NonNullable<Store['detached']>, outcome: { result: CompactionResult } | { error: Error }): void {
    // Already finished by a poll, perhaps with a newer one running by now.
    if (this.detached !== running) return;
    this.detached = undefined;
    this.snapshotRunning = undefined;
    if ('error' in outcome) {
      // The segments stay (nothing was deleted); the next due snapshot tries again.
      this.options.onError?.(outcome.error);
      return;
    }
    this.snapshotFolded = running.newSegmentStart - 1;
    this.eventsSinceSnapshot = Math.max(0, this.eventsSinceSnapshot - running.eventsFolded);
    this.lastSnapshotAt = this.now();
    this.dueSince = undefined;
    this.stats_.snapshots++;
    this.stats_.lastSnapshotExportMs = 0;
    this.stats_.lastSnapshotWorkerExportMs = outcome.result.exportMs;
    this.stats_.lastSnapshotBytes = outcome.result.bytes;
    this.stats_.lastSnapshotTotalMs = performance.now() - running.started;
  }

  private takeUnwritten(max: number): { text: string; firstSeq: number; count: number; decisions: number; outcomes: number } {
    const taken = this.unwritten.length <= max ? this.unwritten : this.unwritten.slice(0, max);
    this.unwritten = taken === this.unwritten ? [] : this.unwritten.slice(taken.length);
    let text = '';
    let decisions = 0;
    let outcomes = 0;
    for (const { line, type, unit } of taken) {
      text += line;
      // A unit's decisions and outcomes are reported as committed once its commit is on disk.
      if (type === 'decision') {
        if (unit) this.unitDecisions++;
        else decisions++;
      } else if (type === 'outcome') {
        if (unit) this.unitOutcomes++;
        else outcomes++;
      } else if (type === 'unitCommit') {
        decisions += this.unitDecisions;
        outcomes += this.unitOutcomes;
        this.unitDecisions = 0;
        this.unitOutcomes = 0;
      }
    }
    const batch = { text, firstSeq: this.unwrittenFirstSeq, count: taken.length, decisions, outcomes };
    this.unwrittenFirstSeq += taken.length;
    return batch;
  }

  private acknowledge({ firstSeq, count, decisions, outcomes }: { firstSeq: number; count: number; decisions: number; outcomes: number }): void {
    this.ackedEvents += count;
    this.ackedOutcomes += outcomes;
    this.ackedDecisionsTotal += decisions;
    this.lastAckedSeq = firstSeq + count - 1;
    this.eventsSinceSnapshot += count;
    const progress: CommitProgress = { events: this.ackedEvents, decisions: this.ackedDecisionsTotal, outcomes: this.ackedOutcomes, lastSeq: this.lastAckedSeq };
    for (const listener of this.listeners) listener(progress);
  }

  // ---- snapshots -----------------------------------------------------------------------------

  /** Runs from an unref'd timer: takes a due snapshot once appends pause (or it is overdue). */
  private considerSnapshot(): void {
    if (this.snapshotRunning !== undefined || this.closed || this.failure !== undefined || this.eventsSinceSnapshot === 0) return;
    const now = performance.now();
    const due =
      this.eventsSinceSnapshot >= (this.options.snapshotEveryEvents ?? 100_000) ||
      this.now() - this.lastSnapshotAt >= (this.options.snapshotIntervalMs ?? 600_000);
    if (!due) {
      this.dueSince = undefined;
      return;
    }
    this.dueSince ??= now;
    const idle = now - this.lastAppendAt >= (this.options.snapshotIdleMs ?? 2000);
    const overdue = now - this.dueSince >= (this.options.snapshotMaxDeferMs ?? 60_000);
    if (idle || overdue) {
      this.snapshot().catch((error: unknown) => this.options.onError?.(error instanceof Error ? error : new Error(String(error))));
    }
  }

  /** Writes a snapshot now (and runs retention first when configured). */
  snapshot(): Promise<void> {
    if (this.journal === undefined) return Promise.reject(new Error('the store was opened read-only'));
    this.snapshotRunning ??= this.takeSnapshot().finally(() => {
      this.snapshotRunning = undefined;
    });
    return this.snapshotRunning;
  }

  private async takeSnapshot(): Promise<void> {
    const journal = this.journal;
    if (journal === undefined) return;
    const started = performance.now();
    if (this.options.retention !== undefined) this.applyRetention(this.options.retention);
    const compactor = this.compactor;
    let bytes: Uint8Array | undefined;
    let newSegmentStart = 0;
    let eventsFolded = 0;
    // Inside the write chain, so no batch is in flight: everything below the new segment is durable
    // in the older segments (for the worker) and applied to the database (for a main-thread export).
    const step = this.chain.then(async () => {
      await this.writeBatch();
      // Never switch segment inside a unit: a snapshot of the segments before the switch would
      // hold part of it, and replay would drop that part for want of its commit.
      while (this.failure === undefined && this.unwritten[0]?.unit === true) await this.writeBatch();
      eventsFolded = this.eventsSinceSnapshot;
      newSegmentStart = this.unwritten.length > 0 ? this.unwrittenFirstSeq : this.lastSeq + 1;
      if (compactor === undefined) {
        this.applyPending();
        const exportStarted = performance.now();
        bytes = await exportLiveDatabase(this.SQL, this.db);
        this.stats_.lastSnapshotExportMs = performance.now() - exportStarted;
      }
      await journal.startSegment(newSegmentStart);
    });
    this.chain = step.catch((error: unknown) => this.fail(error));
    await step;
    if (compactor !== undefined) {
      // The worker rebuilds the database from the last snapshot and the journal, exports and
      // writes it: the main thread never blocks on an export.
      const result = await compactor.compact(this.dir, newSegmentStart, this.snapshotFolded);
      this.stats_.lastSnapshotExportMs = 0;
      this.stats_.lastSnapshotWorkerExportMs = result.exportMs;
      this.stats_.lastSnapshotBytes = result.bytes;
    } else if (bytes !== undefined) {
      const slicer = new TimeSlicer();
      await writeSnapshotFile(this.dir, bytes, async () => {
        if (slicer.due()) await slicer.pause();
      });
      this.stats_.lastSnapshotBytes = bytes.byteLength;
    }
    // The new snapshot is in place and verified; the one it replaced is now the previous one, and
    // the segments folded into the one before that may go (the worker removed them itself).
    const previousFolded = this.snapshotFolded;
    this.snapshotFolded = newSegmentStart - 1;
    if (compactor === undefined) await removeSegmentsFoldedInto(this.dir, previousFolded);
    this.eventsSinceSnapshot = Math.max(0, this.eventsSinceSnapshot - eventsFolded);
    this.lastSnapshotAt = this.now();
    this.dueSince = undefined;
    this.stats_.snapshots++;
    this.stats_.lastSnapshotTotalMs = performance.now() - started;
  }

  /**
   * Applies settings the user changed while the store is open: retention (from the next pass: at
   * the next snapshot, or call `applyRetention`) and whether prompt text is kept (from the next
   * append; what is stored stays as it is).
   */
  updateSettings(settings: { retention?: RetentionSettings; storePromptText?: boolean }): void {
    if ('retention' in settings) this.options.retention = settings.retention;
    if (settings.storePromptText !== undefined) this.options.storePromptText = settings.storePromptText;
  }

  /**
   * Runs a retention pass now (it also runs at open and before each snapshot when configured). The
   * pass is journaled, so a replay folds exactly the same rows.
   */
  applyRetention(settings: RetentionSettings): RetentionReport {
    this.applyPending();
    this.writer.lastRetention = { summarisedDecisions: 0, summarisedOutcomes: 0 };
    const record: RetentionRecord = { timestamp: this.now() };
    if (settings.keepDays !== undefined) record.keepDays = settings.keepDays;
    if (settings.keepDecisions !== undefined) record.keepDecisions = settings.keepDecisions;
    this.append({ type: 'retention', record });
    this.applyPending();
    return this.writer.lastRetention;
  }

  protected catchUp(): void {
    this.applyPending();
  }

  /** Flushes, snapshots if anything changed, and releases the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.snapshotTimer !== undefined) clearInterval(this.snapshotTimer);
    try {
      if (this.journal !== undefined) {
        await this.flush();
        await this.snapshotRunning;
        if (this.eventsSinceSnapshot > 0) await this.snapshot();
      }
    } finally {
      this.closed = true;
      if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
      await this.journal?.close();
      await this.compactor?.terminate();
      await this.lock?.release();
      this.setLastSeq.free();
      this.freeReads();
      this.writer.free();
      this.db.close();
    }
  }

  // ---- reads ---------------------------------------------------------------------------------

  stats(): StoreStats {
    return { ...this.stats_, lastSeq: this.lastSeq, ackedEvents: this.ackedEvents, backlogEvents: this.backlog };
  }

  /**
   * Imports a JSONL export: validates every line first (throwing an ImportError naming each bad
   * line and field, with nothing imported), then appends what the store lacks as one unit
   * (`appendUnit`: after a crash, all of it or none) and waits until it is durable. Records the
   * store already holds identically are skipped, so that running an import again finishes it; a
   * request id stored with different content is an ImportError.
   */
  async importJsonl(text: string): Promise<ImportReport> {
    this.applyPending();
    // Request ids already stored are not problems here: planImport compares their records.
    const records = parseJsonl(text, () => false, { arms: this.armCatalog() });
    const plan = planImport(records, (requestId) => this.loggedByRequestId(requestId), this.options.storePromptText === true);
    if (plan.events.length > 0) this.appendUnit('import', plan.events);
    await this.flush();
    return { imported: plan.imported, alreadyStored: plan.alreadyStored, outcomesAdded: plan.outcomesAdded };
  }
}

/** Opens the store in `dir` (see `Store.open`). */
export function openStore(dir: string, options: StoreOptions): Promise<Store> {
  return Store.open(dir, options);
}
