// The store's queries. Each first applies what is queued to the database (read-your-writes);
// aggregates are computed in SQL (queries.ts), and the log is read a page at a time.
import type { Database, Statement } from 'sql.js';
import type { ArmParameters } from '../core/types';
import type { LoggedDecision } from './events';
import type { ArmCatalog } from './formats/dsjson';
import { armObjectives, armShares, countsByPhase, rawDecisionCount, rewardByBucket, totalDecisionCount } from './queries';
import type { ArmObjectives, ArmShare, PhaseCount, QueryFilter, RewardBucket } from './queries';
import { storedCheckpoints, storedEventsAfter, type SequencedEvent, type StoredCheckpoint } from './eventReads';
import { rollupMismatches } from './rollup';
import { loggedSelect, rowToLogged } from './records';
import { bucketCells, historyRows, lateOutcomeCells, logExtent, newestRewardedRows, outcomeCount, recentDecisionRows, rollupBucketCells, summaryBucketCells, windowSeqSpan } from './dashboardReads';
import type { BucketCell, Bucketing, DecisionListRow, HistoryRow, LogExtent, TimeRange } from './dashboardReads';

/** The read side of `Store`: queries over the live database. */
export abstract class StoreReads {
  private findDecision: Statement | undefined;
  private findLogged: Statement | undefined;

  protected constructor(protected readonly db: Database) {}

  /** Applies every queued event to the database, so that a read sees every append before it. */
  protected abstract catchUp(): void;

  /** Frees the statements the reads prepared (before the database is closed). */
  protected freeReads(): void {
    this.findDecision?.free();
    this.findLogged?.free();
    this.findDecision = undefined;
    this.findLogged = undefined;
  }

  /** Decisions ever stored (raw rows plus those folded into summaries), including unacknowledged. */
  decisionCount(): number {
    this.catchUp();
    return totalDecisionCount(this.db);
  }

  /** Decisions held as raw rows (exportable, usable for OPE), within `filter` when given. */
  rawDecisionCount(filter?: QueryFilter): number {
    this.catchUp();
    return rawDecisionCount(this.db, filter);
  }

  rewardByBucket(bucketMs: number, filter?: QueryFilter): RewardBucket[] {
    this.catchUp();
    return rewardByBucket(this.db, bucketMs, filter);
  }

  armShares(filter?: QueryFilter): ArmShare[] {
    this.catchUp();
    return armShares(this.db, filter);
  }

  armObjectives(filter?: QueryFilter): ArmObjectives[] {
    this.catchUp();
    return armObjectives(this.db, filter);
  }

  countsByPhase(filter?: QueryFilter): PhaseCount[] {
    this.catchUp();
    return countsByPhase(this.db, filter);
  }

  /** Outcomes ever stored (raw rows plus those folded into summaries). */
  outcomeCount(): number {
    this.catchUp();
    return outcomeCount(this.db);
  }

  /** The log's extent for the dashboard's time axis (dashboardReads.ts). */
  dashboardExtent(): LogExtent {
    this.catchUp();
    return logExtent(this.db);
  }

  /** One slice of the dashboard's bucket scan: raw decisions with seq in (after, upTo] (dashboardReads.ts). */
  dashboardBucketCells(bucketing: Bucketing, after: number, upTo: number, outcomesUpTo?: number, range?: TimeRange): BucketCell[] {
    this.catchUp();
    return bucketCells(this.db, bucketing, after, upTo, outcomesUpTo, range);
  }

  /** Outcomes stored in (outcomesAfter, outcomesUpTo] for decisions up to `decisionsUpTo`: a scan's refresh (dashboardReads.ts). */
  dashboardLateOutcomeCells(bucketing: Bucketing, outcomesAfter: number, outcomesUpTo: number, decisionsUpTo: number, range?: TimeRange): BucketCell[] {
    this.catchUp();
    return lateOutcomeCells(this.db, bucketing, outcomesAfter, outcomesUpTo, decisionsUpTo, range);
  }

  /** The first and last sequence numbers of the raw decisions in the bucketing's window (dashboardReads.ts). */
  dashboardWindowSeqs(bucketing: Bucketing): { first: number; last: number } | undefined {
    this.catchUp();
    return windowSeqSpan(this.db, bucketing);
  }

  /** One slice of the dashboard's bucket scan from the rollup: the periods of `grain` in `range` (dashboardReads.ts). */
  dashboardRollupCells(bucketing: Bucketing, grain: number, range: TimeRange): BucketCell[] {
    this.catchUp();
    return rollupBucketCells(this.db, bucketing, grain, range);
  }

