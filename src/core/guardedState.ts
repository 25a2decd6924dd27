/**
 * The guarded optimizer's state as plain data (a checkpoint), and the promotion gate's book of the
 * current phase: the logged rows the gate scores, the learned policy as it was when those rows began,
 * the looks taken and the online quality bound. Everything here is restored exactly from a
 * checkpoint, or rebuilt by applying the logged events in order (guardedOptimizer.ts).
 */
import type { OptimizerState } from './optimizer';
import type { Policy, PolicySnapshot } from './policies';
import type { AuditHead } from './safety/audit';
import type { BudgetState } from './safety/budget';
import { BoundedMeanSequence, type BoundedMeanSequenceState } from './safety/confidenceSequence';
import type { DriftState } from './safety/drift';
import type { GateVerdict } from './safety/gates';
import type { PhaseRow } from './safety/promotionEvidence';
import type { RolloutState } from './safety/rollout';
import type { SloMonitorState } from './safety/slo';
import type { RolloutPhase, TaskType } from './types';

/** A run of the promotion gate, or of its drift check while promotion is paused by drift. */
export interface GateLook {
  timestamp: number;
  phase: RolloutPhase;
  /** `look`: the gate ran (a verdict follows); `driftCheck`: a drift pause was checked. */
  kind: 'look' | 'driftCheck';
  /** Rows the phase had gathered by the look (the next look waits for more). */
  rows: number;
  verdict?: GateVerdict;
}

/** A phase row as a checkpoint keeps it (the eligibility mask as a list of arms). */
export interface PhaseRowState extends Omit<PhaseRow, 'eligible' | 'context' | 'loggingProbabilities'> {
  context: number[];
  loggingProbabilities: number[];
  eligibleArms?: number[];
}

/** The gate's book as plain data. */
export interface GateBookState {
  phaseStart: PolicySnapshot;
  rows: PhaseRowState[];
  rowsSeen: number;
  looks: number;
  totalLooks: number;
  rowsAtLastLook: number;
  lastGateAt: number | null;
  pausedByDrift: boolean;
  onlineQuality: BoundedMeanSequenceState;
  lastTaskType: TaskType;
  lastVerdict?: GateVerdict;
}

/** The whole state of a guarded optimizer: a checkpoint. */
export interface GuardedState {
  /** Format version of this record. */
  version: 1;
  seed: number;
  /** The parameter space's arm ids, in order: a checkpoint only fits the space it was written for. */
  armIds: string[];
  optimizer: OptimizerState;
  rollout: RolloutState;
  monitor: SloMonitorState;
  budget: BudgetState;
  audit: AuditHead;
  drift: DriftState;
  gate: GateBookState;
}

/**
 * The promotion gate's book of the current phase. Rows are kept up to `maxRows`; the oldest beyond
 * that are folded into `phaseStart` (the candidate's starting policy learns from them), which is what
 * the gate's candidate would have done with them first, so a bounded book scores the same candidate.
 */
export class GateBook {
  rows: PhaseRow[] = [];
  /** Rows added in this phase, including those folded into `phaseStart`. */
  rowsSeen = 0;
  looks = 0;
  totalLooks = 0;
  rowsAtLastLook = 0;
  lastGateAt = Number.NEGATIVE_INFINITY;
  pausedByDrift = false;
  lastTaskType: TaskType = 'planTask';
  lastVerdict: GateVerdict | undefined;
  onlineQuality: BoundedMeanSequence;
  /** The learned policy as it was when the kept rows began. */
  phaseStart: Policy;

  constructor(
    phaseStart: Policy,
    private readonly qualityLevel: number,
    private readonly maxRows: number,
  ) {
    this.phaseStart = phaseStart;
    this.onlineQuality = new BoundedMeanSequence(qualityLevel);
  }

  /** A new phase: its evidence starts afresh from the learned policy as it is now. */
  restart(phaseStart: Policy): void {
    this.phaseStart = phaseStart;
    this.rows = [];
    this.rowsSeen = 0;
    this.looks = 0;
    this.rowsAtLastLook = 0;
    this.lastGateAt = Number.NEGATIVE_INFINITY;
    this.onlineQuality = new BoundedMeanSequence(this.qualityLevel);
  }

  /** Adds a scored row; beyond `maxRows` the oldest is folded into the starting policy. */
  addRow(row: PhaseRow): void {
    this.rows.push(row);
    this.rowsSeen++;
    if (this.rows.length <= this.maxRows) return;
    const oldest = this.rows.shift()!;
    this.phaseStart.update(Float64Array.from(oldest.context), oldest.armIndex, oldest.reward);
  }

  /** Records a look (live or from a log). */
  recordLook(look: GateLook): void {
    this.lastGateAt = look.timestamp;
    if (look.kind !== 'look') return;
    this.looks++;
    this.totalLooks++;
    this.rowsAtLastLook = look.rows;
    if (look.verdict) this.lastVerdict = look.verdict;
  }

  toJSON(): GateBookState {
    const state: GateBookState = {
      phaseStart: this.phaseStart.snapshot(),
      rows: this.rows.map(rowState),
      rowsSeen: this.rowsSeen,
      looks: this.looks,
      totalLooks: this.totalLooks,
      rowsAtLastLook: this.rowsAtLastLook,
      lastGateAt: Number.isFinite(this.lastGateAt) ? this.lastGateAt : null,
      pausedByDrift: this.pausedByDrift,
      onlineQuality: this.onlineQuality.toJSON() as BoundedMeanSequenceState,
      lastTaskType: this.lastTaskType,
    };
    if (this.lastVerdict) state.lastVerdict = structuredClone(this.lastVerdict);
    return state;
  }

  /** Restores a state produced by `toJSON`; the starting policy must already be `state.phaseStart` (as constructed). */
  restore(state: GateBookState): void {
    this.rows = state.rows.map(rowFromState);
    this.rowsSeen = state.rowsSeen;
    this.looks = state.looks;
    this.totalLooks = state.totalLooks;
    this.rowsAtLastLook = state.rowsAtLastLook;
    this.lastGateAt = state.lastGateAt ?? Number.NEGATIVE_INFINITY;
    this.pausedByDrift = state.pausedByDrift;
    this.onlineQuality = new BoundedMeanSequence(this.qualityLevel);
    this.onlineQuality.restore(state.onlineQuality);
    this.lastTaskType = state.lastTaskType;
    this.lastVerdict = state.lastVerdict ? structuredClone(state.lastVerdict) : undefined;
  }
}

function rowState(row: PhaseRow): PhaseRowState {
  const { eligible, context, loggingProbabilities, ...rest } = row;
  const state: PhaseRowState = { ...rest, context: Array.from(context), loggingProbabilities: Array.from(loggingProbabilities) };
  if (eligible) {
    const arms: number[] = [];
    eligible.forEach((flag, a) => {
      if (flag) arms.push(a);
    });
    state.eligibleArms = arms;
  }
  return state;
}

function rowFromState(state: PhaseRowState): PhaseRow {
  const { eligibleArms, ...rest } = state;
  if (eligibleArms === undefined) return rest;
  const eligible = new Uint8Array(state.loggingProbabilities.length);
  for (const a of eligibleArms) eligible[a] = 1;
  return { ...rest, eligible };
}
