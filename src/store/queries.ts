// Aggregates for the dashboard and the gates, computed in SQL so that no query pulls every row into
// JavaScript. Each query covers the raw rows and, where the figure survives summarising, the
// retention summaries too (those have one-day resolution).
import type { Database, SqlValue } from 'sql.js';
import type { RolloutPhase, ServedBy } from '../core/types';

/** Time window and filters shared by the queries; all optional. Times in ms since the epoch. */
export interface QueryFilter {
  since?: number;
  until?: number;
  policyId?: string;
  phase?: RolloutPhase;
}

/** Mean reward in one time bucket for one policy in one phase. */
export interface RewardBucket {
  bucketStart: number;
  policyId: string;
  phase: RolloutPhase;
  decisions: number;
  /** Outcomes that carry a reward. */
  rewarded: number;
  rewardSum: number;
  rewardMean: number | null;
}

/** How often each arm was served. */
export interface ArmShare {
  armIndex: number;
  decisions: number;
  share: number;
}

/** Per-arm means of the objectives (the Pareto front's coordinates). */
export interface ArmObjectives {
  armIndex: number;
  outcomes: number;
  qualityMean: number;
  latencyMeanMs: number;
  tokensMean: number;
  rewardMean: number | null;
}

/** Decisions and outcomes per phase and served-by. */
export interface PhaseCount {
  phase: RolloutPhase;
  servedBy: ServedBy;
  decisions: number;
  outcomes: number;
}

function where(filter: QueryFilter, alias: string, timeColumn: string): { sql: string; params: Record<string, SqlValue> } {
  const clauses: string[] = [];
  const params: Record<string, SqlValue> = {};
  if (filter.since !== undefined) {
    clauses.push(`${alias}.${timeColumn} >= :since`);
    params[':since'] = filter.since;
  }
  if (filter.until !== undefined) {
    clauses.push(`${alias}.${timeColumn} < :until`);
    params[':until'] = filter.until;
  }
  if (filter.policyId !== undefined) {
    clauses.push(`${alias}.policy_id = :policy`);
    params[':policy'] = filter.policyId;
  }
  if (filter.phase !== undefined) {
    clauses.push(`${alias}.phase = :phase`);
    params[':phase'] = filter.phase;
  }
  return { sql: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, params };
}

function rows(db: Database, sql: string, params: Record<string, SqlValue>): SqlValue[][] {
  return db.exec(sql, params)[0]?.values ?? [];
}

const n = (v: SqlValue | undefined): number => Number(v ?? 0);

/**
 * Reward per time bucket by policy and phase. `bucketMs` should divide a day (or be a multiple of
 * one) for summarised history to fall into the right bucket: summaries sit at their day's start.
 */
