/**
 * Rebuilding the guarded optimizer from its log. The newest usable checkpoint (a policy snapshot of
 * the whole state) is restored, and every event stored after it is applied in order; without one,
 * every event from the start. A checkpoint that does not parse, or that was written for another
 * parameter space, is passed over with a notice (an older one, or the start, is used instead). When
 * the parameter space no longer matches any checkpoint (the grid was edited), the policy is rebuilt
 * from the logged outcomes of the arms that still exist and the rollout from its events, and the
 * user is told. Events that cannot be applied (a broken audit chain, an outcome whose decision was
 * folded into summaries) are reported by sequence number, never silently accepted. The work is done
 * in slices of a few milliseconds, giving the event loop back in between: opening a long log must
 * not freeze the editor.
 */
import { GuardedOptimizer } from '../core/guardedOptimizer';
import type { GuardedOptions } from '../core/guardedOptions';
import type { GuardedState } from '../core/guardedState';
import type { OptimizerEvent } from '../core/events';
import type { SequencedEvent, StoredCheckpoint } from '../store/eventReads';
import type { LoggedDecision } from '../store/events';
import { TimeSlicer } from '../store/slicer';
import { checkpointOf, checkpointSlots, fromStoredPayload } from './storeRecords';

/** What restoring found worth telling: a level and a sentence. */
export interface RestoreNotice {
  level: 'info' | 'warning' | 'error';
  message: string;
}

/** What restoring reads from the store. */
export interface RestoreSource {
  /** The stored checkpoints, newest first. */
  checkpoints(): StoredCheckpoint[];
  eventsAfter(after: number): SequencedEvent[];
  iterateLogged(): Iterable<LoggedDecision>;
}

/** The result: the optimizer, and what was found on the way. */
export interface Restored {
  guarded: GuardedOptimizer;
  notices: RestoreNotice[];
  /** Sequence number of the checkpoint restored (0: none, every event was applied). */
  checkpointSeq: number;
  /** Events applied after the checkpoint. */
  applied: number;
  /** True when the log held no checkpoint yet (a new log, or one written before checkpoints). */
  fresh: boolean;
}

/** The core event a stored event was written from, or undefined for store-only records. */
export function toOptimizerEvent({ event }: SequencedEvent): OptimizerEvent | undefined {
  switch (event.type) {
    case 'decision':
      return { type: 'decision', decision: event.record };
    case 'outcome':
      return event.record.reward ? { type: 'outcome', outcome: event.record.outcome, report: event.record.reward } : undefined;
    case 'rolloutEvent':
    case 'sloIncident':
    case 'gateLook':
    case 'waiver':
    case 'budgetEvent':
      return fromStoredPayload(event.type, event.record.payload, event.record.timestamp);
    default:
      return undefined;
  }
}

/** Why a checkpoint cannot serve under `options`, or undefined when it can. */
function unusable(state: GuardedState, options: Omit<GuardedOptions, 'seed'>): string | undefined {
  const ids = options.space.arms.map((a) => a.id);
  if (state.armIds.length !== ids.length || state.armIds.some((id, i) => id !== ids[i])) return 'it was written for another parameter space';
  if (state.optimizer.learned.kind !== options.policyKind) return `it holds a ${state.optimizer.learned.kind} policy, the settings ask for ${options.policyKind}`;
  return undefined;
}

/**
 * Restores the optimizer from `source`. `seedForNewLog` seeds a log without a checkpoint; a
 * checkpoint carries its own seed.
 */
export async function restoreGuarded(source: RestoreSource, options: Omit<GuardedOptions, 'seed'>, seedForNewLog: number): Promise<Restored> {
  const notices: RestoreNotice[] = [];
  const slicer = new TimeSlicer();
  let skippedForSpace = false;
  for (const checkpoint of source.checkpoints().filter((c) => Object.values(checkpointSlots).includes(c.slot as never))) {
    if (slicer.due()) await slicer.pause();
    const state = checkpointOf(checkpoint.payload);
    const why = state === undefined ? 'it does not parse' : unusable(state, options);
    if (state === undefined || why !== undefined) {
      if (why === 'it was written for another parameter space') skippedForSpace = true;
      notices.push({ level: 'warning', message: `The optimizer's checkpoint stored as event ${checkpoint.seq} was set aside: ${why}.` });
      continue;
    }
    let guarded: GuardedOptimizer;
    try {
      guarded = new GuardedOptimizer({ ...options, seed: state.seed }, state);
    } catch (error) {
      notices.push({ level: 'warning', message: `The optimizer's checkpoint stored as event ${checkpoint.seq} was set aside: ${error instanceof Error ? error.message : String(error)}.` });
      continue;
    }
    await slicer.pause();
    const applied = await applyAfter(guarded, source.eventsAfter(checkpoint.seq), notices, slicer);
    return { guarded, notices, checkpointSeq: checkpoint.seq, applied, fresh: false };
  }
  const seed = seedForNewLog;
  if (skippedForSpace) return relearned(source, options, seed, notices, slicer);
  const guarded = new GuardedOptimizer({ ...options, seed });
  const applied = await applyAfter(guarded, source.eventsAfter(0), notices, slicer);
  return { guarded, notices, checkpointSeq: 0, applied, fresh: true };
}

