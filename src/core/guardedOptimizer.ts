/**
 * GuardedOptimizer (ARCHITECTURE.md §"Statistics"): the optimizer with its safety machinery around it. Per request the
 * token budget decides which arms may be used, the trust region confines the learned policy, and the
 * rollout's sticky split says who serves; per outcome the SLO monitor may roll back at once; now and
 * then (not every request: OPE is costly) the promotion gate looks at off-policy evidence from the
 * current phase's logged rows. Pure: clock and RNG are injected; the same seed gives the same run.
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
import type { AuditLog } from './safety/audit';
import { BudgetTracker, type BudgetConfigInput, type BudgetEligibility } from './safety/budget';
import { DriftDetector, type DriftConfigInput, type DriftReport } from './safety/drift';
import { contextFeatureNames } from './features';
import { evaluateGate, gateConfigSchema, lookLevel, spaceTrustRegion, type GateConfigInput, type GateEvidence, type GateVerdict } from './safety/gates';
import { LLMParameterOptimizer, type Clock, type DecisionStore, type RecordedOutcome } from './optimizer';
import type { PolicyKind, PolicySettings, PolicySnapshot } from './policies';
import { armsOfMask, frozenCandidateEvidence, maskOfArms, type PhaseRow } from './safety/promotionEvidence';
import type { Rng } from './math/random';
import type { RewardSettings } from './reward';
import { RolloutManager, type RolloutConfigInput, type RolloutEvent } from './safety/rollout';
import { BoundedMeanSequence, SloMonitor, sloObservationOf, type Incident, type SloBreach, type SloConfigInput } from './safety/slo';
import type { ParameterSpace } from './space';
import type { Decision, Outcome, RequestContext, RolloutPhase, ServedBy, TaskType } from './types';

/** Settings of the guarded optimizer beyond those of its parts. */
export interface GuardedOptions {
  space: ParameterSpace;
  policyKind: PolicyKind;
  policySettings: PolicySettings;
  rewardSettings: RewardSettings;
  store: DecisionStore;
  clock: Clock;
  rng: Rng;
  audit: AuditLog;
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
   * A gate look waits until the phase's scored rows are this many times those of the previous look
   * (default 1.5): looks grow geometrically with the evidence, so the false-promotion rate spent
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

export class GuardedOptimizer {
  readonly optimizer: LLMParameterOptimizer;
  readonly rollout: RolloutManager;
  readonly monitor: SloMonitor;
  readonly budget: BudgetTracker;
  readonly drift: DriftDetector;
  readonly incidents: Incident[] = [];
  readonly verdicts: GateVerdict[] = [];
  private readonly options: GuardedOptions;
  private readonly trustMask: Uint8Array;
  private readonly armCosts: Float64Array;
  private readonly mask: Uint8Array;
  private readonly minEss: Record<RolloutPhase, number>;
  private readonly servedByRequest = new Map<string, { servedBy: ServedBy; taskType: TaskType; context: RequestContext; sessionKey: string }>();
  private rows: PhaseRow[] = [];
  /** The learned policy when the phase began: the gate's candidates start from it. */
  private phaseStart: PolicySnapshot;
  /** Gate looks in the current phase (each spends part of the false-promotion rate). */
  private looks = 0;
  private rowsAtLastLook = 0;
  private onlineQuality: BoundedMeanSequence;
  private lastGateAt = Number.NEGATIVE_INFINITY;
  /** The rollout is paused because drift stood when the gate was due (drift `pausePromotion`). */
  private pausedByDrift = false;
  private lastTaskType: TaskType = 'planTask';
  private nextWaivers: readonly string[] = [];
  private nextSessionKey = '';

