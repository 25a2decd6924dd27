// The database schema, as a list of forward migrations. The schema version lives in
// PRAGMA user_version; migration i takes a database from version i to version i + 1. A database
// whose version is above `schemaVersion` was written by a newer Paramloop and is refused, untouched.
import type { Database } from 'sql.js';

/**
 * Version 1: one row per decision and per outcome, with the columns the dashboard, gates and OPE
 * filter on; records whose exact shape belongs to other modules (policy snapshots, rollout events,
 * budget events and waivers, SLO incidents) as typed rows: indexed columns plus a JSON payload.
 */
const v1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE feature_sets (id INTEGER PRIMARY KEY, names TEXT NOT NULL UNIQUE);
CREATE TABLE decisions (
  seq INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL UNIQUE,
  ts INTEGER NOT NULL,
  policy_id TEXT NOT NULL,
  policy_version INTEGER NOT NULL,
  phase TEXT NOT NULL,
  served_by TEXT NOT NULL,
  arm_index INTEGER NOT NULL,
  arm_id TEXT NOT NULL,
  baseline_arm_index INTEGER NOT NULL,
  propensity REAL NOT NULL,
  probabilities BLOB NOT NULL,
  params TEXT NOT NULL,
  honoured_params TEXT,
  dropped_params TEXT,
  feature_set INTEGER NOT NULL REFERENCES feature_sets(id),
  context_features BLOB NOT NULL,
  context_fingerprint TEXT NOT NULL,
  shadow TEXT,
  waivers TEXT,
  prompt_text TEXT
);
CREATE INDEX decisions_ts ON decisions(ts);
CREATE TABLE outcomes (
  request_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  ttft_ms REAL,
  tokens_in INTEGER NOT NULL,
  tokens_out INTEGER NOT NULL,
  finish_reason TEXT NOT NULL,
  error TEXT,
  quality REAL NOT NULL,
  verdict TEXT,
  rating REAL,
  cost REAL,
  defaulted INTEGER,
  reward REAL,
  violations TEXT
) WITHOUT ROWID;
CREATE TABLE policy_snapshots (
  seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, policy_id TEXT NOT NULL, policy_version INTEGER NOT NULL,
  phase TEXT, payload TEXT NOT NULL
);
CREATE INDEX policy_snapshots_policy ON policy_snapshots(policy_id, policy_version);
CREATE TABLE rollout_events (
  seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL, policy_id TEXT,
  from_phase TEXT, to_phase TEXT, payload TEXT NOT NULL
);
CREATE INDEX rollout_events_ts ON rollout_events(ts);
CREATE TABLE budget_events (
  seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL, task_type TEXT, tokens INTEGER,
  hash TEXT, prev_hash TEXT, payload TEXT NOT NULL
);
CREATE INDEX budget_events_ts ON budget_events(ts);
CREATE TABLE waivers (
  waiver_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, ts INTEGER NOT NULL, status TEXT NOT NULL,
  expires_at INTEGER, payload TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE slo_incidents (
  seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, policy_id TEXT, phase TEXT, metric TEXT NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX slo_incidents_ts ON slo_incidents(ts);
`;

/**
 * Version 2: retention. Rows older than the retention window are folded into per day / policy /
 * phase / arm summaries (counts and sums, so means and variances stay computable), and the dashboard
 * queries filter decisions by policy and phase over time, which the new index serves.
 */
const v2 = `
CREATE TABLE decision_summaries (
  day INTEGER NOT NULL,
  policy_id TEXT NOT NULL,
  policy_version INTEGER NOT NULL,
  phase TEXT NOT NULL,
  served_by TEXT NOT NULL,
  arm_index INTEGER NOT NULL,
  decisions INTEGER NOT NULL,
  outcomes INTEGER NOT NULL,
  rewarded INTEGER NOT NULL,
  reward_sum REAL NOT NULL,
  reward_sq_sum REAL NOT NULL,
  quality_sum REAL NOT NULL,
  latency_sum REAL NOT NULL,
  tokens_in_sum INTEGER NOT NULL,
  tokens_out_sum INTEGER NOT NULL,
  PRIMARY KEY (day, policy_id, policy_version, phase, served_by, arm_index)
) WITHOUT ROWID;
CREATE INDEX decisions_policy_phase_ts ON decisions(policy_id, phase, ts);
`;

/**
 * Version 3: two optional decision fields. `eligible_arms` is the budget's eligibility mask as a
 * JSON array of ascending arm indices (NULL: every arm was eligible), so that off-policy evaluation
 * can score a candidate under the mask the logger had; `session_key` is the sticky split's traffic
 * key, so that interval estimates can resample whole sessions. Older rows keep NULL in both, which
 * reads back as the fields being absent.
 */
const v3 = `
ALTER TABLE decisions ADD COLUMN eligible_arms TEXT;
ALTER TABLE decisions ADD COLUMN session_key TEXT;
`;

/**
 * Version 4: what restores the optimizer exactly from its log. Three optional decision fields:
 * `task_type` (the planning command; budgets are per task type), `random_stream` (the index of the
 * random stream the decision drew from, so a restored optimizer continues after it) and
 * `model_used` (the model the provider actually used). And the promotion gate's runs, one row each
 * (its verdict, or a drift check while promotion is paused), which its bookkeeping is rebuilt from.
 * Outcomes get an index on their sequence number: restoring reads the events after a checkpoint.
 * Checkpoints (the optimizer's whole state, hundreds of kilobytes each) live in named slots that a
 * new one replaces, so the log keeps a handful of them, not one per few hundred outcomes.
 */
const v4 = `
ALTER TABLE decisions ADD COLUMN task_type TEXT;
ALTER TABLE decisions ADD COLUMN random_stream INTEGER;
ALTER TABLE decisions ADD COLUMN model_used TEXT;
CREATE TABLE gate_looks (
  seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, phase TEXT NOT NULL, kind TEXT NOT NULL, passed INTEGER,
  payload TEXT NOT NULL
);
CREATE INDEX gate_looks_ts ON gate_looks(ts);
CREATE INDEX outcomes_seq ON outcomes(seq);
CREATE TABLE checkpoints (slot TEXT PRIMARY KEY, seq INTEGER NOT NULL, ts INTEGER NOT NULL, payload TEXT NOT NULL) WITHOUT ROWID;
`;

/**
 * Version 5: the dashboard's rollup. The raw decisions (not those folded into summaries) counted
 * per period × served-by × arm at two grains, the hour (3,600,000 ms) and the UTC day (86,400,000
 * ms), with their outcomes' counts, sums and sums of squares, so that buckets whose width is a whole
 * number of periods are a re-aggregation of rollup rows instead of a join over the whole log
 * (rollup.ts). Triggers keep it in the transaction of each insert, wherever rows come from (the
 * write path, journal replay, the snapshot worker, imports): an outcome lands in its decision's
 * cell whenever it arrives, and a decision finds an outcome stored before it. Retention rebuilds
 * the periods it touches from the rows it keeps (retention.ts). Decisions outside [0, 2^53) ms are
 * left out (their windows are scanned raw). The migration builds the rollup of the rows already
 * there, in the migration's transaction: the hours from the rows, the days from the hours (half the
 * time of grouping the rows twice; about 2 s at 300k decisions, once).
 */
const v5 = `
CREATE TABLE decision_rollup (
  grain INTEGER NOT NULL,
  period INTEGER NOT NULL,
  served_by TEXT NOT NULL,
  arm_index INTEGER NOT NULL,
  decisions INTEGER NOT NULL,
  outcomes INTEGER NOT NULL,
  rewarded INTEGER NOT NULL,
  reward_sum REAL NOT NULL,
  reward_sq_sum REAL NOT NULL,
  quality_sum REAL NOT NULL,
  latency_sum REAL NOT NULL,
  tokens_sum REAL NOT NULL,
  PRIMARY KEY (grain, period, served_by, arm_index)
) WITHOUT ROWID;
CREATE TRIGGER decision_rollup_decision AFTER INSERT ON decisions WHEN NEW.ts >= 0 AND NEW.ts < 9007199254740992 BEGIN
  INSERT INTO decision_rollup (grain, period, served_by, arm_index, decisions, outcomes, rewarded, reward_sum, reward_sq_sum, quality_sum, latency_sum, tokens_sum)
  SELECT g.column1, (CAST(NEW.ts AS INTEGER) / g.column1) * g.column1, NEW.served_by, NEW.arm_index, 1, o.request_id IS NOT NULL, o.reward IS NOT NULL,
    COALESCE(o.reward, 0), COALESCE(o.reward * o.reward, 0), COALESCE(o.quality, 0), COALESCE(o.latency_ms, 0), COALESCE(o.tokens_in + o.tokens_out, 0)
  FROM (VALUES (3600000), (86400000)) g LEFT JOIN outcomes o ON o.request_id = NEW.request_id
  WHERE true
  ON CONFLICT (grain, period, served_by, arm_index) DO UPDATE SET
    decisions = decisions + excluded.decisions, outcomes = outcomes + excluded.outcomes, rewarded = rewarded + excluded.rewarded,
    reward_sum = reward_sum + excluded.reward_sum, reward_sq_sum = reward_sq_sum + excluded.reward_sq_sum, quality_sum = quality_sum + excluded.quality_sum,
    latency_sum = latency_sum + excluded.latency_sum, tokens_sum = tokens_sum + excluded.tokens_sum;
END;
CREATE TRIGGER decision_rollup_outcome AFTER INSERT ON outcomes BEGIN
  INSERT INTO decision_rollup (grain, period, served_by, arm_index, decisions, outcomes, rewarded, reward_sum, reward_sq_sum, quality_sum, latency_sum, tokens_sum)
  SELECT g.column1, (CAST(d.ts AS INTEGER) / g.column1) * g.column1, d.served_by, d.arm_index, 0, 1, NEW.reward IS NOT NULL,
    COALESCE(NEW.reward, 0), COALESCE(NEW.reward * NEW.reward, 0), NEW.quality, NEW.latency_ms, NEW.tokens_in + NEW.tokens_out
  FROM decisions d CROSS JOIN (VALUES (3600000), (86400000)) g
  WHERE d.request_id = NEW.request_id AND d.ts >= 0 AND d.ts < 9007199254740992
  ON CONFLICT (grain, period, served_by, arm_index) DO UPDATE SET
    decisions = decisions + excluded.decisions, outcomes = outcomes + excluded.outcomes, rewarded = rewarded + excluded.rewarded,
    reward_sum = reward_sum + excluded.reward_sum, reward_sq_sum = reward_sq_sum + excluded.reward_sq_sum, quality_sum = quality_sum + excluded.quality_sum,
    latency_sum = latency_sum + excluded.latency_sum, tokens_sum = tokens_sum + excluded.tokens_sum;
END;
INSERT INTO decision_rollup (grain, period, served_by, arm_index, decisions, outcomes, rewarded, reward_sum, reward_sq_sum, quality_sum, latency_sum, tokens_sum)
SELECT 3600000, (CAST(d.ts AS INTEGER) / 3600000) * 3600000, d.served_by, d.arm_index, COUNT(*), COUNT(o.request_id), COUNT(o.reward),
  TOTAL(o.reward), TOTAL(o.reward * o.reward), TOTAL(o.quality), TOTAL(o.latency_ms), TOTAL(o.tokens_in + o.tokens_out)
FROM decisions d LEFT JOIN outcomes o ON o.request_id = d.request_id
WHERE d.ts >= 0 AND d.ts < 9007199254740992
GROUP BY 1, 2, 3, 4;
INSERT INTO decision_rollup (grain, period, served_by, arm_index, decisions, outcomes, rewarded, reward_sum, reward_sq_sum, quality_sum, latency_sum, tokens_sum)
SELECT 86400000, (period / 86400000) * 86400000, served_by, arm_index, SUM(decisions), SUM(outcomes), SUM(rewarded),
  TOTAL(reward_sum), TOTAL(reward_sq_sum), TOTAL(quality_sum), TOTAL(latency_sum), TOTAL(tokens_sum)
FROM decision_rollup WHERE grain = 3600000
GROUP BY 1, 2, 3, 4;
`;

/** Migration i brings a database from version i to i + 1 (index 0 creates version 1). */
export const migrations: readonly string[] = [v1, v2, v3, v4, v5];

/** The schema version this code writes. */
export const schemaVersion = migrations.length;

/** Reads PRAGMA user_version (0 for a database no Paramloop version has initialised). */
export function readSchemaVersion(db: Database): number {
  const result = db.exec('PRAGMA user_version');
  const value = result[0]?.values[0]?.[0];
  return typeof value === 'number' ? value : 0;
}

/** Thrown when the database or journal was written by a newer schema than this code knows. */
export class StoreVersionError extends Error {
  constructor(
    readonly found: number,
    readonly supported: number,
    where: string,
  ) {
    super(
      `${where} was written by a newer Paramloop (schema version ${found}; this version reads up to ${supported}). ` +
        'Update Paramloop to open it; nothing was changed.',
    );
    this.name = 'StoreVersionError';
  }
}

/**
 * Runs the forward migrations from the database's version up to `target` (default: the current
 * version) in one transaction. Returns the versions it went through, e.g. [2] for a v1 database.
 */
export function migrate(db: Database, target = schemaVersion): number[] {
  const from = readSchemaVersion(db);
  if (from > schemaVersion) throw new StoreVersionError(from, schemaVersion, 'The database');
  const applied: number[] = [];
  if (from >= target) return applied;
  db.exec('BEGIN');
  try {
    for (let version = from; version < target; version++) {
      const step = migrations[version];
      if (step === undefined) throw new Error(`no migration from schema version ${version}`);
      db.exec(step);
      applied.push(version + 1);
    }
    db.exec(`PRAGMA user_version = ${target}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
  return applied;
}
