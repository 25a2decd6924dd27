// The store: an in-memory sql.js database made durable by an append-only journal and periodic
// snapshots (ARCHITECTURE.md §"Store"). `Store` composes its parts, each in its own file:
//   storeReads.ts       the queries (read-your-writes: each applies what is queued first)
//   writePath.ts        appends, journal batches, acknowledgements, the database catching up
//   snapshotSchedule.ts when snapshots are due, and the snapshots taken on the event loop
//   syncLoop.ts         flushSync and its snapshots, for producers that never yield
//   importUnit.ts       units (all of it or none after a crash) and JSONL imports
//
// Open: one writer per folder (lock.ts), then recovery.ts: version checks first (a newer snapshot
// or journal is refused before anything is touched), the snapshot validated (a truncated or
// unreadable one is renamed aside with a timestamp, never deleted), migrated forward, and the
// journal tail replayed. Recovery is reported as notices.
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import type { Decision, Outcome, RewardReport } from '../core/types';
import type {
  BudgetEventRecord,
  CommitProgress,
  PolicySnapshotRecord,
  RolloutEventRecord,
  SloIncidentRecord,
  RetentionRecord,
  StoreEvent,
  WaiverRecord,
} from './events';
import { JournalWriter, segmentFileName } from './journal';
import { DuplicateRequestError } from './records';
import type { EventWriter } from './records';
import type { RetentionReport, RetentionSettings } from './retention';
import { schemaVersion } from './schema';
import { snapshotFileName, snapshotTempName } from './snapshotFile';
import { loadSqlJs } from './sqlite';
import { recoverDatabase } from './recovery';
import type { RecoveryNotice } from './recovery';
import { StoreReads } from './storeReads';
import { acquireLock } from './lock';
import { prepareStoreFolder } from './folder';
import type { LockHolder, StoreLock } from './lock';
import { Compactor, detectCompactionWorker } from './compactor';
import { appendUnit, importJsonl } from './importUnit';
import type { ImportReport } from './importUnit';
import { SnapshotSchedule } from './snapshotSchedule';
import type { StoreOptions, StoreStats } from './storeOptions';
import { SyncLoop } from './syncLoop';
import { WritePath } from './writePath';

export { snapshotFileName, DuplicateRequestError };
export { openingLostData } from './notices';
export { StoreDataLossError, StoreNotFoundError } from './recovery';
export type { ImportReport, RecoveryNotice, StoreOptions, StoreStats };

/**
 * The durable store of decisions, outcomes and the safety machinery's records. Open it with
 * `openStore`; close it (which flushes and snapshots) before the process ends.
 */
export class Store extends StoreReads {
  private readonly writes: WritePath;
  private readonly snapshots: SnapshotSchedule;
  private readonly syncLoop: SyncLoop;
  private readonly options: StoreOptions;
  /** The lock this open replaced: its holder ended without closing the store (a crash or a kill). */
  readonly staleLock: LockHolder | undefined;
  /** The lock this open holds (with the secret its socket's clients present); undefined read-only. */
  readonly lockHolder: LockHolder | undefined;

