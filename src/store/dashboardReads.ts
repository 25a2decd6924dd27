// The dashboard's reads, in SQL. The time series come from one aggregate per slice of the log
// (decisions joined with their outcomes, grouped by time bucket, served-by and arm: counts, sums and
// sums of squares, so means and variances can be merged across slices and with the retention
// summaries), or, for buckets of whole hours or days, per slice of the rollup's periods (rollup.ts);
// the caller walks the log slice by slice (dashboardScan.ts), so no read holds the event loop for
// long whatever the log's size. Lists (recent decisions, history) are pages by sequence number,
// bounded by their limit.
import type { Database, SqlValue } from 'sql.js';
import type { RolloutPhase, ServedBy } from '../core/types';
import { loggedSelect } from './records';

/** Buckets [start + i·width, start + (i + 1)·width) for i < count, in ms since the epoch. */
export interface Bucketing {
  start: number;
  width: number;
  count: number;
}

/** One group of a bucket scan: a bucket, who served, an arm, and its counts and sums. */
export interface BucketCell {
  bucket: number;
  servedBy: ServedBy;
  armIndex: number;
  decisions: number;
  /** Decisions with an outcome. */
  outcomes: number;
  /** Outcomes that carry a reward. */
  rewarded: number;
  rewardSum: number;
  rewardSqSum: number;
  qualitySum: number;
  latencySum: number;
  tokensSum: number;
}

const n = (v: SqlValue | undefined): number => Number(v ?? 0);

function rows(db: Database, sql: string, params: Record<string, SqlValue> = {}): SqlValue[][] {
  return db.exec(sql, params)[0]?.values ?? [];
}

/** The log's extent and size, for the dashboard's time axis and to tell what changed since a scan. */
export interface LogExtent {
  /** First and last decision times, raw rows and summaries (null: no decision). */
  firstTs: number | null;
  lastTs: number | null;
  /** The newest decision's sequence number (0: none). */
  maxSeq: number;
  /** Raw decision rows, and decisions folded into summaries: retention moves rows from one to the other. */
  raw: number;
  summarised: number;
}

/** The log's extent (each MIN, MAX and COUNT answered from an index). */
export function logExtent(db: Database): LogExtent {
  // Separate subqueries: each MIN or MAX alone is answered from its index, without a scan.
  const r = rows(
    db,
    `SELECT (SELECT MIN(ts) FROM decisions), (SELECT MAX(ts) FROM decisions), (SELECT MIN(day) FROM decision_summaries),
       (SELECT MAX(day) FROM decision_summaries), (SELECT MAX(seq) FROM decisions), (SELECT COUNT(*) FROM decisions),
       (SELECT TOTAL(decisions) FROM decision_summaries)`,
  )[0];
  const values = [r?.[0], r?.[2]].filter((v): v is number => typeof v === 'number');
  const lasts = [r?.[1], r?.[3]].filter((v): v is number => typeof v === 'number');
  return { firstTs: values.length > 0 ? Math.min(...values) : null, lastTs: lasts.length > 0 ? Math.max(...lasts) : null, maxSeq: n(r?.[4]), raw: n(r?.[5]), summarised: n(r?.[6]) };
}

function toCell(r: SqlValue[]): BucketCell {
  return {
    bucket: n(r[0]),
    servedBy: String(r[1]) as ServedBy,
    armIndex: n(r[2]),
    decisions: n(r[3]),
    outcomes: n(r[4]),
    rewarded: n(r[5]),
    rewardSum: n(r[6]),
    rewardSqSum: n(r[7]),
    qualitySum: n(r[8]),
    latencySum: n(r[9]),
    tokensSum: n(r[10]),
  };
}

/** A time range [from, to) in ms since the epoch. */
export interface TimeRange {
  from: number;
  to: number;
}

/** The bucketing's origin and width, and the range counted: its window, within `range` when given. */
function bucketParams(b: Bucketing, range?: TimeRange): Record<string, SqlValue> {
  const end = b.start + b.width * b.count;
  return { ':start': b.start, ':width': b.width, ':from': Math.max(b.start, range?.from ?? b.start), ':to': Math.min(end, range?.to ?? end) };
}

/**
 * The raw decisions with sequence numbers in (after, upTo] that fall in the bucketing's window
 * (and in `range` when given), grouped by bucket, served-by and arm, with the counts and sums of
 * their outcomes stored up to sequence number `outcomesUpTo` (so a scan is the log as of one
 * sequence number). Walks the primary key range only (`+d.ts` keeps SQLite from walking the time
 * index over the whole window instead), so a slice costs in proportion to its own rows.
 */