export function rewardByBucket(db: Database, bucketMs: number, filter: QueryFilter = {}): RewardBucket[] {
  const b = Math.max(1, Math.floor(bucketMs));
  const raw = where(filter, 'd', 'ts');
  const summary = where(filter, 's', 'day');
  const sql = `
    SELECT bucket, policy_id, phase, SUM(decisions), SUM(rewarded), TOTAL(reward_sum) FROM (
      SELECT (d.ts / ${b}) * ${b} AS bucket, d.policy_id, d.phase, COUNT(*) AS decisions, COUNT(o.reward) AS rewarded,
        TOTAL(o.reward) AS reward_sum
      FROM decisions d LEFT JOIN outcomes o ON o.request_id = d.request_id ${raw.sql}
      GROUP BY 1, 2, 3
      UNION ALL
      SELECT (s.day / ${b}) * ${b}, s.policy_id, s.phase, SUM(s.decisions), SUM(s.rewarded), TOTAL(s.reward_sum)
      FROM decision_summaries s ${summary.sql}
      GROUP BY 1, 2, 3
    ) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
  return rows(db, sql, { ...raw.params, ...summary.params }).map((r) => {
    const rewarded = n(r[4]);
    const rewardSum = n(r[5]);
    return {
      bucketStart: n(r[0]),
      policyId: String(r[1]),
      phase: String(r[2]) as RolloutPhase,
      decisions: n(r[3]),
      rewarded,
      rewardSum,
      rewardMean: rewarded === 0 ? null : rewardSum / rewarded,
    };
  });
}

/** Share of decisions served by each arm (shares sum to 1 over the arms returned). */
export function armShares(db: Database, filter: QueryFilter = {}): ArmShare[] {
  const raw = where(filter, 'd', 'ts');
  const summary = where(filter, 's', 'day');
  const sql = `
    SELECT arm_index, SUM(c) FROM (
      SELECT d.arm_index, COUNT(*) AS c FROM decisions d ${raw.sql} GROUP BY 1
      UNION ALL
      SELECT s.arm_index, SUM(s.decisions) FROM decision_summaries s ${summary.sql} GROUP BY 1
    ) GROUP BY 1 ORDER BY 1`;
  const counted = rows(db, sql, { ...raw.params, ...summary.params }).map((r) => ({ armIndex: n(r[0]), decisions: n(r[1]) }));
  const total = counted.reduce((sum, c) => sum + c.decisions, 0);
  return counted.map((c) => ({ ...c, share: total === 0 ? 0 : c.decisions / total }));
}

/** Per-arm mean quality, latency, tokens (in + out) and reward over decisions with an outcome. */
export function armObjectives(db: Database, filter: QueryFilter = {}): ArmObjectives[] {
  const raw = where(filter, 'd', 'ts');
  const summary = where(filter, 's', 'day');
  const sql = `
    SELECT arm_index, SUM(outcomes), TOTAL(quality), TOTAL(latency), TOTAL(tokens), SUM(rewarded), TOTAL(reward) FROM (
      SELECT d.arm_index, COUNT(*) AS outcomes, TOTAL(o.quality) AS quality, TOTAL(o.latency_ms) AS latency,
        TOTAL(o.tokens_in + o.tokens_out) AS tokens, COUNT(o.reward) AS rewarded, TOTAL(o.reward) AS reward
      FROM decisions d JOIN outcomes o ON o.request_id = d.request_id ${raw.sql} GROUP BY 1
      UNION ALL
      SELECT s.arm_index, SUM(s.outcomes), TOTAL(s.quality_sum), TOTAL(s.latency_sum), TOTAL(s.tokens_in_sum + s.tokens_out_sum),
        SUM(s.rewarded), TOTAL(s.reward_sum)
      FROM decision_summaries s ${summary.sql} GROUP BY 1
    ) GROUP BY 1 HAVING SUM(outcomes) > 0 ORDER BY 1`;
  return rows(db, sql, { ...raw.params, ...summary.params }).map((r) => {
    const outcomes = n(r[1]);
    const rewarded = n(r[5]);
    return {
      armIndex: n(r[0]),
      outcomes,
      qualityMean: n(r[2]) / outcomes,
      latencyMeanMs: n(r[3]) / outcomes,
      tokensMean: n(r[4]) / outcomes,
      rewardMean: rewarded === 0 ? null : n(r[6]) / rewarded,
    };
  });
}

/** Decisions and outcomes per phase and served-by. */
export function countsByPhase(db: Database, filter: QueryFilter = {}): PhaseCount[] {
  const raw = where(filter, 'd', 'ts');
  const summary = where(filter, 's', 'day');
  const sql = `
    SELECT phase, served_by, SUM(decisions), SUM(outcomes) FROM (
      SELECT d.phase, d.served_by, COUNT(*) AS decisions, COUNT(o.request_id) AS outcomes
      FROM decisions d LEFT JOIN outcomes o ON o.request_id = d.request_id ${raw.sql} GROUP BY 1, 2
      UNION ALL
      SELECT s.phase, s.served_by, SUM(s.decisions), SUM(s.outcomes) FROM decision_summaries s ${summary.sql} GROUP BY 1, 2
    ) GROUP BY 1, 2 ORDER BY 1, 2`;
  return rows(db, sql, { ...raw.params, ...summary.params }).map((r) => ({
    phase: String(r[0]) as RolloutPhase,
    servedBy: String(r[1]) as ServedBy,
    decisions: n(r[2]),
    outcomes: n(r[3]),
  }));
}

/** Raw decisions (not summarised) currently in the store, within `filter` when given. */
export function rawDecisionCount(db: Database, filter: QueryFilter = {}): number {
  const raw = where(filter, 'd', 'ts');
  return n(rows(db, `SELECT COUNT(*) FROM decisions d ${raw.sql}`, raw.params)[0]?.[0]);
}

/** Decisions ever stored: raw rows plus those folded into summaries. */
export function totalDecisionCount(db: Database): number {
  return n(rows(db, 'SELECT (SELECT COUNT(*) FROM decisions) + (SELECT TOTAL(decisions) FROM decision_summaries)', {})[0]?.[0]);
}

