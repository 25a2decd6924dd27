// The store's write path (ARCHITECTURE.md §"Store"). `append` assigns the event a sequence number,
// encodes its journal line and queues it; a batch (what is queued after a few milliseconds, at most
// `maxJournalBatchEvents`) is written to the journal and fdatasync'd, and only then are its events
// acknowledged (`flush()` resolves, `onCommitted` fires). One batch is in flight at a time. The
// database catches up separately, in transactions of at most `applySliceMs` each, one per event-loop
// turn; queries apply what is queued first (read-your-writes).
//
// The live database is an in-memory SQLite database (memoryDatabase.ts): a write costs the same at
// any size, where sql.js's in-memory files copy themselves whole each time they grow.
import type { Database, Statement } from 'sql.js';
import type { CommitProgress, StoreEvent } from './events';
import { encodeEventLine } from './journal';
import type { JournalWriter } from './journal';
import { totalDecisionCount } from './queries';
import { checkDecision, checkOutcome, DuplicateRequestError } from './records';
import type { EventWriter } from './records';
import type { StoreOptions } from './storeOptions';

interface Pending {
  seq: number;
  event: StoreEvent;
}

/** Journal lines taken to be written together, and what they acknowledge once durable. */
interface Batch {
  text: string;
  firstSeq: number;
  count: number;
  decisions: number;
  outcomes: number;
}

/**
 * Appends, journal batches, acknowledgements and the database's catching up, for one `Store`. The
 * store's snapshots run between its batches (`betweenBatches`); a producer that never yields writes
 * through `writeAllSync`.
 */
export class WritePath {
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
  private batchInFlight = false;
  private applyScheduled = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(progress: CommitProgress) => void>();
  private failed: Error | undefined;
  private isClosed = false;
  private acked = 0;
  private ackedOutcomes = 0;
  private ackedDecisionsTotal: number;
  private lastAckedSeq: number;
  private appendedAt = 0;
  private applyErrorCount = 0;
  private readonly setLastSeq: Statement;

  /**
   * @param options The store's options object, read at each use (`Store.updateSettings` changes it).
   * @param onDurable Told how many events each acknowledgement made durable (snapshot cadence).
   */
  constructor(
    private readonly db: Database,
    private readonly writer: EventWriter,
    private readonly journal: JournalWriter | undefined,
    private readonly options: Readonly<StoreOptions>,
    private lastSeqNumber: number,
    private readonly onDurable: (events: number) => void,
  ) {
    this.lastAckedSeq = lastSeqNumber;
    this.ackedDecisionsTotal = totalDecisionCount(db);
    this.setLastSeq = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_seq', ?)");
  }

