// Retention: decisions older than `keepDays`, or beyond the newest `keepDecisions`, are folded into
// decision_summaries (per UTC day, policy, version, phase, served-by and arm: counts and sums, so
// means and variances remain computable) and then removed with their outcomes, in one transaction.
// Nothing is removed unless one of the two settings is given, and nothing is removed unsummarised.
// The dashboard's rollup (schema v5) counts raw rows only: the periods that lose rows are rebuilt
// from the rows they keep, in the same transaction, so the rollup stays what building it afresh
// would give (subtracting the folded rows would leave rounding in the sums).
import type { Database } from 'sql.js';
import { dayMs, rebuildRollupSql, touchedRollupPeriods } from './rollup';

export { dayMs };

/** How much raw history the store keeps. Both absent (the default): keep everything. */
export interface RetentionSettings {
  /** Keep decisions whose timestamp is within this many days of now. */
  keepDays?: number;
  /** Keep at most this many of the newest decisions. */
  keepDecisions?: number;
}

/** What a retention pass folded into the summaries. */
export interface RetentionReport {
  summarisedDecisions: number;
  summarisedOutcomes: number;
}

/**
 * Runs one retention pass at time `now` (ms since the epoch), in its own transaction unless
 * `ownTransaction` is false (the caller's transaction then covers it).
 */
export function applyRetention(db: Database, settings: RetentionSettings, now: number, ownTransaction = true): RetentionReport {
  const conditions: string[] = [];
  const params: Record<string, number> = {};
  if (settings.keepDays !== undefined) {
    conditions.push('d.ts < :cutTs');
    params[':cutTs'] = now - settings.keepDays * dayMs;
  }
  if (settings.keepDecisions !== undefined) {
    const row = db.exec('SELECT seq FROM decisions ORDER BY seq DESC LIMIT 1 OFFSET :keep', { ':keep': Math.max(0, Math.floor(settings.keepDecisions)) });
    const cutSeq = row[0]?.values[0]?.[0];
    if (typeof cutSeq === 'number') {
      conditions.push('d.seq <= :cutSeq');
      params[':cutSeq'] = cutSeq;
    }
  }
  if (conditions.length === 0) return { summarisedDecisions: 0, summarisedOutcomes: 0 };
  const expired = conditions.join(' OR ');
  const counted = db.exec(
    `SELECT COUNT(*), COUNT(o.request_id) FROM decisions d LEFT JOIN outcomes o ON o.request_id = d.request_id WHERE ${expired}`,
    params,
  )[0]?.values[0];
  const summarisedDecisions = Number(counted?.[0] ?? 0);
  if (summarisedDecisions === 0) return { summarisedDecisions: 0, summarisedOutcomes: 0 };
  if (ownTransaction) db.exec('BEGIN');
  try {
    db.run(
      `INSERT INTO decision_summaries (day, policy_id, policy_version, phase, served_by, arm_index, decisions, outcomes,
         rewarded, reward_sum, reward_sq_sum, quality_sum, latency_sum, tokens_in_sum, tokens_out_sum)
       SELECT (d.ts / ${dayMs}) * ${dayMs}, d.policy_id, d.policy_version, d.phase, d.served_by, d.arm_index, COUNT(*),
         COUNT(o.request_id), COUNT(o.reward), TOTAL(o.reward), TOTAL(o.reward * o.reward), TOTAL(o.quality),
         TOTAL(o.latency_ms), TOTAL(o.tokens_in), TOTAL(o.tokens_out)
       FROM decisions d LEFT JOIN outcomes o ON o.request_id = d.request_id
       WHERE ${expired}
       GROUP BY 1, 2, 3, 4, 5, 6
       ON CONFLICT (day, policy_id, policy_version, phase, served_by, arm_index) DO UPDATE SET
         decisions = decisions + excluded.decisions, outcomes = outcomes + excluded.outcomes,
         rewarded = rewarded + excluded.rewarded, reward_sum = reward_sum + excluded.reward_sum,
         reward_sq_sum = reward_sq_sum + excluded.reward_sq_sum, quality_sum = quality_sum + excluded.quality_sum,
         latency_sum = latency_sum + excluded.latency_sum, tokens_in_sum = tokens_in_sum + excluded.tokens_in_sum,
         tokens_out_sum = tokens_out_sum + excluded.tokens_out_sum`,
      params,
    );
    // The rollup's periods that lose rows: emptied, then rebuilt from the rows that stay.
    const touched = touchedRollupPeriods(expired);
    db.run(`DELETE FROM decision_rollup WHERE (grain, period) IN (${touched})`, params);
    db.run(rebuildRollupSql(touched, `NOT (${expired})`), params);
    db.run(`DELETE FROM outcomes WHERE request_id IN (SELECT d.request_id FROM decisions d WHERE ${expired})`, params);
    db.run(`DELETE FROM decisions AS d WHERE ${expired}`, params);
    if (ownTransaction) db.exec('COMMIT');
  } catch (error) {
    if (ownTransaction) db.exec('ROLLBACK');
    throw error;
  }
  return { summarisedDecisions, summarisedOutcomes: Number(counted?.[1] ?? 0) };
}