  constructor(options: GuardedOptions) {
    this.options = options;
    const now = options.clock.now();
    this.rollout = new RolloutManager(options.rollout ?? {}, now);
    const phases = this.rollout.config.phases;
    const k = options.space.arms.length;
    const policySettings: PolicySettings = { ...options.policySettings, baseline: { exploration: options.baselineExploration ?? 0.3 } };
    this.optimizer = new LLMParameterOptimizer({
      space: options.space,
      policyKind: options.policyKind,
      policySettings,
      rewardSettings: options.rewardSettings,
      // The waivers go on the decision before the store sees it (a store may serialise at once).
      store: {
        saveDecision: (decision) => {
          decision.waivers = [...this.nextWaivers];
          decision.sessionKey = this.nextSessionKey;
          const eligibleArms = armsOfMask(this.mask);
          if (eligibleArms) decision.eligibleArms = eligibleArms;
          options.store.saveDecision(decision);
        },
        saveOutcome: (outcome, report) => options.store.saveOutcome(outcome, report),
      },
      clock: options.clock,
      rng: options.rng,
      requestIdNonce: options.requestIdNonce,
      phase: this.rollout.phase,
      // The rollout config is the single source of the phase shares.
      learnedShare: { shadow: phases.shadow.trafficShare, canary: phases.canary.trafficShare, guarded: phases.guarded.trafficShare, general: phases.general.trafficShare },
    });
    this.monitor = new SloMonitor(options.slo ?? guardedSloDefaults);
    this.budget = new BudgetTracker(options.budget ?? {}, options.audit);
    this.drift = new DriftDetector(contextFeatureNames, options.drift ?? {});
    this.trustMask = new Uint8Array(k);
    for (const a of options.space.trustRegionArms) this.trustMask[a] = 1;
    this.armCosts = new Float64Array(k);
    this.mask = new Uint8Array(k);
    this.minEss = { ...defaultMinEffectiveSampleSize, ...options.minEffectiveSampleSize };
    this.phaseStart = this.optimizer.snapshot();
    this.onlineQuality = new BoundedMeanSequence((options.qualityAlpha ?? 0.1) / 2);
  }

  get phase(): RolloutPhase {
    return this.rollout.phase;
  }

  /** Logged rows of the current phase (OPE input). */
  get phaseRowCount(): number {
    return this.rows.length;
  }

  /**
   * Decides a request: budget mask over the trust-region arms (arm cost = prompt tokens + the arm's
   * max_tokens), then the optimizer with the learned policy confined to the trust region and the
   * server picked by the sticky split of `sessionKey`. A refused request gets no decision.
   */
  recommend(context: RequestContext, sessionKey: string): GuardedRecommendation {
    const now = this.options.clock.now();
    const arms = this.options.space.arms;
    for (let a = 0; a < arms.length; a++) this.armCosts[a] = context.promptTokens + (arms[a]!.params.maxTokens ?? 4096);
    this.budget.expireWaivers(now);
    // Only trust-region arms are allowed, so a budget fallback (the cheapest allowed arm) stays in it too.
    const budget = this.budget.eligibility(context.taskType, now, this.armCosts, this.mask, this.options.space.trustRegionArms);
    if (budget.action === 'refuse') return { kind: 'refused', message: budget.message ?? `token budget for ${context.taskType} exhausted`, budget };
    const servedBy = this.rollout.servedBy(sessionKey);
    this.nextWaivers = budget.waivers;
    this.nextSessionKey = sessionKey;
    const decision = this.optimizer.recommend(context, { eligible: this.mask, learnedEligible: this.trustMask, servedBy });
    this.rollout.recordDecision();
    this.servedByRequest.set(decision.requestId, { servedBy, taskType: context.taskType, context, sessionKey });
    this.lastTaskType = context.taskType;
    return { kind: 'decision', decision, budget };
  }

