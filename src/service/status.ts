/**
 * What the optimizer service knows, as plain data for people: the phase and its progress towards
 * the next gate, the log's counts, the arm the learned policy favours for each task type with its
 * posterior mean and spread next to the baseline's, the gate's last verdict, today's budget use,
 * the waivers that stand, and what opening the log found.
 */
import { contextFeatures } from '../core/features';
import type { GuardedOptimizer } from '../core/guardedOptimizer';
import { LinearPolicy } from '../core/policies/linearPolicy';
import type { GateVerdict } from '../core/safety/gates';
import type { RolloutStatus } from '../core/safety/rollout';
import type { Waiver } from '../core/safety/waivers';
import { taskTypes, type ArmParameters, type RequestContext, type RolloutPhase, type TaskType } from '../core/types';
import type { RestoreNotice } from './restore';

/** An arm as the status shows it: its parameters and the posterior of its expected reward. */
export interface ArmEstimate {
  armId: string;
  params: ArmParameters;
  mean: number;
  sd: number;
}

/** The service's status. */
export interface ServiceStatus {
  policyKind: string;
  /** Outcomes the learned policy has learned from. */
  policyVersion: number;
  phase: RolloutPhase;
  rolloutStatus: RolloutStatus;
  /** Towards the next gate: samples (outcomes in shadow, learned outcomes after) and days. */
  progress: { samples: number; minSamples: number; days: number; minDays: number; deadlineDays: number };
  decisions: number;
  outcomes: number;
  /** Logged decisions still waiting for their outcome. */
  pending: number;
  incidents: number;
  /** Per task type, for a typical request: the arm the learned policy favours, and the baseline arm. */
  favoured: Array<{ taskType: TaskType; favoured: ArmEstimate; baseline: ArmEstimate }>;
  lastVerdict?: Pick<GateVerdict, 'passed' | 'summary' | 'checks'>;
  budget: Array<{ taskType: TaskType; daySpent: number; dayLimit: number | null; weekSpent: number; weekLimit: number | null; remaining: number }>;
  waivers: Waiver[];
  audit: { length: number; hash: string };
  notices: RestoreNotice[];
}

/** A typical request of a task type: the favoured arm is read for it. */
export function typicalRequest(taskType: TaskType): RequestContext {
  return {
    taskType,
    languageId: 'typescript',
    promptTokens: 1500,
    selectionLines: taskType === 'planSelection' ? 60 : 0,
    fileLines: 400,
    workspaceKind: 'folder',
    providerFamily: 'openai-compatible',
    hour: 12,
  };
}

/** The learned policy's posterior of each trust-region arm for a task type, and the arm it favours. */
export interface TaskPosterior {
  taskType: TaskType;
  /** Per arm of the space (NaN outside the trust region). */
  means: Float64Array;
  sds: Float64Array;
  /** The trust-region arm of highest posterior mean (the baseline arm on ties). */
  favoured: number;
}

/** For a typical request of each task type, the learned policy's posterior; empty for a policy that has none. */
export function armPosteriors(g: GuardedOptimizer): TaskPosterior[] {
  const learned = g.optimizer.learned;
  if (!(learned instanceof LinearPolicy)) return [];
  const space = g.optimizer.space;
  const trust = new Uint8Array(space.arms.length);
  for (const a of space.trustRegionArms) trust[a] = 1;
  return taskTypes.map((taskType) => {
    const { means, sds } = learned.posterior(contextFeatures(typicalRequest(taskType)), trust);
    let best = space.baselineArm;
    for (const a of space.trustRegionArms) if (means[a]! > means[best]!) best = a;
    return { taskType, means, sds, favoured: best };
  });
}

/** What `serviceStatus` reads from the store besides the optimizer. */
export interface StatusCounts {
  decisionCount(): number;
  countsByPhase(): Array<{ decisions: number; outcomes: number }>;
}

export function serviceStatus(g: GuardedOptimizer, store: StatusCounts, now: number, notices: readonly RestoreNotice[]): ServiceStatus {
  const rollout = g.rollout.toJSON();
  const settings = g.rollout.config.phases[rollout.phase];
  const space = g.optimizer.space;
  const learned = g.optimizer.learned;
  const estimate = (a: number, means: Float64Array, sds: Float64Array): ArmEstimate => ({ armId: space.arms[a]!.id, params: { ...space.arms[a]!.params }, mean: means[a]!, sd: sds[a]! });
  const favoured: ServiceStatus['favoured'] = armPosteriors(g).map(({ taskType, means, sds, favoured: best }) => ({
    taskType,
    favoured: estimate(best, means, sds),
    baseline: estimate(space.baselineArm, means, sds),
  }));
  const budget = taskTypes.map((taskType) => {
    const s = g.budget.status(taskType, now);
    return { taskType, daySpent: s.day.spent, dayLimit: s.day.effective, weekSpent: s.week.spent, weekLimit: s.week.effective, remaining: s.remaining };
  });
  const outcomes = store.countsByPhase().reduce((sum, c) => sum + c.outcomes, 0);
  const status: ServiceStatus = {
    policyKind: learned.kind,
    policyVersion: learned.version,
    phase: rollout.phase,
    rolloutStatus: rollout.status,
    progress: {
      samples: g.rollout.samplesInPhase,
      minSamples: settings.minSamples,
      days: Math.max(0, (now - rollout.phaseStartedAt) / 86_400_000),
      minDays: settings.minDurationDays,
      deadlineDays: settings.deadlineDays,
    },
    decisions: store.decisionCount(),
    outcomes,
    pending: g.optimizer.pendingCount,
    incidents: rollout.incidents,
    favoured,
    budget,
    waivers: g.budget.waivers.filter((w) => w.status === 'active' || w.status === 'proposed').map((w) => structuredClone(w)),
    audit: g.audit.head(),
    notices: [...notices],
  };
  const verdict = g.lastVerdict;
  if (verdict) status.lastVerdict = { passed: verdict.passed, summary: verdict.summary, checks: verdict.checks.map((c) => ({ ...c })) };
  return status;
}
