// Reading the log back as events: every record stored after a sequence number, in the order it was
// appended, as the store event that wrote it. Restoring the optimizer applies them in that order.
import type { Database, SqlValue } from 'sql.js';
import type { RolloutPhase, TaskType } from '../core/types';
import type { BudgetEventRecord, GateLookRecord, PolicySnapshotRecord, RolloutEventRecord, SloIncidentRecord, StoreEvent } from './events';
import { loggedSelect, outcomeSelectColumns, rowToLogged, rowToOutcome } from './records';

/** A stored event with its sequence number. */
export interface SequencedEvent {
  seq: number;
  event: StoreEvent;
}

const parsePayload = (value: SqlValue | undefined): unknown => JSON.parse(String(value));
/** A phase column (written from the core's phase names). */
const phase = (value: SqlValue): RolloutPhase => String(value) as RolloutPhase;
const optional = <T>(value: SqlValue | undefined, read: (v: SqlValue) => T): T | undefined => (value === null || value === undefined ? undefined : read(value));

function rows(db: Database, sql: string, after: number): SqlValue[][] {
  const statement = db.prepare(sql);
  const out: SqlValue[][] = [];
  try {
    statement.bind([after]);
    while (statement.step()) out.push(statement.get());
  } finally {
    statement.free();
  }
  return out;
}

/**
 * Every decision, outcome, rollout event, SLO incident, gate look, waiver change, budget event and
 * policy snapshot stored after sequence number `after`, ordered by sequence number. A waiver is kept
 * as its latest state only (the table holds one row per waiver), which is what applying its changes
 * in order would leave. Retention summaries and units are not events of the optimizer's.
 */
export function storedEventsAfter(db: Database, after: number): SequencedEvent[] {
  const events: SequencedEvent[] = [];
  for (const row of rows(db, `${loggedSelect} WHERE d.seq > ?`, after)) {
    const { seq, logged } = rowToLogged(row);
    events.push({ seq, event: { type: 'decision', record: logged.decision } });
  }
  for (const row of rows(db, `SELECT o.seq, ${outcomeSelectColumns} FROM outcomes o WHERE o.seq > ?`, after)) {
    const { outcome, reward } = rowToOutcome(row, 1);
    events.push({ seq: Number(row[0]), event: { type: 'outcome', record: reward ? { outcome, reward } : { outcome } } });
  }
  for (const row of rows(db, 'SELECT seq, ts, kind, policy_id, from_phase, to_phase, payload FROM rollout_events WHERE seq > ?', after)) {
    const record: RolloutEventRecord = {
      timestamp: Number(row[1]),
      kind: String(row[2]),
      payload: parsePayload(row[6]),
      ...strip({ policyId: optional(row[3], String), fromPhase: optional(row[4], phase), toPhase: optional(row[5], phase) }),
    };
    events.push({ seq: Number(row[0]), event: { type: 'rolloutEvent', record } });
  }
  for (const row of rows(db, 'SELECT seq, ts, policy_id, phase, metric, payload FROM slo_incidents WHERE seq > ?', after)) {
    const record: SloIncidentRecord = { timestamp: Number(row[1]), metric: String(row[4]), payload: parsePayload(row[5]), ...strip({ policyId: optional(row[2], String), phase: optional(row[3], phase) }) };
    events.push({ seq: Number(row[0]), event: { type: 'sloIncident', record } });
  }
  for (const row of rows(db, 'SELECT seq, ts, phase, kind, passed, payload FROM gate_looks WHERE seq > ?', after)) {
    const passed = optional(row[4], (v) => Number(v) === 1);
    const record: GateLookRecord = { timestamp: Number(row[1]), phase: phase(row[2] ?? null), kind: String(row[3]), payload: parsePayload(row[5]), ...(passed !== undefined ? { passed } : {}) };
    events.push({ seq: Number(row[0]), event: { type: 'gateLook', record } });
  }
  for (const row of rows(db, 'SELECT seq, ts, waiver_id, status, expires_at, payload FROM waivers WHERE seq > ?', after)) {
    events.push({ seq: Number(row[0]), event: { type: 'waiver', record: { waiverId: String(row[2]), timestamp: Number(row[1]), status: String(row[3]), payload: parsePayload(row[5]), ...strip({ expiresAt: optional(row[4], Number) }) } } });
  }
  for (const row of rows(db, 'SELECT seq, ts, kind, task_type, tokens, hash, prev_hash, payload FROM budget_events WHERE seq > ?', after)) {
    const record: BudgetEventRecord = {
      timestamp: Number(row[1]),
      kind: String(row[2]),
      payload: parsePayload(row[7]),
      ...strip({ taskType: optional(row[3], (v) => String(v) as TaskType), tokens: optional(row[4], Number), hash: optional(row[5], String), prevHash: optional(row[6], String) }),
    };
    events.push({ seq: Number(row[0]), event: { type: 'budgetEvent', record } });
  }
  for (const row of rows(db, 'SELECT seq, ts, policy_id, policy_version, phase, payload FROM policy_snapshots WHERE seq > ?', after)) {
    const record: PolicySnapshotRecord = { timestamp: Number(row[1]), policyId: String(row[2]), policyVersion: Number(row[3]), payload: parsePayload(row[5]), ...strip({ phase: optional(row[4], phase) }) };
    events.push({ seq: Number(row[0]), event: { type: 'policySnapshot', record } });
  }
  return events.sort((a, b) => a.seq - b.seq);
}

/** The object without its undefined members (the records' optional fields are absent, not undefined). */
function strip<T extends Record<string, unknown>>(fields: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}

/** A stored checkpoint: its slot, the sequence number that wrote it, its time and its payload. */
export interface StoredCheckpoint {
  slot: string;
  seq: number;
  timestamp: number;
  payload: unknown;
}

/** Every checkpoint slot's content, newest first. */
export function storedCheckpoints(db: Database): StoredCheckpoint[] {
  const out: StoredCheckpoint[] = [];
  for (const row of db.exec('SELECT slot, seq, ts, payload FROM checkpoints ORDER BY seq DESC')[0]?.values ?? []) {
    out.push({ slot: String(row[0]), seq: Number(row[1]), timestamp: Number(row[2]), payload: parsePayload(row[3]) });
  }
  return out;
}