  /** Records an outcome: learning, budget, drift, the SLO monitor (rollback on a breach) and, when due, the gate. */
  recordOutcome(requestId: string, outcome: Outcome): GuardedOutcome {
    const meta = this.servedByRequest.get(requestId);
    if (!meta) throw new Error(`no pending guarded decision with request id ${requestId}`);
    const recorded = this.optimizer.recordOutcome(requestId, outcome);
    this.servedByRequest.delete(requestId);
    const now = this.options.clock.now();
    const { decision, report } = recorded;
    const result: GuardedOutcome = { ...recorded, servedBy: meta.servedBy, events: [] };
    // A decision made in an earlier phase is not evidence about this one.
    const samePhase = decision.phase === this.rollout.phase;
    if (samePhase) this.rollout.recordOutcome(meta.servedBy);
    this.budget.recordUsage(meta.taskType, outcome.tokensIn + outcome.tokensOut, now, requestId);
    this.drift.observeContext(decision.contextFeatures);
    const alarm = this.drift.observeReward(report.reward, now);
    if (alarm) result.drift = alarm;
    if (samePhase) {
      this.rows.push({
        context: decision.contextFeatures,
        armIndex: decision.armIndex,
        propensity: decision.propensity,
        loggingProbabilities: decision.probabilities,
        reward: report.reward,
        quality: outcome.quality,
        servedBy: meta.servedBy,
        taskType: meta.taskType,
        sessionKey: meta.sessionKey,
        ...(decision.eligibleArms ? { eligible: maskOfArms(decision.eligibleArms, this.trustMask.length) } : {}),
      });
      if (meta.servedBy === 'learned') this.onlineQuality.push(Math.min(1, Math.max(0, outcome.quality)));
    }
    const breach = this.monitor.observe(meta.servedBy, sloObservationOf(outcome), now);
    if (breach && this.rollout.phase !== 'shadow') {
      const { event, incident } = this.rollout.rollbackOnBreach(breach, now);
      this.incidents.push(incident);
      result.breach = breach;
      result.incident = incident;
      result.events.push(event);
      this.enterPhase();
      // Resume collecting evidence in the lower phase at once: the hold after a rollback is for a
      // person to look at the incident, which the caller may model by not resuming.
      return result;
    }
    // A breach without a learned share to roll back (shadow: late outcomes of an earlier phase): a new epoch.
    if (breach) this.monitor.restartEpoch();
    const verdictEvent = this.maybeEvaluate(now);
    if (verdictEvent) {
      if (verdictEvent.verdict) result.verdict = verdictEvent.verdict;
      if (verdictEvent.event) result.events.push(verdictEvent.event);
    }
    return result;
  }

  /**
   * Runs the gate when the phase's minimum samples and duration are met and the interval has passed.
   * With the drift setting `pausePromotion`, a gate that falls due while a major population shift or
   * a reward alarm stands pauses the rollout instead (a verdict computed on one population says
   * little about another); at each later interval the pause ends by itself once the drift has
   * cleared, or when a person resumes.
   */
  private maybeEvaluate(now: number): { verdict?: GateVerdict; event?: RolloutEvent } | undefined {
    const phase = this.rollout.phase;
    const interval = this.options.gateIntervalMs ?? 86_400_000;
    if (this.pausedByDrift && this.rollout.status === 'paused') {
      if (now - this.lastGateAt < interval) return undefined;
      this.lastGateAt = now;
      if (this.drift.report().pausePromotion) return undefined;
      this.pausedByDrift = false;
      return { event: this.rollout.resume('drift', 'the drift that paused promotion has cleared', now) };
    }
    if (phase === 'general' || this.rollout.status === 'paused' || this.rollout.status === 'rolledBack') return undefined;
    const settings = this.rollout.config.phases[phase];
    const startedAt = this.rollout.toJSON().phaseStartedAt;
    const timeMet = now - startedAt >= settings.minDurationDays * 86_400_000;
    const samplesMet = this.rollout.samplesInPhase >= settings.minSamples;
    if (!timeMet || !samplesMet) {
      // Without the gate the manager can still declare the phase inconclusive at its deadline.
      const event = this.rollout.evaluate(now, undefined);
      return event ? { verdict: { phase, passed: false, checks: [], summary: 'minimums not met' }, event } : undefined;
    }
    // Each look spends part of the false-promotion rate, so looks are spaced by evidence, not by
    // days: the next one waits until the scored rows have grown by the growth factor. Meanwhile the
    // phase can still be declared inconclusive at its deadline.
    if (now - this.lastGateAt < interval || this.rows.length < this.rowsAtLastLook * (this.options.gateLookGrowth ?? 1.5)) {
      const event = this.rollout.status === 'running' ? this.rollout.evaluate(now, undefined) : undefined;
      return event ? { event } : undefined;
    }
    this.lastGateAt = now;
    const drift = this.drift.report();
    if (drift.pausePromotion) {
      this.pausedByDrift = true;
      return { event: this.rollout.pause('drift', `promotion paused: ${drift.warnings.join(' ')}`, now) };
    }
    this.looks++;
    this.rowsAtLastLook = this.rows.length;
    const verdict = evaluateGate(this.gateEvidence(now), { ...this.options.gate, minEffectiveSampleSize: this.minEss[phase] });
    this.verdicts.push(verdict);
    const event = this.rollout.evaluate(now, verdict);
    if (event?.kind === 'promote') this.enterPhase();
    return event ? { verdict, event } : { verdict };
  }

