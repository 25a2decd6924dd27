// The dashboard's rollup (schema v5, schema.ts): the raw decisions counted per period × served-by
// × arm at two grains, the hour and the UTC day, with their outcomes' counts, sums and sums of
// squares. SQLite triggers keep it in the transaction of each insert; retention rebuilds the
// periods it touches (retention.ts). A bucketing whose width and start are whole periods of a grain
// re-aggregates the rollup rows of its window (dashboardReads.ts `rollupBucketCells`): rows in
// proportion to periods × served-by × arms instead of decisions, and no join with the outcomes.
import type { Database, SqlValue } from 'sql.js';
import type { Bucketing } from './dashboardReads';

export const hourMs = 3_600_000;
export const dayMs = 86_400_000;

/** The rollup's grains, coarsest first (the periods of a grain are whole periods of the next). */
export const rollupGrains: readonly number[] = [dayMs, hourMs];

/** Decisions with timestamps in [0, rollupTsLimit) are in the rollup (2^53: integers exact in both SQLite and JavaScript). */
export const rollupTsLimit = 2 ** 53;

/**
 * The coarsest grain whose periods tile the bucketing (its start and width whole periods, its
 * window inside the rollup's range), or undefined: the window is scanned raw.
 */
export function rollupGrainFor(bucketing: Bucketing): number | undefined {
  const end = bucketing.start + bucketing.width * bucketing.count;
  if (!(bucketing.start >= 0 && end <= rollupTsLimit && Number.isSafeInteger(bucketing.start) && Number.isSafeInteger(bucketing.width))) return undefined;
  return rollupGrains.find((grain) => bucketing.width % grain === 0 && bucketing.start % grain === 0);
}

/** The rollup's key of decisions row `d` at each grain: grain and period start. */
const periodOf = (ts: string, grain: string): string => `(CAST(${ts} AS INTEGER) / ${grain}) * ${grain}`;
const grainsTable = `(VALUES ${rollupGrains.map((g) => `(${g})`).join(', ')}) g`;
const inRange = (ts: string): string => `${ts} >= 0 AND ${ts} < ${rollupTsLimit}`;

/** SQL: the (grain, period) pairs, so named, of the rollup holding the decisions `d` that match `where`. */
export function touchedRollupPeriods(where: string): string {
  return `SELECT DISTINCT g.column1 AS grain, ${periodOf('d.ts', 'g.column1')} AS period FROM decisions d CROSS JOIN ${grainsTable} WHERE (${where}) AND ${inRange('d.ts')}`;
}

/**
 * SQL: inserts the rollup rows of the periods `periods` (a query of (grain, period) pairs, whose
 * rows must be absent) counted from the decisions `d` that match `keep`.
 */
export function rebuildRollupSql(periods: string, keep: string): string {
  return `
    INSERT INTO decision_rollup (grain, period, served_by, arm_index, decisions, outcomes, rewarded, reward_sum, reward_sq_sum, quality_sum, latency_sum, tokens_sum)
    SELECT t.grain, t.period, d.served_by, d.arm_index, COUNT(*), COUNT(o.request_id), COUNT(o.reward), TOTAL(o.reward), TOTAL(o.reward * o.reward),
      TOTAL(o.quality), TOTAL(o.latency_ms), TOTAL(o.tokens_in + o.tokens_out)
    FROM (${periods}) t JOIN decisions d ON d.ts >= t.period AND d.ts < t.period + t.grain
      LEFT JOIN outcomes o ON o.request_id = d.request_id
    WHERE (${keep}) AND ${inRange('d.ts')}
    GROUP BY 1, 2, 3, 4`;
}

/** One rollup row: its key and its counts and sums. */
export type RollupRow = [grain: number, period: number, servedBy: string, armIndex: number, decisions: number, outcomes: number, rewarded: number, ...sums: number[]];

const rowsOf = (db: Database, sql: string): RollupRow[] => (db.exec(sql)[0]?.values ?? []).map((r: SqlValue[]) => [Number(r[0]), Number(r[1]), String(r[2]), ...r.slice(3).map(Number)] as RollupRow);

/**
 * Where the stored rollup differs from one built afresh from the raw rows: keys missing on either
 * side, counts that differ, sums that differ beyond rounding (relative 1e-9). Empty when it holds.
 */
export function rollupMismatches(db: Database): string[] {
  const columns = 'grain, period, served_by, arm_index, decisions, outcomes, rewarded, reward_sum, reward_sq_sum, quality_sum, latency_sum, tokens_sum';
  const stored = rowsOf(db, `SELECT ${columns} FROM decision_rollup ORDER BY 1, 2, 3, 4`);
  const built = rowsOf(
    db,
    `SELECT g.column1, ${periodOf('d.ts', 'g.column1')}, d.served_by, d.arm_index, COUNT(*), COUNT(o.request_id), COUNT(o.reward),
       TOTAL(o.reward), TOTAL(o.reward * o.reward), TOTAL(o.quality), TOTAL(o.latency_ms), TOTAL(o.tokens_in + o.tokens_out)
     FROM decisions d CROSS JOIN ${grainsTable} LEFT JOIN outcomes o ON o.request_id = d.request_id
     WHERE ${inRange('d.ts')} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  );
  const key = (r: RollupRow): string => `${r[0]}|${r[1]}|${r[2]}|${r[3]}`;
  const byKey = new Map(built.map((r) => [key(r), r]));
  const problems: string[] = [];
  for (const row of stored) {
    const expected = byKey.get(key(row));
    byKey.delete(key(row));
    if (expected === undefined) {
      problems.push(`${key(row)}: stored, but no raw decision falls in it`);
      continue;
    }
    for (let i = 4; i < row.length; i++) {
      const [a, b] = [row[i] as number, expected[i] as number];
      const same = i < 7 ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
      if (!same) problems.push(`${key(row)}: column ${i} is ${a}, the raw rows give ${b}`);
    }
  }
  for (const missing of byKey.keys()) problems.push(`${missing}: missing`);
  return problems;
}