/**
 * The optimizer rebuilt from every event of the log: from the log's first checkpoint (written when
 * the log began: the seed, the time the rollout started, an empty learner) on, ignoring every later
 * checkpoint. What a restore must equal (to rounding).
 */
export async function rebuildGuarded(source: RestoreSource, options: Omit<GuardedOptions, 'seed'>): Promise<Restored> {
  const genesis = source.checkpoints().find((c) => c.slot === checkpointSlots.genesis);
  const state = genesis === undefined ? undefined : checkpointOf(genesis.payload);
  if (genesis === undefined || state === undefined) throw new Error('the log has no first checkpoint to begin from');
  const notices: RestoreNotice[] = [];
  const guarded = new GuardedOptimizer({ ...options, seed: state.seed }, state);
  const applied = await applyAfter(guarded, source.eventsAfter(genesis.seq), notices, new TimeSlicer());
  return { guarded, notices, checkpointSeq: genesis.seq, applied, fresh: false };
}

/** Applies events in order; an event that does not apply is reported by sequence number and skipped. */
async function applyAfter(guarded: GuardedOptimizer, events: readonly SequencedEvent[], notices: RestoreNotice[], slicer: TimeSlicer): Promise<number> {
  let applied = 0;
  for (const stored of events) {
    if (slicer.due()) await slicer.pause();
    const event = toOptimizerEvent(stored);
    if (event === undefined) continue;
    try {
      guarded.apply(event);
      applied++;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (event.type === 'audit') {
        // The chain continues from the stored entry, so later entries still verify against it; the
        // break stays reported (and in the status) rather than accepted in silence.
        guarded.audit.continueFrom(event.entry);
        guarded.budget.noteAuditEntry(event.entry);
        notices.push({ level: 'error', message: `The budget's audit log does not verify at event ${stored.seq}: ${message}.` });
      } else {
        notices.push({ level: 'warning', message: `Event ${stored.seq} (${event.type}) could not be applied and was skipped: ${message}.` });
      }
    }
  }
  return applied;
}

/**
 * The parameter space changed under the log: a fresh optimizer whose policy learns from every
 * logged outcome of an arm that still exists (found by its id), with the rollout's phase from its
 * logged events.
 */
async function relearned(source: RestoreSource, options: Omit<GuardedOptions, 'seed'>, seed: number, notices: RestoreNotice[], slicer: TimeSlicer): Promise<Restored> {
  const guarded = new GuardedOptimizer({ ...options, seed });
  const index = new Map(options.space.arms.map((a) => [a.id, a.index]));
  let used = 0;
  let dropped = 0;
  for (const logged of source.iterateLogged()) {
    if (slicer.due()) await slicer.pause();
    if (!logged.reward || logged.outcome?.defaulted === true) continue;
    const arm = index.get(logged.decision.armId);
    if (arm === undefined) {
      dropped++;
      continue;
    }
    guarded.relearn(logged.decision.contextFeatures, arm, logged.reward.reward);
    used++;
  }
  for (const stored of source.eventsAfter(0)) {
    if (stored.event.type !== 'rolloutEvent') continue;
    const event = toOptimizerEvent(stored);
    if (event?.type === 'rollout') guarded.apply(event);
  }
  notices.push({
    level: 'warning',
    message: `The parameter space in the settings no longer matches the log: the policy was rebuilt from ${used} logged outcomes of arms that still exist (${dropped} of removed arms were left out); the rollout stays in ${guarded.phase}.`,
  });
  return { guarded, notices, checkpointSeq: 0, applied: used, fresh: false };
}
