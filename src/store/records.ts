// Turns records into rows and rows back into records, losslessly: optional fields absent from a
// record are NULL in its row and absent again when read back; number vectors are stored as
// little-endian float64 BLOBs (exact, and a third of their JSON size).
import type { Database, SqlValue, Statement } from 'sql.js';
import type { Decision, FinishReason, Outcome, ParameterName, RewardReport, RolloutPhase, ServedBy, TaskType, Verdict } from '../core/types';
import { applyRetention } from './retention';
import type { RetentionReport } from './retention';
import type { BudgetEventRecord, CheckpointRecord, GateLookRecord, LoggedDecision, OutcomeRecord, PolicySnapshotRecord, RolloutEventRecord, SloIncidentRecord, StoreEvent, WaiverRecord } from './events';

export function packFloats(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float64Array.from(values).buffer);
}

export function unpackFloats(blob: SqlValue): number[] {
  if (!(blob instanceof Uint8Array) || blob.byteLength % 8 !== 0) return [];
  // Copy: the BLOB's offset inside the wasm heap need not be 8-byte aligned.
  return Array.from(new Float64Array(blob.slice().buffer));
}

const jsonOrNull = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/**
 * Checks the fields a decision cannot be stored without, so that a malformed record is refused at
 * `append` (before it reaches the journal) instead of failing at replay.
 */
export function checkDecision(d: Decision): void {
  if (typeof d.requestId !== 'string' || d.requestId.length === 0) throw new TypeError('decision.requestId must be a non-empty string');
  for (const key of ['timestamp', 'armIndex', 'propensity', 'policyVersion', 'baselineArmIndex'] as const) {
    if (typeof d[key] !== 'number' || !Number.isFinite(d[key])) throw new TypeError(`decision.${key} must be a finite number (request ${d.requestId})`);
  }
  for (const key of ['armId', 'policyId', 'phase', 'servedBy', 'contextFingerprint'] as const) {
    if (typeof d[key] !== 'string') throw new TypeError(`decision.${key} must be a string (request ${d.requestId})`);
  }
  if (!Array.isArray(d.probabilities) || !Array.isArray(d.contextFeatures) || !Array.isArray(d.featureNames)) {
    throw new TypeError(`decision.probabilities, contextFeatures and featureNames must be arrays (request ${d.requestId})`);
  }
  if (d.eligibleArms !== undefined) {
    const arms: unknown = d.eligibleArms;
    const ascending = Array.isArray(arms) && arms.every((a, i) => Number.isInteger(a) && (a as number) >= 0 && (i === 0 || (a as number) > (arms[i - 1] as number)));
    if (!ascending) throw new TypeError(`decision.eligibleArms must be ascending arm indices (request ${d.requestId})`);
  }
  if (d.sessionKey !== undefined && typeof d.sessionKey !== 'string') throw new TypeError(`decision.sessionKey must be a string (request ${d.requestId})`);
}

export function checkOutcome(o: Outcome): void {
  if (typeof o.requestId !== 'string' || o.requestId.length === 0) throw new TypeError('outcome.requestId must be a non-empty string');
  for (const key of ['timestamp', 'latencyMs', 'tokensIn', 'tokensOut', 'quality'] as const) {
    if (typeof o[key] !== 'number' || !Number.isFinite(o[key])) throw new TypeError(`outcome.${key} must be a finite number (request ${o.requestId})`);
  }
  if (typeof o.finishReason !== 'string') throw new TypeError(`outcome.finishReason must be a string (request ${o.requestId})`);
}

/**
 * Thrown when an event would replace a decision or an outcome already stored under its request id:
 * at append (nothing is journaled), and at replay for a journal written before duplicates were
 * refused (the event stays in the journal; the stored record is kept).
 */
export class DuplicateRequestError extends Error {
  constructor(
    readonly requestId: string,
    readonly kind: 'decision' | 'outcome',
    /** Sequence number of the event that stored the existing record. */
    readonly existingSeq: number,
  ) {
    super(`request id '${requestId}' already has ${kind === 'decision' ? 'a decision' : 'an outcome'} in the store (event ${existingSeq}); a stored ${kind} is never replaced`);
    this.name = 'DuplicateRequestError';
  }
}

const decisionColumns = `seq, request_id, ts, policy_id, policy_version, phase, served_by, arm_index, arm_id,
  baseline_arm_index, propensity, probabilities, params, honoured_params, dropped_params, feature_set,
  context_features, context_fingerprint, shadow, waivers, prompt_text, eligible_arms, session_key, task_type, random_stream,
  model_used`;
const outcomeColumns = `request_id, seq, ts, latency_ms, ttft_ms, tokens_in, tokens_out, finish_reason, error, quality,
  verdict, rating, cost, defaulted, reward, violations`;