  private constructor(
    readonly dir: string,
    SQL: SqlJsStatic,
    db: Database,
    private readonly writer: EventWriter,
    private readonly journal: JournalWriter | undefined,
    private readonly compactor: Compactor | undefined,
    private readonly lock: StoreLock | undefined,
    options: StoreOptions,
    lastSeq: number,
    /** What opening found and repaired. */
    readonly notices: readonly RecoveryNotice[],
    /** Events the journal holds beyond the snapshot (plus 1 when opening changed the database). */
    unsnapshotted: number,
    snapshotFolded: number,
  ) {
    super(db);
    // A copy: updateSettings changes it, never the caller's object. The parts read it at each use.
    this.options = { ...options };
    this.staleLock = lock?.staleHolder;
    this.lockHolder = lock?.holder;
    this.writes = new WritePath(db, writer, journal, this.options, lastSeq, (events) => this.snapshots.noteDurable(events));
    const runRetention = (): void => {
      if (this.options.retention !== undefined) this.applyRetention(this.options.retention);
    };
    this.snapshots = new SnapshotSchedule({ dir, SQL, db, journal, compactor, writes: this.writes, options: this.options, runRetention }, unsnapshotted, snapshotFolded);
    this.syncLoop = new SyncLoop({ dir, journal, compactor, writes: this.writes, snapshots: this.snapshots, options: this.options, runRetention });
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
        ...(compactor === undefined ? {} : { checker: compactor }),
      });
    } catch (error) {
      await compactor?.terminate();
      throw error;
    }
    // A worker started for a check that did not run (the file failed its checksum) ends here.
    await compactor?.releaseIdle();
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

  /** True when opened read-only (no lock, no appends). */
  get readOnly(): boolean {
    return this.journal === undefined;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  // ---- writes (writePath.ts, importUnit.ts) ---------------------------------------------------

  /**
   * Appends one event; returns its sequence number. Durable once `flush()` resolves past it. A
   * decision for a request id that already has one, or an outcome for a request that already has
   * one, is refused with a DuplicateRequestError (nothing is journaled): a stored record is never
   * replaced.
   */
  append(event: StoreEvent): number {
    if (event.type === 'unitBegin' || event.type === 'unitCommit') throw new Error('units are appended with appendUnit');
    return this.writes.append(event, undefined);
  }

  /**
   * Appends `events` as one unit: after a crash, replay keeps all of them or none (the journal
   * holds them between a begin and a commit event; a unit without its commit is dropped). Every
   * event is checked first: one refused (malformed, or a request id the store or the unit already
   * has) refuses the whole unit, with nothing journaled. Durable once `flush()` resolves.
   */
  appendUnit(kind: string, events: readonly StoreEvent[]): void {
    appendUnit(this.writes, kind, events, () => this.now());
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
    return this.writes.backlog;
  }

  /** Sequence number of the newest event appended (durable or not yet). */
  get lastSeq(): number {
    return this.writes.lastSeq;
  }

  onCommitted(listener: (progress: CommitProgress) => void): () => void {
    return this.writes.onCommitted(listener);
  }

  /** Resolves, once everything appended so far is on disk, to the number of events acknowledged. */
  flush(): Promise<number> {
    return this.writes.flush();
  }

  /**
   * Resolves once nothing of the store's own is in flight: every append durable and no snapshot
   * being built on this thread. A producer about to call `flushSync` from a loop that never yields
   * waits for this first.
   */
  settle(): Promise<void> {
    return this.syncLoop.settle();
  }

  /**
   * Writes and syncs everything appended so far before returning, blocking the thread: for
   * producers that run in one synchronous loop and never yield (the simulator). Returns the number
   * of events acknowledged. Must not be called while an asynchronous batch is in flight.
   */
  flushSync(): number {
    return this.syncLoop.flushSync();
  }

  /**
   * Imports a JSONL export: validates every line first (throwing an ImportError naming each bad
   * line and field, with nothing imported), then appends what the store lacks as one unit
   * (`appendUnit`: after a crash, all of it or none) and waits until it is durable. Records the
   * store already holds identically are skipped, so that running an import again finishes it; a
   * request id stored with different content is an ImportError.
   */
  async importJsonl(text: string): Promise<ImportReport> {
    this.writes.applyPending();
    return await importJsonl(this, text, this.options.storePromptText === true);
  }

  // ---- snapshots and retention (snapshotSchedule.ts) ------------------------------------------

  /** Writes a snapshot now (and runs retention first when configured). */
  snapshot(): Promise<void> {
    return this.snapshots.snapshot();
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
    this.writes.applyPending();
    this.writer.lastRetention = { summarisedDecisions: 0, summarisedOutcomes: 0 };
    const record: RetentionRecord = { timestamp: this.now() };
    if (settings.keepDays !== undefined) record.keepDays = settings.keepDays;
    if (settings.keepDecisions !== undefined) record.keepDecisions = settings.keepDecisions;
    this.append({ type: 'retention', record });
    this.writes.applyPending();
    return this.writer.lastRetention;
  }

  // ---- reads (storeReads.ts), figures, closing ------------------------------------------------

  protected catchUp(): void {
    this.writes.applyPending();
  }

  stats(): StoreStats {
    const figures = this.snapshots.figures();
    return {
      lastSeq: this.writes.lastSeq,
      ackedEvents: this.writes.ackedEvents,
      backlogEvents: this.writes.backlog,
      snapshots: figures.snapshots,
      lastSnapshotBytes: figures.lastSnapshotBytes,
      lastSnapshotExportMs: figures.lastSnapshotExportMs,
      lastSnapshotTotalMs: figures.lastSnapshotTotalMs,
      applyErrors: this.writes.applyErrors,
      snapshotMode: figures.snapshotMode,
      lastSnapshotWorkerExportMs: figures.lastSnapshotWorkerExportMs,
    };
  }

  /** Flushes, snapshots if anything changed, and releases the database. */
  async close(): Promise<void> {
    if (this.writes.closed) return;
    this.snapshots.stop();
    try {
      if (this.journal !== undefined) {
        await this.flush();
        await this.snapshots.running;
        if (this.snapshots.eventsSinceSnapshot > 0) await this.snapshot();
      }
    } finally {
      this.writes.close();
      await this.journal?.close();
      await this.compactor?.terminate();
      await this.lock?.release();
      this.writes.free();
      this.freeReads();
      this.writer.free();
      this.db.close();
    }
  }
}

/** Opens the store in `dir` (see `Store.open`). */
export function openStore(dir: string, options: StoreOptions): Promise<Store> {
  return Store.open(dir, options);
}
