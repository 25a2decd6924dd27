/**
 * The guarded optimizer's settings and what its operations answer.
 *
 * Defaults for one developer (~30 requests a day), and why:
 * - the baseline explores 30% of its requests over the trust-region arms (`baselineExploration`,
 *   instead of the 5% of `baseline.exploration`): with 5% over 18 arms an arm the baseline does not
 *   prefer has weight up to 1/(0.05/18) = 360, and in the simulator (Thompson candidate, 6 seeds)
 *   the ESS of the shadow logs was 2–6 after a week and 5–8 after two, and no run was promotable
 *   within 14 days; at 30% the weights stay ≤ 60, the ESS was 9–22 after a week and 14–26 after two,
 *   and every run was promotable;
 * - the minimum ESS is per phase (shadow 8, canary 10, guarded 15): in canary and guarded the
 *   learned policy's own served requests carry weight ≤ 1/share, so the ESS grows with them;
 * - the gate's candidate is the learned policy frozen at a time split of the phase's rows and scored
 *   on the later rows (promotionEvidence.ts), restricted to the trust region: what it would serve;
 * - the SLO latency-tail tolerances are 0.10 (p95 and p99 exceedance shares) instead of 0.05/0.02:
 *   the learned policy buys quality (+0.18 in the simulator) by giving test plans the 4096 tokens
 *   they need, which puts ~9% of its requests beyond the baseline's p99 (~56 s) where the baseline
 *   puts 1%; the reward prices latency (0.002 per second) and endorses that trade, and with 0.02 the
 *   monitor rolled such a candidate back in 1 of 3 simulated runs. A tail that grows by more than 10
 *   points is still a breach, and a quality drop is caught by the quality test (tolerance 0.02).
 */
import type { BudgetConfigInput, BudgetEligibility } from './safety/budget';
import type { DriftConfigInput, DriftReport } from './safety/drift';
import type { OptimizerEvents } from './events';
import type { GateConfigInput, GateVerdict } from './safety/gates';
import type { Clock, RecordedOutcome } from './optimizer';
import type { PolicyKind, PolicySettings } from './policies';
import type { RewardSettings } from './reward';
import type { RolloutConfigInput, RolloutEvent } from './safety/rollout';
import type { Incident, SloBreach, SloConfigInput } from './safety/slo';
import type { ParameterSpace } from './space';
import type { Decision, RolloutPhase, ServedBy } from './types';

/** Settings of the guarded optimizer beyond those of its parts. */
export interface GuardedOptions {
  space: ParameterSpace;
  policyKind: PolicyKind;
  policySettings: PolicySettings;
  rewardSettings: RewardSettings;
  /** Where every event goes (none: nothing is recorded). */
  events?: OptimizerEvents;
  clock: Clock;
  /** Seed of every random stream (decisions, gate looks). */
  seed: number;
  /** The audit log's head to continue (a restored log's); default a new chain. */
  auditHead?: { length: number; hash: string };
  /** Keep the audit entries in memory too (default true; a store keeps them instead). */
  keepAuditEntries?: boolean;
  rollout?: RolloutConfigInput;
  slo?: SloConfigInput;
  gate?: GateConfigInput;
  budget?: BudgetConfigInput;
  drift?: DriftConfigInput;
  /** Baseline exploration share over the trust-region arms (default 0.3; see the module comment). */
  baselineExploration?: number;
  /** Minimum effective sample size of the OPE weights, per phase. */
  minEffectiveSampleSize?: Partial<Record<RolloutPhase, number>>;
  /** Least time between gate evaluations once a phase's minimums are met (default one day). */
  gateIntervalMs?: number;
  /**
   * A gate look waits until the phase has gathered this many times the rows it had at the previous
   * look (default 1.5): looks grow geometrically with the evidence, so the false-promotion rate spent
   * over them (gates.ts) is not used up on days that add little.
   */
  gateLookGrowth?: number;
  /** One-sided level of the candidate's off-policy quality bound in shadow (default 0.05). */
  offPolicyQualityLevel?: number;
  /**
   * Share of a phase's rows the gate's frozen candidate learns from before it is scored on the rest,
   * per phase (default: half in shadow, where the candidate starts from the prior; a fifth later,
   * where it starts from everything learned in the phases before).
   */
  candidateTrainFraction?: Partial<Record<RolloutPhase, number>>;
  /** Level of the online quality confidence sequence in canary and later phases. */
  qualityAlpha?: number;
  /**
   * The gate scores at most this many of the phase's latest rows (default 600, 20 days at 30 a
   * day): the cost of a gate evaluation stays bounded when a phase runs long.
   */
  maxOpeRows?: number;
  /** After this long without an outcome a logged decision gets the default reward (default 30 min). */
  rewardWaitMs?: number;
  /** Prefix of every generated request id, e.g. a per-run nonce (see OptimizerOptions.requestIdNonce). */
  requestIdNonce?: string;
}

/** Default per-phase minimum ESS (see the module comment). */
export const defaultMinEffectiveSampleSize: Record<RolloutPhase, number> = { shadow: 8, canary: 10, guarded: 15, general: 0 };

/** Default share of a phase's rows the gate's candidate learns from (see `GuardedOptions.candidateTrainFraction`). */
export const defaultCandidateTrainFraction: Record<RolloutPhase, number> = { shadow: 0.5, canary: 0.2, guarded: 0.2, general: 0.2 };

/** SLO defaults of the guarded optimizer: the monitor's own, with wider latency-tail tolerances. */
export const guardedSloDefaults: SloConfigInput = {
  metrics: { latencyP95: { alpha: 0.01, tolerance: 0.1 }, latencyP99: { alpha: 0.005, tolerance: 0.1 } },
};

/** What `recommend` answers: a decision, or a refusal with the message for the user. */
export type GuardedRecommendation =
  | { kind: 'decision'; decision: Decision; budget: BudgetEligibility }
  | { kind: 'refused'; message: string; budget: BudgetEligibility };

/** What `recordOutcome` did besides learning. */
export interface GuardedOutcome extends RecordedOutcome {
  servedBy: ServedBy;
  breach?: SloBreach;
  incident?: Incident;
  /** Rollout events this outcome caused (a rollback, a promotion, an inconclusive notice). */
  events: RolloutEvent[];
  verdict?: GateVerdict;
  drift?: DriftReport['rewardAlarm'];
}


/** What narrows one request's arms besides the trust region and the budget. */
export interface RecommendArmOptions {
  /** Arm indices this request may be served with (e.g. those its model can take); the baseline arm is always allowed. */
  allowedArms?: readonly number[];
}