/** The prepared statements that write events; re-created whenever the database is replaced. */
export class EventWriter {
  private readonly statements: Statement[] = [];
  private readonly insertDecision: Statement;
  private readonly insertOutcome: Statement;
  private readonly insertPolicySnapshot: Statement;
  private readonly insertRolloutEvent: Statement;
  private readonly insertBudgetEvent: Statement;
  private readonly upsertWaiver: Statement;
  private readonly insertSloIncident: Statement;
  private readonly insertGateLook: Statement;
  private readonly upsertCheckpoint: Statement;
  private readonly insertFeatureSet: Statement;
  private readonly decisionSeq: Statement;
  private readonly outcomeSeq: Statement;
  private readonly featureSets = new Map<string, number>();
  private readonly featureSetsByArray = new WeakMap<readonly string[], number>();
  /** What the last retention event applied did. */
  lastRetention: RetentionReport = { summarisedDecisions: 0, summarisedOutcomes: 0 };

  constructor(private readonly db: Database) {
    const prepare = (sql: string): Statement => {
      const statement = db.prepare(sql);
      this.statements.push(statement);
      return statement;
    };
    // Decisions and outcomes are never replaced: a conflict is either the same event replayed (the
    // same sequence number: nothing to do) or a second record for the request id (an error).
    this.insertDecision = prepare(`INSERT OR IGNORE INTO decisions (${decisionColumns}) VALUES (${Array(26).fill('?').join(',')})`);
    this.insertOutcome = prepare(`INSERT OR IGNORE INTO outcomes (${outcomeColumns}) VALUES (${Array(16).fill('?').join(',')})`);
    this.insertPolicySnapshot = prepare('INSERT OR REPLACE INTO policy_snapshots (seq, ts, policy_id, policy_version, phase, payload) VALUES (?,?,?,?,?,?)');
    this.insertRolloutEvent = prepare('INSERT OR REPLACE INTO rollout_events (seq, ts, kind, policy_id, from_phase, to_phase, payload) VALUES (?,?,?,?,?,?,?)');
    this.insertBudgetEvent = prepare('INSERT OR REPLACE INTO budget_events (seq, ts, kind, task_type, tokens, hash, prev_hash, payload) VALUES (?,?,?,?,?,?,?,?)');
    this.upsertWaiver = prepare('INSERT OR REPLACE INTO waivers (waiver_id, seq, ts, status, expires_at, payload) VALUES (?,?,?,?,?,?)');
    this.insertSloIncident = prepare('INSERT OR REPLACE INTO slo_incidents (seq, ts, policy_id, phase, metric, payload) VALUES (?,?,?,?,?,?)');
    this.insertGateLook = prepare('INSERT OR REPLACE INTO gate_looks (seq, ts, phase, kind, passed, payload) VALUES (?,?,?,?,?,?)');
    this.upsertCheckpoint = prepare('INSERT OR REPLACE INTO checkpoints (slot, seq, ts, payload) VALUES (?,?,?,?)');
    this.insertFeatureSet = prepare('INSERT INTO feature_sets (names) VALUES (?)');
    this.decisionSeq = prepare('SELECT seq FROM decisions WHERE request_id = ?');
    this.outcomeSeq = prepare('SELECT seq FROM outcomes WHERE request_id = ?');
    for (const row of db.exec('SELECT id, names FROM feature_sets')[0]?.values ?? []) {
      this.featureSets.set(String(row[1]), Number(row[0]));
    }
  }

  private featureSetId(names: readonly string[]): number {
    // Producers usually pass the same names array every time: skip re-serialising it.
    const cached = this.featureSetsByArray.get(names);
    if (cached !== undefined) return cached;
    const id = this.featureSetIdByKey(names);
    this.featureSetsByArray.set(names, id);
    return id;
  }

  private featureSetIdByKey(names: readonly string[]): number {
    const key = JSON.stringify(names);
    let id = this.featureSets.get(key);
    if (id === undefined) {
      this.insertFeatureSet.run([key]);
      id = Number(this.db.exec('SELECT last_insert_rowid()')[0]?.values[0]?.[0]);
      this.featureSets.set(key, id);
    }
    return id;
  }

  /** Sequence number of the event that stored the decision (or outcome) for `requestId`, if any. */
  storedSeq(kind: 'decision' | 'outcome', requestId: string): number | undefined {
    const statement = kind === 'decision' ? this.decisionSeq : this.outcomeSeq;
    try {
      statement.bind([requestId]);
      return statement.step() ? Number(statement.get()[0]) : undefined;
    } finally {
      statement.reset();
    }
  }

