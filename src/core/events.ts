/**
 * The core's one event port: everything the optimizer and its safety machinery record goes out
 * through `OptimizerEvents.emit`, and a log of these events, applied in order, rebuilds the state
 * (GuardedOptimizer.apply). The optimizer service maps them to the store's records; simulations and
 * tests keep them in memory (`MemoryEventLog`).
 */
import type { GuardedState, GateLook } from './guardedState';
import type { AuditEntry } from './safety/audit';
import type { RolloutEvent } from './safety/rollout';
import type { Incident } from './safety/slo';
import type { Waiver } from './safety/waivers';
import type { Decision, Outcome, RewardReport } from './types';

export type OptimizerEvent =
  /** A decision, logged once its request was sent. */
  | { type: 'decision'; decision: Decision }
  /** An outcome with its reward (a defaulted one when none came within the wait time). */
  | { type: 'outcome'; outcome: Outcome; report: RewardReport }
  /** A rollout transition: promotion, rollback, pause, resume, promotable, inconclusive. */
  | { type: 'rollout'; event: RolloutEvent }
  /** An SLO breach the monitor acted on. */
  | { type: 'incident'; incident: Incident }
  /** A run of the promotion gate (or its drift check), with its verdict. */
  | { type: 'gateLook'; look: GateLook }
  /** A budget waiver's new state (proposed, active, revoked, expired). */
  | { type: 'waiver'; timestamp: number; waiver: Waiver }
  /** An entry of the budget's hash-chained audit log. */
  | { type: 'audit'; entry: AuditEntry }
  /** The whole state at this point of the log, to restore from instead of replaying all before it. */
  | { type: 'checkpoint'; timestamp: number; state: GuardedState };

export type OptimizerEventType = OptimizerEvent['type'];

/** Where the core's records go. */
export interface OptimizerEvents {
  emit(event: OptimizerEvent): void;
}

/** An in-memory event log: enough for tests, simulations and the CLI without `--db`. */
export class MemoryEventLog implements OptimizerEvents {
  readonly events: OptimizerEvent[] = [];

  emit(event: OptimizerEvent): void {
    // A copy, as a store would keep it: later changes to the live objects do not reach the log.
    this.events.push(structuredClone(event));
  }

  get decisions(): Decision[] {
    return this.events.flatMap((e) => (e.type === 'decision' ? [e.decision] : []));
  }

  get outcomes(): Array<{ outcome: Outcome; report: RewardReport }> {
    return this.events.flatMap((e) => (e.type === 'outcome' ? [{ outcome: e.outcome, report: e.report }] : []));
  }
}
