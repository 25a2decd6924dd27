/**
 * GuardedOptimizer (ARCHITECTURE.md §"Statistics"): the optimizer with its safety machinery around it. Per request the
 * token budget decides which arms may be used, the trust region confines the learned policy, and the
 * rollout's sticky split says who serves; per outcome the SLO monitor may roll back at once; now and
 * then (not every request: OPE is costly) the promotion gate looks at off-policy evidence from the
 * current phase's logged rows. Pure: the clock and the seed are injected; the same seed gives the same run.
 *
 * Every change of state goes out as an event (events.ts) and `apply(event)` makes the same change
 * from a logged one, so the state is a function of the log: `toJSON()` is a checkpoint, and a new
 * optimizer given a checkpoint plus the events logged after it, or all the events from the start,
 * equals the one that wrote them. The live operations compute what happens (a rollback, a gate
 * verdict), emit it, and change state through the same code `apply` uses.
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
import { AuditLog, type AuditEntry } from './safety/audit';
import { BudgetTracker, type BudgetConfigInput, type BudgetEligibility, type Waiver, type WaiverProposal } from './safety/budget';
import { DriftDetector, type DriftConfigInput, type DriftReport } from './safety/drift';
import type { OptimizerEvent, OptimizerEvents } from './events';
import { contextFeatureNames } from './features';
import { evaluateGate, gateConfigSchema, lookLevel, spaceTrustRegion, type GateConfigInput, type GateEvidence, type GateVerdict } from './safety/gates';
import { GateBook, type GateLook, type GuardedState } from './guardedState';
import { streamRng } from './math/random';
import { LLMParameterOptimizer, type Clock, type ProviderMapping, type RecordedOutcome } from './optimizer';
import type { PolicyKind, PolicySettings } from './policies';
import { armsOfMask, frozenCandidateEvidence, maskOfArms } from './safety/promotionEvidence';
import { computeReward, type RewardSettings } from './reward';
import { RolloutManager, type RolloutConfigInput, type RolloutEvent } from './safety/rollout';
import { SloMonitor, sloObservationOf, type Incident, type SloBreach, type SloConfigInput } from './safety/slo';
import type { ParameterSpace } from './space';
import type { Decision, Outcome, RequestContext, RewardReport, RolloutPhase, ServedBy } from './types';

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

/** Rows the gate keeps per phase: the 600 it scores and as many to train on; older ones are folded in. */
const maxGateRows = 1200;