  /** After an INSERT OR IGNORE: a skipped row is the same event replayed, or a duplicate (thrown). */
  private checkInserted(kind: 'decision' | 'outcome', requestId: string, seq: number): void {
    if (this.db.getRowsModified() > 0) return;
    const existing = this.storedSeq(kind, requestId);
    if (existing === seq) return;
    if (existing !== undefined) throw new DuplicateRequestError(requestId, kind, existing);
    throw new Error(`event ${seq} conflicts with another ${kind} stored under the same sequence number`);
  }

  /**
   * Writes one event (inside the caller's transaction). Idempotent by sequence number: applying the
   * same event again changes nothing. A second decision or outcome for a request id is refused
   * with a DuplicateRequestError.
   */
  apply(seq: number, event: StoreEvent): void {
    switch (event.type) {
      case 'decision': {
        const d = event.record;
        this.insertDecision.run([
          seq, d.requestId, d.timestamp, d.policyId, d.policyVersion, d.phase, d.servedBy, d.armIndex, d.armId,
          d.baselineArmIndex, d.propensity, packFloats(d.probabilities), JSON.stringify(d.params), jsonOrNull(d.honouredParams),
          jsonOrNull(d.droppedParams), this.featureSetId(d.featureNames), packFloats(d.contextFeatures), d.contextFingerprint,
          jsonOrNull(d.shadow), jsonOrNull(d.waivers), orNull(d.promptText), jsonOrNull(d.eligibleArms), orNull(d.sessionKey),
          orNull(d.taskType), orNull(d.randomStream), orNull(d.modelUsed),
        ]);
        this.checkInserted('decision', d.requestId, seq);
        return;
      }
      case 'outcome': {
        const { outcome: o, reward } = event.record;
        this.insertOutcome.run([
          o.requestId, seq, o.timestamp, o.latencyMs, orNull(o.timeToFirstTokenMs), o.tokensIn, o.tokensOut, o.finishReason,
          orNull(o.error), o.quality, orNull(o.verdict), orNull(o.rating), orNull(o.cost),
          o.defaulted === undefined ? null : o.defaulted ? 1 : 0, reward === undefined ? null : reward.reward,
          reward === undefined ? null : JSON.stringify(reward.violations),
        ]);
        this.checkInserted('outcome', o.requestId, seq);
        return;
      }
      case 'policySnapshot': {
        const r: PolicySnapshotRecord = event.record;
        this.insertPolicySnapshot.run([seq, r.timestamp, r.policyId, r.policyVersion, orNull(r.phase), JSON.stringify(r.payload ?? null)]);
        return;
      }
      case 'rolloutEvent': {
        const r: RolloutEventRecord = event.record;
        this.insertRolloutEvent.run([seq, r.timestamp, r.kind, orNull(r.policyId), orNull(r.fromPhase), orNull(r.toPhase), JSON.stringify(r.payload ?? null)]);
        return;
      }
      case 'budgetEvent': {
        const r: BudgetEventRecord = event.record;
        this.insertBudgetEvent.run([seq, r.timestamp, r.kind, orNull(r.taskType), orNull(r.tokens), orNull(r.hash), orNull(r.prevHash), JSON.stringify(r.payload ?? null)]);
        return;
      }
      case 'waiver': {
        const r: WaiverRecord = event.record;
        this.upsertWaiver.run([r.waiverId, seq, r.timestamp, r.status, orNull(r.expiresAt), JSON.stringify(r.payload ?? null)]);
        return;
      }
      case 'checkpoint': {
        const r: CheckpointRecord = event.record;
        this.upsertCheckpoint.run([r.slot, seq, r.timestamp, JSON.stringify(r.payload ?? null)]);
        return;
      }
      case 'gateLook': {
        const r: GateLookRecord = event.record;
        this.insertGateLook.run([seq, r.timestamp, r.phase, r.kind, r.passed === undefined ? null : r.passed ? 1 : 0, JSON.stringify(r.payload ?? null)]);
        return;
      }
      case 'sloIncident': {
        const r: SloIncidentRecord = event.record;
        this.insertSloIncident.run([seq, r.timestamp, orNull(r.policyId), orNull(r.phase), r.metric, JSON.stringify(r.payload ?? null)]);
        return;
      }
      case 'retention': {
        const { timestamp, ...settings } = event.record;
        this.lastRetention = applyRetention(this.db, settings, timestamp, false);
        return;
      }
      case 'unitBegin':
      case 'unitCommit':
        // Markers of the journal (which events replay together); nothing to store.
        return;
    }
  }

  free(): void {
    for (const statement of this.statements) statement.free();
    this.statements.length = 0;
  }
}