  /**
   * The gate's evidence from the current phase's rows: a candidate frozen at a time split and scored
   * on the later rows against the baseline arm (promotionEvidence.ts), at the level this look spends;
   * quality from a DR bound in shadow and from the learned-served outcomes' time-uniform bound after.
   */
  gateEvidence(now: number): GateEvidence {
    const phase = this.rollout.phase;
    const o = this.options;
    const gate = gateConfigSchema.parse(o.gate ?? {});
    const level = lookLevel(gate.falsePromotionRate, Math.max(1, this.looks), gate.plannedLooks);
    const scored = frozenCandidateEvidence(this.rows, {
      phaseStart: this.phaseStart,
      copyPolicy: (snapshot) => this.optimizer.learnedCopy(snapshot),
      featureMap: this.optimizer.map,
      trustMask: this.trustMask,
      baselineArm: o.space.baselineArm,
      rng: o.rng,
      level,
      qualityLevel: o.offPolicyQualityLevel ?? 0.05,
      trainFraction: { ...defaultCandidateTrainFraction, ...o.candidateTrainFraction }[phase],
      maxEvaluatedRows: o.maxOpeRows ?? 600,
    });
    let quality: GateEvidence['quality'];
    if (phase === 'shadow') {
      // No learned outcome yet: the frozen candidate's off-policy quality bound.
      quality = scored.quality;
    } else {
      const b = this.onlineQuality.bounds();
      quality = { mean: b.mean, lower: b.n > 0 ? b.lower : Number.NEGATIVE_INFINITY, n: b.n };
    }
    const budget = this.budget.status(this.lastTaskType, now);
    return {
      phase,
      samples: this.rollout.samplesInPhase,
      minSamples: this.rollout.config.phases[phase].minSamples,
      effectiveSampleSize: scored.effectiveSampleSize,
      candidateArms: scored.candidateArms,
      trustRegion: spaceTrustRegion(o.space),
      quality,
      value: { ...scored.value, look: Math.max(1, this.looks) },
      candidateMassOffSupport: scored.candidateMassOffSupport,
      budget: { exhausted: budget.exhausted, remaining: budget.remaining },
    };
  }

  /** Manual promotion (recorded with who and why), e.g. to start a candidate in canary. */
  promote(actor: string, reason: string): RolloutEvent {
    const event = this.rollout.promote(actor, reason, this.options.clock.now());
    this.enterPhase();
    return event;
  }

  /** Ends a hold: after a rollback (a person looked at the incident) or a drift pause (see maybeEvaluate). */
  resume(actor: string, reason: string): RolloutEvent {
    const event = this.rollout.resume(actor, reason, this.options.clock.now());
    if (this.pausedByDrift) {
      // A person resuming a drift pause accepts the population as it now is.
      this.pausedByDrift = false;
      this.drift.acknowledgeRewardAlarm();
      this.drift.resetReference();
    }
    return event;
  }

  /**
   * After a phase change: the optimizer serves with the new share, the phase's evidence starts
   * afresh, and so does the SLO test epoch (both streams over the same window; the baseline's carried
   * over into a phase where it serves nothing).
   */
  private enterPhase(): void {
    this.optimizer.setPhase(this.rollout.phase);
    this.monitor.restartEpoch(this.rollout.share >= 1);
    this.rows = [];
    this.phaseStart = this.optimizer.snapshot();
    this.looks = 0;
    this.rowsAtLastLook = 0;
    this.onlineQuality = new BoundedMeanSequence((this.options.qualityAlpha ?? 0.1) / 2);
    this.lastGateAt = Number.NEGATIVE_INFINITY;
  }

}
