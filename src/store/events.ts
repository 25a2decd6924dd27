// What the store records. Decisions and outcomes are the core records (src/core/types.ts); the other
// kinds belong to modules whose record shapes evolve on their own, so the store keeps them as typed
// rows: the columns queries filter on, plus the record itself as a JSON payload.
import type { Decision, Outcome, RewardReport, RolloutPhase, TaskType } from '../core/types';

/** A policy's learned state at a point in time (the payload is the policy's own serialisation). */
export interface PolicySnapshotRecord {
  timestamp: number;
  policyId: string;
  policyVersion: number;
  phase?: RolloutPhase;
  payload: unknown;
}

/** A rollout state-machine event: promotion, rollback, pause… */
export interface RolloutEventRecord {
  timestamp: number;
  kind: string;
  policyId?: string;
  fromPhase?: RolloutPhase;
  toPhase?: RolloutPhase;
  payload: unknown;
}

/** A budget audit event; `hash` and `prevHash` carry the audit log's hash chain. */
export interface BudgetEventRecord {
  timestamp: number;
  kind: string;
  taskType?: TaskType;
  tokens?: number;
  hash?: string;
  prevHash?: string;
  payload: unknown;
}

/** A budget waiver; appending a waiver with an existing id records its new status. */
export interface WaiverRecord {
  waiverId: string;
  timestamp: number;
  status: string;
  expiresAt?: number;
  payload: unknown;
}

/** An SLO breach the monitor acted on. */
export interface SloIncidentRecord {
  timestamp: number;
  metric: string;
  policyId?: string;
  phase?: RolloutPhase;
  payload: unknown;
}

/** A run of the promotion gate: its verdict, or a drift check while promotion is paused. */
export interface GateLookRecord {
  timestamp: number;
  phase: RolloutPhase;
  /** "look" (a verdict) or "driftCheck". */
  kind: string;
  /** Whether the verdict passed (absent for a drift check). */
  passed?: boolean;
  payload: unknown;
}

/**
 * A whole-state checkpoint kept in a named slot: appending one replaces the slot's previous content
 * (the log keeps a few, e.g. the first and the two newest, not all of them).
 */
export interface CheckpointRecord {
  slot: string;
  timestamp: number;
  payload: unknown;
}

/**
 * A retention pass, journaled so that replaying the journal (at open, or when a snapshot is built
 * from it off the main thread) folds exactly the same rows into the summaries.
 */
export interface RetentionRecord {
  timestamp: number;
  keepDays?: number;
  keepDecisions?: number;
}

/**
 * The start of a unit: events that are durable, and replayed, all together or not at all (an
 * import). The unit's events follow it directly in the journal, each line marked with the unit (the
 * begin event's sequence number), and a `unitCommit` ends it. A unit without its commit (a crash
 * cut it short) is dropped on replay, whole.
 */
export interface UnitBeginRecord {
  timestamp: number;
  /** What the unit is, e.g. "import". */
  kind: string;
  /** How many events the unit holds between its begin and its commit. */
  events: number;
}

/** The end of a unit: from here on, its events count. */
export interface UnitCommitRecord {
  timestamp: number;
}

/** An outcome with the reward the reward model gave it (absent when not yet scored). */
export interface OutcomeRecord {
  outcome: Outcome;
  reward?: RewardReport;
}

/** One journal event. `type` names the table it lands in. */
export type StoreEvent =
  | { type: 'decision'; record: Decision }
  | { type: 'outcome'; record: OutcomeRecord }
  | { type: 'policySnapshot'; record: PolicySnapshotRecord }
  | { type: 'rolloutEvent'; record: RolloutEventRecord }
  | { type: 'budgetEvent'; record: BudgetEventRecord }
  | { type: 'waiver'; record: WaiverRecord }
  | { type: 'sloIncident'; record: SloIncidentRecord }
  | { type: 'gateLook'; record: GateLookRecord }
  | { type: 'checkpoint'; record: CheckpointRecord }
  | { type: 'retention'; record: RetentionRecord }
  | { type: 'unitBegin'; record: UnitBeginRecord }
  | { type: 'unitCommit'; record: UnitCommitRecord };

export type StoreEventType = StoreEvent['type'];

export const storeEventTypes: readonly StoreEventType[] = [
  'decision',
  'outcome',
  'policySnapshot',
  'rolloutEvent',
  'budgetEvent',
  'waiver',
  'sloIncident',
  'gateLook',
  'checkpoint',
  'retention',
  'unitBegin',
  'unitCommit',
];

/** A decision with its outcome and reward when they are known: the unit of OPE and of exports. */
export interface LoggedDecision {
  decision: Decision;
  outcome?: Outcome;
  reward?: RewardReport;
}

/** Durable progress, reported each time a journal batch has been synced to disk. */
export interface CommitProgress {
  /** Events acknowledged (durable) since the store was opened. */
  events: number;
  /** Decisions durably stored in total: those found at open plus those acknowledged since. */
  decisions: number;
  /** Outcomes acknowledged since the store was opened. */
  outcomes: number;
  /** Sequence number of the last acknowledged event. */
  lastSeq: number;
}