export function bucketCells(db: Database, bucketing: Bucketing, after: number, upTo: number, outcomesUpTo = Number.MAX_SAFE_INTEGER, range?: TimeRange): BucketCell[] {
  const sql = `
    SELECT CAST((d.ts - :start) / :width AS INTEGER), d.served_by, d.arm_index, COUNT(*), COUNT(o.request_id), COUNT(o.reward),
      TOTAL(o.reward), TOTAL(o.reward * o.reward), TOTAL(o.quality), TOTAL(o.latency_ms), TOTAL(o.tokens_in + o.tokens_out)
    FROM decisions d LEFT JOIN outcomes o ON o.request_id = d.request_id AND o.seq <= :outcomesUpTo
    WHERE d.seq > :after AND d.seq <= :upTo AND +d.ts >= :from AND +d.ts < :to
    GROUP BY 1, 2, 3`;
  return rows(db, sql, { ...bucketParams(bucketing, range), ':after': after, ':upTo': upTo, ':outcomesUpTo': outcomesUpTo }).map(toCell);
}

/**
 * The sequence numbers of the first and the last raw decision in the bucketing's window (undefined:
 * none), from the time index (in proportion to the window's decisions): a raw scan of a window
 * walks these sequence numbers only, not the whole log's.
 */
export function windowSeqSpan(db: Database, bucketing: Bucketing): { first: number; last: number } | undefined {
  const r = rows(db, 'SELECT MIN(seq), MAX(seq) FROM decisions WHERE ts >= :from AND ts < :to', bucketParams(bucketing))[0];
  return typeof r?.[0] === 'number' && typeof r[1] === 'number' ? { first: r[0], last: r[1] } : undefined;
}

/**
 * The outcomes stored in (outcomesAfter, outcomesUpTo] of decisions with sequence numbers up
 * to `decisionsUpTo` (outcomes that came after a scan for decisions it had counted), in the
 * bucketing's window (and in `range` when given), grouped like `bucketCells` with no decisions counted. Read through the outcomes' sequence index (CROSS JOIN
 * keeps the outcomes the outer loop: with bound parameters SQLite would otherwise walk the
 * decisions' time index over the whole window), so a refresh costs in proportion to what arrived.
 */
export function lateOutcomeCells(db: Database, bucketing: Bucketing, outcomesAfter: number, outcomesUpTo: number, decisionsUpTo: number, range?: TimeRange): BucketCell[] {
  const sql = `
    SELECT CAST((d.ts - :start) / :width AS INTEGER), d.served_by, d.arm_index, 0, COUNT(*), COUNT(o.reward),
      TOTAL(o.reward), TOTAL(o.reward * o.reward), TOTAL(o.quality), TOTAL(o.latency_ms), TOTAL(o.tokens_in + o.tokens_out)
    FROM outcomes o CROSS JOIN decisions d ON d.request_id = o.request_id
    WHERE o.seq > :after AND o.seq <= :outcomesUpTo AND d.seq <= :upTo AND +d.ts >= :from AND +d.ts < :to
    GROUP BY 1, 2, 3`;
  return rows(db, sql, { ...bucketParams(bucketing, range), ':after': outcomesAfter, ':outcomesUpTo': outcomesUpTo, ':upTo': decisionsUpTo }).map(toCell);
}

/**
 * The retention summaries in the bucketing's window, grouped like `bucketCells`. A summary holds a
 * whole UTC day, so it lands in the bucket of its day's start.
 */
export function summaryBucketCells(db: Database, bucketing: Bucketing): BucketCell[] {
  const sql = `
    SELECT CAST((s.day - :start) / :width AS INTEGER), s.served_by, s.arm_index, SUM(s.decisions), SUM(s.outcomes), SUM(s.rewarded),
      TOTAL(s.reward_sum), TOTAL(s.reward_sq_sum), TOTAL(s.quality_sum), TOTAL(s.latency_sum), TOTAL(s.tokens_in_sum + s.tokens_out_sum)
    FROM decision_summaries s WHERE s.day >= :from AND s.day < :to
    GROUP BY 1, 2, 3`;
  return rows(db, sql, bucketParams(bucketing)).map(toCell);
}

/**
 * The raw decisions of the periods of `grain` in [range.from, range.to) (whole periods, inside the
 * bucketing's window), grouped like `bucketCells`, from the rollup (rollup.ts): the cells that
 * `bucketCells` gives for those decisions with every outcome stored, when the bucketing's start
 * and width are whole periods (`rollupGrainFor`). Reads the rollup's primary key range, so it costs
 * in proportion to periods × served-by × arms, whatever the number of decisions.
 */
export function rollupBucketCells(db: Database, bucketing: Bucketing, grain: number, range: TimeRange): BucketCell[] {
  const sql = `
    SELECT CAST((r.period - :start) / :width AS INTEGER), r.served_by, r.arm_index, SUM(r.decisions), SUM(r.outcomes), SUM(r.rewarded),
      TOTAL(r.reward_sum), TOTAL(r.reward_sq_sum), TOTAL(r.quality_sum), TOTAL(r.latency_sum), TOTAL(r.tokens_sum)
    FROM decision_rollup r WHERE r.grain = :grain AND r.period >= :from AND r.period < :to
    GROUP BY 1, 2, 3`;
  return rows(db, sql, { ...bucketParams(bucketing, range), ':grain': grain }).map(toCell);
}

