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
 * Its settings and their defaults for one developer, with the reasons, are in guardedOptions.ts.
 */
import { AuditLog } from './safety/audit';
import { BudgetTracker, type Waiver, type WaiverProposal } from './safety/budget';
import { DriftDetector, type DriftReport } from './safety/drift';
import type { OptimizerEvent, OptimizerEvents } from './events';
import { contextFeatureNames } from './features';
import type { GateEvidence, GateVerdict } from './safety/gates';
import { defaultMinEffectiveSampleSize, guardedSloDefaults, type GuardedOptions, type GuardedOutcome, type GuardedRecommendation, type RecommendArmOptions } from './guardedOptions';
import { GateBook, type GateLook, type GuardedState } from './guardedState';
import { LLMParameterOptimizer, type ProviderMapping } from './optimizer';
import type { PolicySettings } from './policies';
import { armsOfMask, maskOfArms } from './safety/promotionEvidence';
import { gateEvidence, runGateIfDue, type GateParts } from './safety/promotionGate';
import { computeReward } from './reward';
import { RolloutManager, type RolloutEvent } from './safety/rollout';
import { SloMonitor, sloObservationOf, type SloBreach } from './safety/slo';
import type { Decision, Outcome, RequestContext, RewardReport, RolloutPhase } from './types';


/** Rows the gate keeps per phase: the 600 it scores and as many to train on; older ones are folded in. */
const maxGateRows = 1200;


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
  private readonly gate: GateParts;

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
    this.gate = {
      rollout: this.rollout,
      book: this.book,
      drift: this.drift,
      budget: this.budget,
      optimizer: this.optimizer,
      options,
      minEss: this.minEss,
      trustMask: this.trustMask,
      look: (look) => this.look(look),
      rolloutEvent: (event) => this.rolloutEvent(event),
    };
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
   *
   * `allowedArms` narrows the arms further for this request (those the request's model can be
   * served with, one per group the model cannot tell apart); the baseline arm stays allowed. The
   * mask is logged with the decision, so off-policy evaluation scores a candidate under it.
   */
  recommend(context: RequestContext, sessionKey: string, options: RecommendArmOptions = {}): GuardedRecommendation {
    const now = this.options.clock.now();
    const arms = this.options.space.arms;
    for (let a = 0; a < arms.length; a++) this.armCosts[a] = context.promptTokens + (arms[a]!.params.maxTokens ?? 4096);
    for (const waiver of this.budget.expireWaivers(now)) this.emit({ type: 'waiver', timestamp: now, waiver: structuredClone(waiver) });
    // Only trust-region arms are allowed, so a budget fallback (the cheapest allowed arm) stays in it too.
    const allowed = options.allowedArms ? this.allowedTrustRegionArms(options.allowedArms) : this.options.space.trustRegionArms;
    const budget = this.budget.eligibility(context.taskType, now, this.armCosts, this.mask, allowed);
    if (budget.action === 'refuse') return { kind: 'refused', message: budget.message ?? `token budget for ${context.taskType} exhausted`, budget };
    const servedBy = this.rollout.servedBy(sessionKey);
    const decision = this.optimizer.recommend(context, { eligible: this.mask, learnedEligible: this.trustMask, servedBy });
    decision.waivers = [...budget.waivers];
    decision.sessionKey = sessionKey;
    const eligibleArms = armsOfMask(this.mask);
    if (eligibleArms) decision.eligibleArms = eligibleArms;
    return { kind: 'decision', decision, budget };
  }

  /** The trust-region arms among `allowedArms`, with the baseline arm always among them. */
  private allowedTrustRegionArms(allowedArms: readonly number[]): number[] {
    const k = this.trustMask.length;
    const baseline = this.options.space.baselineArm;
    const out: number[] = [];
    const seen = new Uint8Array(k);
    for (const a of allowedArms) {
      if (!Number.isInteger(a) || a < 0 || a >= k) throw new RangeError(`allowed arm ${a} is not an arm of this space (0..${k - 1})`);
      if (this.trustMask[a] && !seen[a]) {
        seen[a] = 1;
        out.push(a);
      }
    }
    if (!seen[baseline]) out.push(baseline);
    return out.sort((x, y) => x - y);
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
    const gate = runGateIfDue(this.gate, now);
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
        this.budget.noteAuditEntry(event.entry);
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

  /** The gate's evidence now, at the level look `look` of the phase spends (promotionGate.ts). */
  gateEvidence(now: number, look?: number): GateEvidence {
    return gateEvidence(this.gate, now, look);
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

  /**
   * Starts the learned policy over from its prior (who and why in the audit log): back to shadow
   * first when it serves traffic, the gate's evidence restarted, then a checkpoint, so that a
   * restore starts from the reset policy rather than relearning what came before.
   */
  resetPolicy(actor: string, reason: string): { event?: RolloutEvent; policyVersion: number } {
    const now = this.options.clock.now();
    const event = this.rollout.phase === 'shadow' ? undefined : this.rollback(actor, `policy reset: ${reason}`, 'shadow');
    const before = this.optimizer.learned.version;
    this.optimizer.restore(this.optimizer.priorSnapshot());
    this.book.restart(this.optimizer.learnedCopy(this.optimizer.snapshot()));
    this.audit.append(now, 'policy.reset', actor, { reason, forgottenUpdates: before, phase: this.rollout.phase });
    this.checkpoint();
    return { ...(event ? { event } : {}), policyVersion: this.optimizer.learned.version };
  }

  /** Stops promotion until resumed (traffic stays as it is). */
  pause(actor: string, reason: string): RolloutEvent {
    return this.rolloutEvent(this.rollout.pause(actor, reason, this.options.clock.now()));
  }

  /** Ends a hold: after a rollback (a person looked at the incident) or a pause (a drift pause too, see promotionGate.ts). */
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