/** The outcome columns as `loggedSelect` reads them, from `o.request_id` on. */
export const outcomeSelectColumns = `o.request_id, o.ts, o.latency_ms, o.ttft_ms, o.tokens_in, o.tokens_out, o.finish_reason, o.error,
  o.quality, o.verdict, o.rating, o.cost, o.defaulted, o.reward, o.violations`;

/** Columns of the decision ⟕ outcome join that `rowToLogged` reads, in its order. */
export const loggedSelect = `SELECT d.seq, d.request_id, d.ts, d.policy_id, d.policy_version, d.phase, d.served_by, d.arm_index,
  d.arm_id, d.baseline_arm_index, d.propensity, d.probabilities, d.params, d.honoured_params, d.dropped_params,
  f.names, d.context_features, d.context_fingerprint, d.shadow, d.waivers, d.prompt_text,
  ${outcomeSelectColumns}, d.eligible_arms, d.session_key, d.task_type,
  d.random_stream, d.model_used
FROM decisions d JOIN feature_sets f ON f.id = d.feature_set LEFT JOIN outcomes o ON o.request_id = d.request_id`;

const num = (v: SqlValue | undefined): number => Number(v);
const str = (v: SqlValue | undefined): string => String(v);
const parse = <T>(v: SqlValue | undefined): T => JSON.parse(String(v)) as T;

/** Rebuilds a decision with its outcome from one row of `loggedSelect`. */
export function rowToLogged(row: SqlValue[]): { seq: number; logged: LoggedDecision } {
  const decision: Decision = {
    requestId: str(row[1]),
    timestamp: num(row[2]),
    contextFeatures: unpackFloats(row[16] ?? null),
    featureNames: parse<string[]>(row[15]),
    contextFingerprint: str(row[17]),
    armIndex: num(row[7]),
    armId: str(row[8]),
    params: parse<Decision['params']>(row[12]),
    propensity: num(row[10]),
    probabilities: unpackFloats(row[11] ?? null),
    policyId: str(row[3]),
    policyVersion: num(row[4]),
    phase: str(row[5]) as RolloutPhase,
    servedBy: str(row[6]) as ServedBy,
    baselineArmIndex: num(row[9]),
  };
  if (row[18] !== null && row[18] !== undefined) decision.shadow = parse<NonNullable<Decision['shadow']>>(row[18]);
  if (row[13] !== null && row[13] !== undefined) decision.honouredParams = parse<ParameterName[]>(row[13]);
  if (row[14] !== null && row[14] !== undefined) decision.droppedParams = parse<ParameterName[]>(row[14]);
  if (row[19] !== null && row[19] !== undefined) decision.waivers = parse<string[]>(row[19]);
  if (row[36] !== null && row[36] !== undefined) decision.eligibleArms = parse<number[]>(row[36]);
  if (row[37] !== null && row[37] !== undefined) decision.sessionKey = str(row[37]);
  if (row[38] !== null && row[38] !== undefined) decision.taskType = str(row[38]) as TaskType;
  if (row[39] !== null && row[39] !== undefined) decision.randomStream = num(row[39]);
  if (row[40] !== null && row[40] !== undefined) decision.modelUsed = str(row[40]);
  if (row[20] !== null && row[20] !== undefined) decision.promptText = str(row[20]);
  const logged: LoggedDecision = { decision };
  if (row[21] !== null && row[21] !== undefined) {
    const { outcome, reward } = rowToOutcome(row, 21);
    logged.outcome = outcome;
    if (reward) logged.reward = reward;
  }
  return { seq: num(row[0]), logged };
}

export type { OutcomeRecord };

/** An outcome (and its reward when scored) from the columns of `outcomeSelectColumns`, starting at `at`. */
export function rowToOutcome(row: SqlValue[], at: number): { outcome: Outcome; reward?: RewardReport } {
  const c = (i: number): SqlValue | undefined => row[at + i];
  const outcome: Outcome = {
    requestId: str(c(0)),
    timestamp: num(c(1)),
    latencyMs: num(c(2)),
    tokensIn: num(c(4)),
    tokensOut: num(c(5)),
    finishReason: str(c(6)) as FinishReason,
    quality: num(c(8)),
  };
  if (c(3) !== null) outcome.timeToFirstTokenMs = num(c(3));
  if (c(7) !== null) outcome.error = str(c(7));
  if (c(9) !== null) outcome.verdict = str(c(9)) as Verdict;
  if (c(10) !== null) outcome.rating = num(c(10));
  if (c(11) !== null) outcome.cost = num(c(11));
  if (c(12) !== null) outcome.defaulted = num(c(12)) === 1;
  if (c(13) === null || c(13) === undefined) return { outcome };
  return { outcome, reward: { reward: num(c(13)), violations: c(14) === null ? [] : parse<string[]>(c(14)) } };
}