/** A decision as the dashboard's list shows it. */
export interface DecisionListRow {
  seq: number;
  requestId: string;
  timestamp: number;
  taskType: string | null;
  phase: RolloutPhase;
  servedBy: ServedBy;
  armIndex: number;
  armId: string;
  propensity: number;
  reward: number | null;
  quality: number | null;
  latencyMs: number | null;
  tokens: number | null;
  verdict: string | null;
  defaulted: boolean;
  error: boolean;
}

const maybeNumber = (v: SqlValue | undefined): number | null => (v === null || v === undefined ? null : Number(v));
const maybeText = (v: SqlValue | undefined): string | null => (v === null || v === undefined ? null : String(v));

/** The newest decisions with sequence number below `before` (all when absent), newest first, at most `limit`. */
export function recentDecisionRows(db: Database, before: number | undefined, limit: number): { rows: DecisionListRow[]; nextBefore: number | null } {
  const take = Math.max(1, Math.floor(limit));
  const sql = `
    SELECT d.seq, d.request_id, d.ts, d.task_type, d.phase, d.served_by, d.arm_index, d.arm_id, d.propensity,
      o.reward, o.quality, o.latency_ms, o.tokens_in + o.tokens_out, o.verdict, o.defaulted, o.error
    FROM decisions d LEFT JOIN outcomes o ON o.request_id = d.request_id
    WHERE d.seq < :before ORDER BY d.seq DESC LIMIT ${take + 1}`;
  const found = rows(db, sql, { ':before': before ?? Number.MAX_SAFE_INTEGER }).map(
    (r): DecisionListRow => ({
      seq: n(r[0]),
      requestId: String(r[1]),
      timestamp: n(r[2]),
      taskType: maybeText(r[3]),
      phase: String(r[4]) as RolloutPhase,
      servedBy: String(r[5]) as ServedBy,
      armIndex: n(r[6]),
      armId: String(r[7]),
      propensity: n(r[8]),
      reward: maybeNumber(r[9]),
      quality: maybeNumber(r[10]),
      latencyMs: maybeNumber(r[11]),
      tokens: maybeNumber(r[12]),
      verdict: maybeText(r[13]),
      defaulted: n(r[14]) === 1,
      error: r[15] !== null && r[15] !== undefined,
    }),
  );
  // One row more than asked says whether an older page exists.
  const more = found.length > take;
  const page = more ? found.slice(0, take) : found;
  return { rows: page, nextBefore: more ? (page[page.length - 1]?.seq ?? null) : null };
}

/** A phase change, an SLO incident or a gate look, with the record it was logged as. */
export interface HistoryRow {
  table: 'rollout' | 'incident' | 'gateLook';
  seq: number;
  timestamp: number;
  payload: unknown;
}

/** Rollout events, incidents and gate looks with sequence number below `before`, newest first, at most `limit`. */
export function historyRows(db: Database, before: number | undefined, limit: number): { rows: HistoryRow[]; nextBefore: number | null } {
  const take = Math.max(1, Math.floor(limit));
  const sql = `
    SELECT 'rollout', seq, ts, payload FROM rollout_events WHERE seq < :before
    UNION ALL SELECT 'incident', seq, ts, payload FROM slo_incidents WHERE seq < :before
    UNION ALL SELECT 'gateLook', seq, ts, payload FROM gate_looks WHERE seq < :before
    ORDER BY 2 DESC LIMIT ${take + 1}`;
  const found = rows(db, sql, { ':before': before ?? Number.MAX_SAFE_INTEGER }).map(
    (r): HistoryRow => ({ table: String(r[0]) as HistoryRow['table'], seq: n(r[1]), timestamp: n(r[2]), payload: JSON.parse(String(r[3])) as unknown }),
  );
  const more = found.length > take;
  const page = more ? found.slice(0, take) : found;
  return { rows: page, nextBefore: more ? (page[page.length - 1]?.seq ?? null) : null };
}

/** The newest `limit` decisions that have a reward, oldest first (off-policy evaluation's input). */
export function newestRewardedRows(db: Database, limit: number): SqlValue[][] {
  const take = Math.max(1, Math.floor(limit));
  return rows(db, `SELECT * FROM (${loggedSelect} WHERE o.reward IS NOT NULL ORDER BY d.seq DESC LIMIT ${take}) ORDER BY 1`);
}

/** Outcomes ever stored: raw rows plus those folded into summaries. */
export function outcomeCount(db: Database): number {
  return n(rows(db, 'SELECT (SELECT COUNT(*) FROM outcomes) + (SELECT TOTAL(outcomes) FROM decision_summaries)')[0]?.[0]);
}