/** Salt of the gate's random streams, apart from the decisions'. */
const gateStreamSalt = 0x6a7e5eed;

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
  readonly audit: AuditLog;
  private readonly options: GuardedOptions;
  private readonly trustMask: Uint8Array;
  private readonly armCosts: Float64Array;
  private readonly mask: Uint8Array;
  private readonly minEss: Record<RolloutPhase, number>;
  private readonly book: GateBook;

  constructor(options: GuardedOptions, state?: GuardedState) {
    this.options = options;
    const now = options.clock.now();
    this.rollout = new RolloutManager(options.rollout ?? {}, now, state?.rollout);
    const phases = this.rollout.config.phases;
    const k = options.space.arms.length;
    const policySettings: PolicySettings = { ...options.policySettings, baseline: { exploration: options.baselineExploration ?? 0.3 } };
    this.optimizer = new LLMParameterOptimizer({
      space: options.space,
      policyKind: options.policyKind,
      policySettings,
      rewardSettings: options.rewardSettings,
      ...(options.events ? { events: options.events } : {}),
      clock: options.clock,
      seed: options.seed,
      phase: this.rollout.phase,
      // The rollout config is the single source of the phase shares.
      learnedShare: { shadow: phases.shadow.trafficShare, canary: phases.canary.trafficShare, guarded: phases.guarded.trafficShare, general: phases.general.trafficShare },
      ...(options.rewardWaitMs !== undefined ? { rewardWaitMs: options.rewardWaitMs } : {}),
      ...(options.requestIdNonce !== undefined ? { requestIdNonce: options.requestIdNonce } : {}),
    });
    this.monitor = new SloMonitor(options.slo ?? guardedSloDefaults);
    const auditHead = state?.audit ?? options.auditHead;
    const keep = options.keepAuditEntries ?? true;
    this.audit = auditHead ? AuditLog.fromHead(auditHead) : new AuditLog([], { keepEntries: keep });
    this.audit.onAppend = (entry) => this.emit({ type: 'audit', entry });
    this.budget = new BudgetTracker(options.budget ?? {}, this.audit, state?.budget);
    this.drift = new DriftDetector(contextFeatureNames, options.drift ?? {});
    this.trustMask = new Uint8Array(k);
    for (const a of options.space.trustRegionArms) this.trustMask[a] = 1;
    this.armCosts = new Float64Array(k);
    this.mask = new Uint8Array(k);
    this.minEss = { ...defaultMinEffectiveSampleSize, ...options.minEffectiveSampleSize };
    if (state && state.seed !== options.seed) throw new Error(`the checkpoint was written with seed ${state.seed}, not ${options.seed}`);
    this.book = new GateBook(this.optimizer.learnedCopy(state?.gate.phaseStart ?? this.optimizer.snapshot()), (options.qualityAlpha ?? 0.1) / 2, maxGateRows);
    if (state) {
      this.optimizer.restoreState(state.optimizer);
      this.monitor.restore(state.monitor);
      this.drift.restore(state.drift);
      this.book.restore(state.gate);
    }
  }

  get phase(): RolloutPhase {
    return this.rollout.phase;
  }

  /** Logged rows of the current phase (OPE input). */
  get phaseRowCount(): number {
    return this.book.rows.length;
  }

  /** The gate's last verdict (earlier ones are in the log). */
  get lastVerdict(): GateVerdict | undefined {
    return this.book.lastVerdict;
  }

  /** The whole state as plain data: a checkpoint (restore with `new GuardedOptimizer(options, state)`). */
  toJSON(): GuardedState {
    return {
      version: 1,
      seed: this.options.seed,
      armIds: this.options.space.arms.map((a) => a.id),
      optimizer: this.optimizer.toJSON(),
      rollout: this.rollout.toJSON(),
      monitor: this.monitor.toJSON(),
      budget: this.budget.toJSON(),
      audit: this.audit.head(),
      drift: this.drift.toJSON(),
      gate: this.book.toJSON(),
    };
  }

  /** Emits a checkpoint of the current state. */
  checkpoint(): GuardedState {
    const state = this.toJSON();
    this.emit({ type: 'checkpoint', timestamp: this.options.clock.now(), state });
    return state;
  }

  /** Sends every event from now on to `events` (e.g. a store, once restoring from it is done). */
  attachEvents(events: OptimizerEvents): void {
    this.options.events = events;
    this.optimizer.attachEvents(events);
  }

  private emit(event: OptimizerEvent): void {
    this.options.events?.emit(event);
  }

  /**
   * Decides a request: budget mask over the trust-region arms (arm cost = prompt tokens + the arm's
   * max_tokens), then the optimizer with the learned policy confined to the trust region and the
   * server picked by the sticky split of `sessionKey`. A refused request gets no decision. The
   * decision is not logged until `logDecision` (its request sent).
   */
  recommend(context: RequestContext, sessionKey: string): GuardedRecommendation {
    const now = this.options.clock.now();
    const arms = this.options.space.arms;
    for (let a = 0; a < arms.length; a++) this.armCosts[a] = context.promptTokens + (arms[a]!.params.maxTokens ?? 4096);
    for (const waiver of this.budget.expireWaivers(now)) this.emit({ type: 'waiver', timestamp: now, waiver: structuredClone(waiver) });
    // Only trust-region arms are allowed, so a budget fallback (the cheapest allowed arm) stays in it too.
    const budget = this.budget.eligibility(context.taskType, now, this.armCosts, this.mask, this.options.space.trustRegionArms);
    if (budget.action === 'refuse') return { kind: 'refused', message: budget.message ?? `token budget for ${context.taskType} exhausted`, budget };
    const servedBy = this.rollout.servedBy(sessionKey);
    const decision = this.optimizer.recommend(context, { eligible: this.mask, learnedEligible: this.trustMask, servedBy });
    decision.waivers = [...budget.waivers];
    decision.sessionKey = sessionKey;
    const eligibleArms = armsOfMask(this.mask);
    if (eligibleArms) decision.eligibleArms = eligibleArms;
    return { kind: 'decision', decision, budget };
  }

  /** Logs a decision once its request was sent, with what the provider did with its parameters. */
  logDecision(requestId: string, mapping: ProviderMapping = {}): Decision {
    const decision = this.optimizer.logDecision(requestId, mapping);
    this.afterDecision(decision);
    return decision;
  }

  /** What logging a decision changes besides the optimizer: the phase's decision count. */
  private afterDecision(decision: Decision): void {
    if (decision.phase === this.rollout.phase) this.rollout.recordDecision();
    if (decision.taskType) this.book.lastTaskType = decision.taskType;
  }

  /**
   * Records an outcome (its `timestamp` is when it came back: the time of its effects): learning,
   * budget, drift, the SLO monitor (rollback on a breach) and, when due, the gate.
   */
  recordOutcome(requestId: string, outcome: Outcome): GuardedOutcome {
    const decision = this.optimizer.pendingDecision(requestId);
    if (!decision) throw new Error(`no logged decision waiting for an outcome with request id ${requestId}`);
    if (outcome.requestId !== requestId) throw new Error(`outcome carries request id ${outcome.requestId}, expected ${requestId}`);
    const report = computeReward(outcome, this.options.rewardSettings);
    this.emit({ type: 'outcome', outcome, report });
    const { breach, drift } = this.applyOutcome(outcome, report, true);
    const now = outcome.timestamp;
    const result: GuardedOutcome = { decision, report, servedBy: decision.servedBy, events: [] };
    if (drift) result.drift = drift;
    if (breach && this.rollout.phase !== 'shadow') {
      const { event, incident } = this.rollout.rollbackOnBreach(breach, now);
      this.emit({ type: 'rollout', event });
      this.emit({ type: 'incident', incident });
      this.afterRolloutEvent(event);
      result.breach = breach;
      result.incident = incident;
      result.events.push(event);
      // Resume collecting evidence in the lower phase at once: the hold after a rollback is for a
      // person to look at the incident, which the caller may model by not resuming.
      return result;
    }
    const gate = this.maybeEvaluate(now);
    if (gate?.verdict) result.verdict = gate.verdict;
    if (gate?.event) result.events.push(gate.event);
    return result;
  }

  /**
   * An outcome's effects, shared by the live path and a replay: the optimizer learns, and for a real
   * (not defaulted) outcome the budget, the drift detector, the phase's evidence and the SLO monitor
   * see it. A breach in shadow (late outcomes of an earlier phase) only starts a new test epoch; a
   * breach elsewhere is returned (live: the rollback follows; replay: the logged rollback follows).
   */
  private applyOutcome(outcome: Outcome, report: RewardReport, live: boolean): { breach?: SloBreach; drift?: DriftReport['rewardAlarm'] } {
    const decision = this.optimizer.applyOutcome(outcome, report);
    if (outcome.defaulted === true) return {};
    const now = outcome.timestamp;
    const servedBy = decision.servedBy;
    // A decision made in an earlier phase is not evidence about this one.
    const samePhase = decision.phase === this.rollout.phase;
    if (samePhase) this.rollout.recordOutcome(servedBy);
    const taskType = decision.taskType ?? 'planTask';
    const tokens = outcome.tokensIn + outcome.tokensOut;
    if (live) this.budget.recordUsage(taskType, tokens, now, outcome.requestId);
    else this.budget.applyUsage(taskType, tokens, now);
    this.drift.observeContext(decision.contextFeatures);
    const drift = this.drift.observeReward(report.reward, now);
    if (samePhase && this.rollout.phase !== 'general') {
      this.book.addRow({
        context: decision.contextFeatures,
        armIndex: decision.armIndex,
        propensity: decision.propensity,
        loggingProbabilities: decision.probabilities,
        reward: report.reward,
        quality: outcome.quality,
        servedBy,
        taskType,
        ...(decision.sessionKey !== undefined ? { sessionKey: decision.sessionKey } : {}),
        ...(decision.eligibleArms ? { eligible: maskOfArms(decision.eligibleArms, this.trustMask.length) } : {}),
      });
      if (servedBy === 'learned') this.book.onlineQuality.push(Math.min(1, Math.max(0, outcome.quality)));
    }
    const breach = this.monitor.observe(servedBy, sloObservationOf(outcome), now);
    if (breach && this.rollout.phase === 'shadow') {
      this.monitor.restartEpoch();
      return drift ? { drift } : {};
    }
    return { ...(breach ? { breach } : {}), ...(drift ? { drift } : {}) };
  }

  /**
   * Applies a logged event: the state becomes what it was right after the event was emitted. Events
   * must come in the order they were logged; a checkpoint replaces the whole state.
   */
  apply(event: OptimizerEvent): void {
    switch (event.type) {
      case 'decision':
        this.optimizer.applyDecision(structuredClone(event.decision));
        this.afterDecision(event.decision);
        return;
      case 'outcome':
        this.applyOutcome(event.outcome, event.report, false);
        return;
      case 'rollout':
        this.rollout.applyEvent(event.event);
        this.afterRolloutEvent(event.event);
        return;
      case 'incident':
        this.rollout.countIncident();
        return;
      case 'gateLook':
        this.book.recordLook(event.look);
        return;
      case 'waiver':
        this.budget.applyWaiver(event.waiver);
        return;
      case 'audit':
        this.audit.applyEntry(event.entry);
        return;
      case 'checkpoint':
        throw new Error('a checkpoint is restored by constructing an optimizer from it, not applied');
    }
  }

  /**
   * What a rollout event changes besides the rollout manager: a phase change serves with the new
   * share, starts the phase's evidence afresh and a new SLO test epoch (both streams over the same
   * window; the baseline's carried over into a phase where it serves nothing); a drift pause and its
   * end; a person resuming a drift pause accepts the population as it now is.
   */
  private afterRolloutEvent(event: RolloutEvent): void {
    if (event.kind === 'promote' || event.kind === 'rollback') {
      this.optimizer.setPhase(this.rollout.phase);
      this.monitor.restartEpoch(this.rollout.share >= 1);
      this.book.restart(this.optimizer.learnedCopy(this.optimizer.snapshot()));
      this.book.pausedByDrift = false;
      return;
    }
    if (event.kind === 'pause' && event.actor === 'drift') this.book.pausedByDrift = true;
    if (event.kind === 'resume' && this.book.pausedByDrift) {
      this.book.pausedByDrift = false;
      if (event.actor !== 'drift') {
        this.drift.acknowledgeRewardAlarm();
        this.drift.resetReference();
      }
    }
  }

  /** Emits and applies a gate look. */
  private look(look: GateLook): void {
    this.emit({ type: 'gateLook', look });
    this.book.recordLook(look);
  }

  /** Emits a rollout event the manager just made, and applies its other effects. */
  private rolloutEvent(event: RolloutEvent): RolloutEvent {
    this.emit({ type: 'rollout', event });
    this.afterRolloutEvent(event);
    return event;
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
    const book = this.book;
    if (book.pausedByDrift && this.rollout.status === 'paused') {
      if (now - book.lastGateAt < interval) return undefined;
      this.look({ timestamp: now, phase, kind: 'driftCheck', rows: book.rowsSeen });
      if (this.drift.report().pausePromotion) return undefined;
      return { event: this.rolloutEvent(this.rollout.resume('drift', 'the drift that paused promotion has cleared', now)) };
    }
    if (phase === 'general' || this.rollout.status === 'paused' || this.rollout.status === 'rolledBack') return undefined;
    const settings = this.rollout.config.phases[phase];
    const startedAt = this.rollout.toJSON().phaseStartedAt;
    const timeMet = now - startedAt >= settings.minDurationDays * 86_400_000;
    const samplesMet = this.rollout.samplesInPhase >= settings.minSamples;
    if (!timeMet || !samplesMet) {
      // Without the gate the manager can still declare the phase inconclusive at its deadline.
      const event = this.rollout.evaluate(now, undefined);
      return event ? { verdict: { phase, passed: false, checks: [], summary: 'minimums not met' }, event: this.rolloutEvent(event) } : undefined;
    }
    // Each look spends part of the false-promotion rate, so looks are spaced by evidence, not by
    // days: the next one waits until the phase's rows have grown by the growth factor. Meanwhile the
    // phase can still be declared inconclusive at its deadline.
    if (now - book.lastGateAt < interval || book.rowsSeen < book.rowsAtLastLook * (this.options.gateLookGrowth ?? 1.5)) {
      const event = this.rollout.status === 'running' ? this.rollout.evaluate(now, undefined) : undefined;
      return event ? { event: this.rolloutEvent(event) } : undefined;
    }
    const drift = this.drift.report();
    if (drift.pausePromotion) {
      this.look({ timestamp: now, phase, kind: 'driftCheck', rows: book.rowsSeen });
      return { event: this.rolloutEvent(this.rollout.pause('drift', `promotion paused: ${drift.warnings.join(' ')}`, now)) };
    }
    const evidence = this.gateEvidence(now, book.looks + 1);
    const verdict = evaluateGate(evidence, { ...this.options.gate, minEffectiveSampleSize: this.minEss[phase] });
    this.look({ timestamp: now, phase, kind: 'look', rows: book.rowsSeen, verdict });
    const event = this.rollout.evaluate(now, verdict);
    return event ? { verdict, event: this.rolloutEvent(event) } : { verdict };
  }

  /**
   * The gate's evidence from the current phase's rows: a candidate frozen at a time split and scored
   * on the later rows against the baseline arm (promotionEvidence.ts), at the level look `look`
   * spends; quality from a DR bound in shadow and from the learned-served outcomes' time-uniform bound
   * after. Its randomness is the look's own stream.
   */
  gateEvidence(now: number, look = Math.max(1, this.book.looks)): GateEvidence {
    const phase = this.rollout.phase;
    const o = this.options;
    const gate = gateConfigSchema.parse(o.gate ?? {});
    const level = lookLevel(gate.falsePromotionRate, look, gate.plannedLooks);
    const scored = frozenCandidateEvidence(this.book.rows, {
      phaseStart: this.book.phaseStart.snapshot(),
      copyPolicy: (snapshot) => this.optimizer.learnedCopy(snapshot),
      featureMap: this.optimizer.map,
      trustMask: this.trustMask,
      baselineArm: o.space.baselineArm,
      rng: streamRng(o.seed ^ gateStreamSalt, this.book.totalLooks),
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
      const b = this.book.onlineQuality.bounds();
      quality = { mean: b.mean, lower: b.n > 0 ? b.lower : Number.NEGATIVE_INFINITY, n: b.n };
    }
    const budget = this.budget.status(this.book.lastTaskType, now);
    return {
      phase,
      samples: this.rollout.samplesInPhase,
      minSamples: this.rollout.config.phases[phase].minSamples,
      effectiveSampleSize: scored.effectiveSampleSize,
      candidateArms: scored.candidateArms,
      trustRegion: spaceTrustRegion(o.space),
      quality,
      value: { ...scored.value, look },
      candidateMassOffSupport: scored.candidateMassOffSupport,
      budget: { exhausted: budget.exhausted, remaining: budget.remaining },
    };
  }

  /**
   * Teaches the policies a logged outcome again without logging anything: rebuilding them when the
   * parameter space changed under a log (the arm found by its id in the new space).
   */
  relearn(contextFeatures: readonly number[], armIndex: number, reward: number): void {
    const x = Float64Array.from(contextFeatures);
    this.optimizer.learned.update(x, armIndex, reward);
    this.optimizer.baseline.update(x, armIndex, reward);
  }

  /** Manual promotion (recorded with who and why), e.g. to start a candidate in canary. */
  promote(actor: string, reason: string): RolloutEvent {
    return this.rolloutEvent(this.rollout.promote(actor, reason, this.options.clock.now()));
  }

  /** Manual rollback (to the previous phase, or to shadow), recorded with who and why. */
  rollback(actor: string, reason: string, to?: 'previous' | 'shadow'): RolloutEvent {
    return this.rolloutEvent(this.rollout.rollback(actor, reason, this.options.clock.now(), {}, to));
  }

  /** Stops promotion until resumed (traffic stays as it is). */
  pause(actor: string, reason: string): RolloutEvent {
    return this.rolloutEvent(this.rollout.pause(actor, reason, this.options.clock.now()));
  }

  /** Ends a hold: after a rollback (a person looked at the incident) or a pause (a drift pause too, see maybeEvaluate). */
  resume(actor: string, reason: string): RolloutEvent {
    return this.rolloutEvent(this.rollout.resume(actor, reason, this.options.clock.now()));
  }

  /** Proposes a budget waiver (it raises nothing until activated). */
  proposeWaiver(proposal: WaiverProposal, requestedBy: string): Waiver {
    const now = this.options.clock.now();
    const waiver = this.budget.proposeWaiver(proposal, requestedBy, now);
    this.emit({ type: 'waiver', timestamp: now, waiver: structuredClone(waiver) });
    return waiver;
  }

  /** Activates a proposed waiver; the approver is recorded. */
  activateWaiver(id: string, approver: string): Waiver {
    const now = this.options.clock.now();
    const waiver = this.budget.activateWaiver(id, approver, now);
    this.emit({ type: 'waiver', timestamp: now, waiver: structuredClone(waiver) });
    return waiver;
  }

  /** Revokes a proposed or active waiver, with who and why. */
  revokeWaiver(id: string, actor: string, reason: string): Waiver {
    const now = this.options.clock.now();
    const waiver = this.budget.revokeWaiver(id, actor, reason, now);
    this.emit({ type: 'waiver', timestamp: now, waiver: structuredClone(waiver) });
    return waiver;
  }

  /**
   * Gives the default reward (marked `defaulted`) to logged decisions whose outcome did not come
   * within the reward wait time; each such outcome is logged like any other, so it happens once,
   * across restarts too. Returns the decisions closed.
   */
  expirePending(): Decision[] {
    return this.optimizer.expirePending();
  }
}

export type { AuditEntry };
