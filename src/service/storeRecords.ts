/**
 * The one place that maps the core's events (src/core/events.ts) to the store's records
 * (src/store/events.ts) and back. Decisions and outcomes are stored as they are; the safety
 * machinery's records (rollout events, incidents, gate looks, waivers, audit entries, checkpoints) as
 * typed rows whose payload is the core record itself, so reading one back gives the same record.
 */
import type { OptimizerEvent } from '../core/events';
import type { GuardedState, GateLook } from '../core/guardedState';
import type { AuditEntry } from '../core/safety/audit';
import type { Waiver } from '../core/safety/waivers';
import type { RolloutEvent } from '../core/safety/rollout';
import type { Incident } from '../core/safety/slo';
import type { StoreEvent } from '../store/events';

/**
 * The slots the guarded optimizer's checkpoints are kept in: the log's first (`genesis`: the seed,
 * the rollout's start, the empty learner; a rebuild begins there) and the two newest, alternately in
 * `a` and `b`, so that a damaged newest one still leaves the one before.
 */
export const checkpointSlots = { genesis: 'genesis', a: 'a', b: 'b' } as const;

/** The store event an optimizer event is kept as; a checkpoint goes to `checkpointSlot`. */
export function toStoreEvent(event: OptimizerEvent, checkpointSlot: string = checkpointSlots.a): StoreEvent {
  switch (event.type) {
    case 'decision':
      return { type: 'decision', record: event.decision };
    case 'outcome':
      return { type: 'outcome', record: { outcome: event.outcome, reward: event.report } };
    case 'rollout': {
      const e = event.event;
      return { type: 'rolloutEvent', record: { timestamp: e.timestamp, kind: e.kind, fromPhase: e.from, toPhase: e.to, payload: e } };
    }
    case 'incident': {
      const i = event.incident;
      return { type: 'sloIncident', record: { timestamp: i.timestamp, metric: i.breach.metric, phase: i.fromPhase, payload: i } };
    }
    case 'gateLook': {
      const l = event.look;
      return { type: 'gateLook', record: { timestamp: l.timestamp, phase: l.phase, kind: l.kind, ...(l.verdict ? { passed: l.verdict.passed } : {}), payload: l } };
    }
    case 'waiver': {
      const w = event.waiver;
      return { type: 'waiver', record: { waiverId: w.id, timestamp: event.timestamp, status: w.status, expiresAt: w.expiresAt, payload: w } };
    }
    case 'audit': {
      const a = event.entry;
      const taskType = typeof a.payload['taskType'] === 'string' ? a.payload['taskType'] : undefined;
      const tokens = typeof a.payload['tokens'] === 'number' ? a.payload['tokens'] : undefined;
      return {
        type: 'budgetEvent',
        record: {
          timestamp: a.timestamp,
          kind: a.kind,
          ...(taskType !== undefined ? { taskType: taskType as never } : {}),
          ...(tokens !== undefined ? { tokens } : {}),
          hash: a.hash,
          prevHash: a.prevHash,
          payload: a,
        },
      };
    }
    case 'checkpoint':
      return { type: 'checkpoint', record: { slot: checkpointSlot, timestamp: event.timestamp, payload: event.state } };
  }
}

/** The optimizer event a stored row of the safety machinery was written from (its payload). */
export function fromStoredPayload(type: 'rolloutEvent' | 'sloIncident' | 'gateLook' | 'waiver' | 'budgetEvent', payload: unknown, timestamp: number): OptimizerEvent {
  switch (type) {
    case 'rolloutEvent':
      return { type: 'rollout', event: payload as RolloutEvent };
    case 'sloIncident':
      return { type: 'incident', incident: payload as Incident };
    case 'gateLook':
      return { type: 'gateLook', look: payload as GateLook };
    case 'waiver':
      return { type: 'waiver', timestamp, waiver: payload as Waiver };
    case 'budgetEvent':
      return { type: 'audit', entry: payload as AuditEntry };
  }
}

/** The guarded optimizer's state a checkpoint holds, if its payload is one. */
export function checkpointOf(payload: unknown): GuardedState | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const state = payload as Partial<GuardedState>;
  return state.version === 1 ? (payload as GuardedState) : undefined;
}