  /** The error that stopped the write path (a journal write, the database), if any. */
  get failure(): Error | undefined {
    return this.failed;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The sequence number of the last event appended. */
  get lastSeq(): number {
    return this.lastSeqNumber;
  }

  /** Events acknowledged (durable) since the store was opened. */
  get ackedEvents(): number {
    return this.acked;
  }

  /** When the last event was appended (`performance.now()`). */
  get lastAppendAt(): number {
    return this.appendedAt;
  }

  /** Events journaled that the database could not apply. */
  get applyErrors(): number {
    return this.applyErrorCount;
  }

  /** Whether a batch is being written asynchronously. */
  get writeInFlight(): boolean {
    return this.batchInFlight;
  }

  /**
   * Events not yet acknowledged, or acknowledged but not yet applied to the in-memory database,
   * whichever is more. A fast producer waits on `flush()` when it grows.
   */
  get backlog(): number {
    return Math.max(this.lastSeqNumber - this.lastAckedSeq, this.unapplied.length);
  }

  /**
   * Checks and queues one event (`unit`: the sequence number of the unit's begin event, when it
   * belongs to one); returns its sequence number. A decision or outcome for a request id that
   * already has one is a DuplicateRequestError, with nothing queued.
   */
  append(event: StoreEvent, unit: number | undefined): number {
    if (this.failed !== undefined) throw this.failed;
    if (this.isClosed) throw new Error('the store is closed');
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
    const seq = ++this.lastSeqNumber;
    if (stored.type === 'decision') this.unappliedDecisions.set(stored.record.requestId, seq);
    else if (stored.type === 'outcome') this.unappliedOutcomes.set(stored.record.outcome.requestId, seq);
    if (this.unwritten.length === 0) this.unwrittenFirstSeq = seq;
    this.unwritten.push({ line: encodeEventLine(seq, stored.type, JSON.stringify(stored.record), unit), type: stored.type, unit: unit !== undefined });
    this.unapplied.push({ seq, event: stored });
    this.appendedAt = performance.now();
    this.scheduleWrite();
    return seq;
  }

  /** Throws a DuplicateRequestError when the request already has a record of this kind, applied or queued. */
  refuseDuplicate(kind: 'decision' | 'outcome', requestId: string): void {
    const existing = (kind === 'decision' ? this.unappliedDecisions : this.unappliedOutcomes).get(requestId) ?? this.writer.storedSeq(kind, requestId);
    if (existing !== undefined) throw new DuplicateRequestError(requestId, kind, existing);
  }

  /** Calls `listener` after each acknowledgement; returns the function that stops it. */
  onCommitted(listener: (progress: CommitProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves, once everything appended so far is on disk, to the number of events acknowledged. */
  async flush(): Promise<number> {
    const target = this.lastSeqNumber;
    while (this.lastAckedSeq < target) {
      if (this.failed !== undefined) throw this.failed;
      if (this.unwritten.length > 0) this.queueWrite();
      await this.chain;
    }
    if (this.failed !== undefined) throw this.failed;
    // Back-pressure for fast producers: the in-memory database may trail the journal, but by no
    // more than maxApplyLagEvents, so its queue cannot grow without bound.
    while (this.unapplied.length > (this.options.maxApplyLagEvents ?? 20_000) && !this.isClosed && this.failed === undefined) {
      this.scheduleApply();
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (this.failed !== undefined) throw this.failed;
    return this.acked;
  }

  /** Records the first failure (appends throw it from now on) and reports every one. */
  fail(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    this.failed ??= failure;
    this.options.onError?.(failure);
  }

  /**
   * Applies queued events to the database in one transaction: all of them (queries do this first:
   * read-your-writes), or as many as fit before `deadline` (a `performance.now()` time; at least one).
   */
  applyPending(deadline = Number.POSITIVE_INFINITY): void {
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
          this.applyErrorCount++;
          this.options.onError?.(new Error(`event ${seq} (${event.type}) was journaled but not applied: ${error instanceof Error ? error.message : String(error)}`));
        }
        // Checking the clock every 16 events keeps its cost out of the loop's.
        if ((count & 15) === 0 && performance.now() >= deadline) break;
      }
      const last = queue[count - 1] as Pending;
      this.setLastSeq.run([String(last.seq)]);
      this.db.exec('COMMIT');
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

  /**
   * Writes and syncs every line not yet written before returning, blocking the thread, and
   * acknowledges them: for producers that never yield. No asynchronous batch may be in flight.
   */
  writeAllSync(): void {
    if (this.journal === undefined) throw new Error('the store was opened read-only');
    if (this.unwritten.length === 0) return;
    const batch = this.takeUnwritten(Number.POSITIVE_INFINITY);
    this.journal.writeDurablySync(batch.text, batch.firstSeq);
    this.acknowledge(batch);
  }

  /**
   * Runs `step` inside the write chain, so that no batch is in flight meanwhile, after writing what
   * is queued up to the end of any unit begun: every event below `nextSeq` is then durable in the
   * journal, and none of a unit lies on both sides of it. A failure of `step` fails the write path.
   */
  async betweenBatches(step: (nextSeq: number) => Promise<void>): Promise<void> {
    const run = this.chain.then(async () => {
      await this.writeBatch();
      // Never stop inside a unit: a snapshot of the segments before `nextSeq` would hold part of
      // it, and replay would drop that part for want of its commit.
      while (this.failed === undefined && this.unwritten[0]?.unit === true) await this.writeBatch();
      await step(this.unwritten.length > 0 ? this.unwrittenFirstSeq : this.lastSeqNumber + 1);
    });
    this.chain = run.catch((error: unknown) => this.fail(error));
    await run;
  }

  /** Refuses appends from now on and drops a pending batch timer (the store is closing). */
  close(): void {
    this.isClosed = true;
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
  }

  /** Frees the prepared statement (before the database is closed). */
  free(): void {
    this.setLastSeq.free();
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

  /**
   * Applies queued events to the database a slice at a time, one slice per event-loop turn, each
   * slice stopping once it has run `applySliceMs`, so that applying never blocks the loop for long.
   */
  private scheduleApply(): void {
    if (this.applyScheduled || this.unapplied.length === 0) return;
    this.applyScheduled = true;
    setImmediate(() => {
      this.applyScheduled = false;
      if (this.isClosed || this.failed !== undefined) return;
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

  private async writeBatch(): Promise<void> {
    this.writeQueued = false;
    if (this.failed !== undefined || this.journal === undefined) return;
    if (this.unwritten.length === 0) return;
    // Durability does not wait for the database: the journal takes the whole backlog (up to a
    // bound on the buffer), and the database catches up in short steps of its own (scheduleApply).
    const batch = this.takeUnwritten(this.options.maxJournalBatchEvents ?? 4000);
    this.scheduleApply();
    this.batchInFlight = true;
    try {
      await this.journal.writeDurably(batch.text, batch.firstSeq);
    } finally {
      this.batchInFlight = false;
    }
    this.acknowledge(batch);
    if (this.unwritten.length > 0) this.queueWrite();
  }

  private takeUnwritten(max: number): Batch {
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

  private acknowledge({ firstSeq, count, decisions, outcomes }: Batch): void {
    this.acked += count;
    this.ackedOutcomes += outcomes;
    this.ackedDecisionsTotal += decisions;
    this.lastAckedSeq = firstSeq + count - 1;
    this.onDurable(count);
    const progress: CommitProgress = { events: this.acked, decisions: this.ackedDecisionsTotal, outcomes: this.ackedOutcomes, lastSeq: this.lastAckedSeq };
    for (const listener of this.listeners) listener(progress);
  }
}