  /** The retention summaries of the dashboard's bucket scan (dashboardReads.ts). */
  dashboardSummaryCells(bucketing: Bucketing): BucketCell[] {
    this.catchUp();
    return summaryBucketCells(this.db, bucketing);
  }

  /**
   * Where the dashboard's rollup differs from one built afresh from the raw rows (rollup.ts): empty
   * when it holds. Reads the whole log: a check, not a query for the dashboard.
   */
  rollupMismatches(): string[] {
    this.catchUp();
    return rollupMismatches(this.db);
  }

  /** The newest decisions with seq below `before`, newest first, a page of at most `limit`. */
  recentDecisions(before: number | undefined, limit: number): { rows: DecisionListRow[]; nextBefore: number | null } {
    this.catchUp();
    return recentDecisionRows(this.db, before, limit);
  }

  /** Rollout events, SLO incidents and gate looks with seq below `before`, newest first, at most `limit`. */
  history(before: number | undefined, limit: number): { rows: HistoryRow[]; nextBefore: number | null } {
    this.catchUp();
    return historyRows(this.db, before, limit);
  }

  /** The newest `limit` decisions that have a reward, with their outcomes, oldest first. */
  newestRewarded(limit: number): LoggedDecision[] {
    this.catchUp();
    return newestRewardedRows(this.db, limit).map((row) => rowToLogged(row).logged);
  }

  /** Each arm index seen in the log with its id and parameters (from its latest decision). */
  armCatalog(): ArmCatalog {
    this.catchUp();
    const catalog = new Map<number, { armId: string; params: ArmParameters }>();
    const result = this.db.exec('SELECT arm_index, arm_id, params, MAX(seq) FROM decisions GROUP BY arm_index');
    for (const row of result[0]?.values ?? []) {
      catalog.set(Number(row[0]), { armId: String(row[1]), params: JSON.parse(String(row[2])) as ArmParameters });
    }
    return catalog;
  }

  /** Every event stored after sequence number `after`, in the order it was appended (eventReads.ts). */
  eventsAfter(after: number): SequencedEvent[] {
    this.catchUp();
    return storedEventsAfter(this.db, after);
  }

  /** Every checkpoint slot's content, newest first (eventReads.ts). */
  checkpoints(): StoredCheckpoint[] {
    this.catchUp();
    return storedCheckpoints(this.db);
  }

  /** The stored decision with this request id, with its outcome and reward when known. */
  loggedByRequestId(requestId: string): LoggedDecision | undefined {
    this.catchUp();
    this.findLogged ??= this.db.prepare(`${loggedSelect} WHERE d.request_id = ?`);
    try {
      this.findLogged.bind([requestId]);
      return this.findLogged.step() ? rowToLogged(this.findLogged.get()).logged : undefined;
    } finally {
      this.findLogged.reset();
    }
  }

  /** True when a decision with this request id is stored. */
  hasDecision(requestId: string): boolean {
    this.catchUp();
    this.findDecision ??= this.db.prepare('SELECT 1 FROM decisions WHERE request_id = ?');
    try {
      this.findDecision.bind([requestId]);
      return this.findDecision.step();
    } finally {
      this.findDecision.reset();
    }
  }

  /**
   * Decisions joined with their outcomes, oldest first, read `pageSize` rows at a time (keyset
   * pagination on the sequence number), so OPE and exports never hold the whole log in memory.
   */
  *iterateLogged(filter: QueryFilter = {}, pageSize = 1000): Generator<LoggedDecision> {
    this.catchUp();
    const clauses = ['d.seq > :after'];
    const params: Record<string, string | number> = {};
    if (filter.since !== undefined) {
      clauses.push('d.ts >= :since');
      params[':since'] = filter.since;
    }
    if (filter.until !== undefined) {
      clauses.push('d.ts < :until');
      params[':until'] = filter.until;
    }
    if (filter.policyId !== undefined) {
      clauses.push('d.policy_id = :policy');
      params[':policy'] = filter.policyId;
    }
    if (filter.phase !== undefined) {
      clauses.push('d.phase = :phase');
      params[':phase'] = filter.phase;
    }
    const sql = `${loggedSelect} WHERE ${clauses.join(' AND ')} ORDER BY d.seq LIMIT ${Math.max(1, Math.floor(pageSize))}`;
    let after = -1;
    for (;;) {
      const statement = this.db.prepare(sql);
      const page: LoggedDecision[] = [];
      try {
        statement.bind({ ...params, ':after': after });
        while (statement.step()) {
          const { seq, logged } = rowToLogged(statement.get());
          after = seq;
          page.push(logged);
        }
      } finally {
        statement.free();
      }
      // The statement is freed before yielding, so the caller may write between pages.
      yield* page;
      if (page.length < pageSize) return;
    }
  }
}
