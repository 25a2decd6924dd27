/**
 * LLMParameterOptimizer (ARCHITECTURE.md §"How a request flows"): `recommend(context)` answers a
 * Decision with the exact propensity of the served arm; `logDecision(requestId, mapping)` records it
 * once the provider has mapped it (what was honoured is part of the record); `recordOutcome` joins
 * the outcome to its decision, turns it into a reward and updates the learned policy. Pure: the clock
 * and the seed are handed in, records go out through one event port; the same seed and inputs give
 * the same decisions. Decision n draws from its own random stream (seed, n), so the state of the
 * randomness is the count of decisions, which a log restores.
 */
import { actionFeatures, contextFeatureNames, contextFeatures, contextFingerprint } from './features';
import { createPolicy, disjointFeatureMap, sharedFeatureMap, type FeatureMapKind, type JointFeatureMap, type Policy, type PolicyKind, type PolicySettings, type PolicySnapshot } from './policies';
import { plainArray } from './math/linalg';
import { sampleIndex, streamRng, type Rng } from './math/random';
import type { OptimizerEvents } from './events';
import { computeReward, type RewardSettings } from './reward';
import { mixtureProbabilities, shadowRecord } from './safety/rollout';
import type { ParameterSpace } from './space';
import { rolloutPhases, type Decision, type Outcome, type RequestContext, type RewardReport, type RolloutPhase } from './types';

/** The clock port: milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

/** Share of requests the learned policy serves in each phase (ARCHITECTURE.md §"Statistics" defaults). */
export const defaultLearnedShare: Record<RolloutPhase, number> = { shadow: 0, canary: 0.05, guarded: 0.25, general: 1 };

export interface OptimizerOptions {
  space: ParameterSpace;
  policyKind: Exclude<PolicyKind, 'baseline'> | 'baseline';
  policySettings: PolicySettings;
  rewardSettings: RewardSettings;
  /** Where logged decisions and outcomes go (none: they are not recorded). */
  events?: OptimizerEvents;
  clock: Clock;
  /** Seed of the decisions' random streams. */
  seed: number;
  phase?: RolloutPhase;
  learnedShare?: Partial<Record<RolloutPhase, number>>;
  /** After this long without an outcome, `expirePending` applies the default reward. */
  rewardWaitMs?: number;
  /** Reward given to a decision whose outcome never came, marked `defaulted`. */
  defaultReward?: number;
  /** Prior mean of the learned model's coefficients (see `knowledgePrior`). */
  priorMean?: ArrayLike<number>;
  /**
   * Prepended to every generated request id: a per-run nonce (e.g. 8 random hex digits from the
   * caller) keeps two runs with the same seed from generating the same ids into one log.
   */
  requestIdNonce?: string;
}

/** Per-request options of `recommend`. */
export interface RecommendOptions {
  /** One flag per arm: the arms allowed at all (e.g. by the token budget). */
  eligible?: Uint8Array;
  /** Further restricts the learned policy (e.g. to the trust region around the baseline). */
  learnedEligible?: Uint8Array;
  /**
   * Who serves, when a sticky traffic split decided it (rollout.ts); otherwise the optimizer draws
   * the split per request with the phase's share. Either way the logged vector is the mixture.
   */
  servedBy?: 'learned' | 'baseline';
  promptText?: string;
}

/** A decision waiting for its outcome; `logged` once the request was sent and the decision recorded. */
interface Pending {
  decision: Decision;
  features: Float64Array;
  logged: boolean;
}

/** What the provider did with a decision's parameters, known once the request is sent. */
export interface ProviderMapping {
  honouredParams?: Decision['honouredParams'];
  droppedParams?: Decision['droppedParams'];
  /** The model the provider actually used. */
  modelUsed?: string;
}

/** A logged decision still waiting for its outcome, as a checkpoint keeps it. */
export interface PendingState {
  decision: Decision;
}

/** The optimizer's whole state as plain data. */
export interface OptimizerState {
  learned: PolicySnapshot;
  baselineUpdates: number;
  /** The next decision's random stream. */
  nextStream: number;
  phase: RolloutPhase;
  pending: PendingState[];
}

/** The result of joining an outcome to its decision. */
export interface RecordedOutcome {
  decision: Decision;
  report: RewardReport;
}

export class LLMParameterOptimizer {
  readonly space: ParameterSpace;
  readonly map: JointFeatureMap;
  readonly learned: Policy;
  readonly baseline: Policy;
  private phaseValue: RolloutPhase;
  private readonly share: Record<RolloutPhase, number>;
  private readonly pending = new Map<string, Pending>();
  private readonly learnedProbabilities: Float64Array;
  private readonly baselineProbabilities: Float64Array;
  private readonly features: Float64Array;
  private readonly learnedMask: Uint8Array;
  private readonly mixture: Float64Array;
  private readonly options: OptimizerOptions;
  /** The next decision's random stream: one past every stream used so far, logged or not. */
  private nextStream = 0;

  constructor(options: OptimizerOptions) {
    this.options = options;
    this.space = options.space;
    const k = options.space.arms.length;
    this.map = buildFeatureMap(options.policySettings.featureMap, options.space);
    const baselineSpec = { baselineArm: options.space.baselineArm, trustRegionArms: options.space.trustRegionArms };
    this.learned = createPolicy(options.policyKind, this.map, options.policySettings, baselineSpec, options.priorMean);
    this.baseline = createPolicy('baseline', this.map, options.policySettings, baselineSpec);
    this.phaseValue = options.phase ?? 'shadow';
    this.share = { ...defaultLearnedShare, ...options.learnedShare };
    for (const phase of rolloutPhases) {
      const p = this.share[phase];
      if (!(p >= 0 && p <= 1)) throw new RangeError(`learned share of phase ${phase} is ${p}, not in [0, 1]`);
    }
    this.learnedProbabilities = new Float64Array(k);
    this.baselineProbabilities = new Float64Array(k);
    this.features = new Float64Array(contextFeatureNames.length);
    this.learnedMask = new Uint8Array(k);
    this.mixture = new Float64Array(k);
  }

  get phase(): RolloutPhase {
    return this.phaseValue;
  }

  /** Moves to another rollout phase (the rollout manager decides when). */
  setPhase(phase: RolloutPhase): void {
    this.phaseValue = phase;
  }

  /** Decisions still waiting for an outcome. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Chooses parameters for a request. `eligible` (one flag per arm) restricts the arms, e.g. to
   * those a budget allows. In shadow the baseline serves and the learned policy's would-be choice is
   * logged beside it; in the other phases the learned policy serves a share p of the requests and
   * the logged vector is the mixture (1 − p)·π_baseline + p·π_learned, the probability with which
   * each arm was actually drawn (ARCHITECTURE.md §"Statistics", Mixtures).
   */
  recommend(context: RequestContext, options: RecommendOptions = {}): Decision {
    const k = this.space.arms.length;
    const eligible = options.eligible ?? new Uint8Array(k).fill(1);
    const learnedEligible = options.learnedEligible ? intersect(eligible, options.learnedEligible, this.learnedMask) : eligible;
    const x = contextFeatures(context, this.features);
    const stream = this.nextStream++;
    const rng = streamRng(this.options.seed, stream);
    const p = this.share[this.phaseValue];
    // Both distributions first, in a fixed order, so the random stream does not depend on the split.
    this.learned.probabilities(x, learnedEligible, rng, this.learnedProbabilities);
    this.baseline.probabilities(x, eligible, rng, this.baselineProbabilities);
    const requestId = (this.options.requestIdNonce ?? '') + newRequestId(rng);
    const splitDraw = rng.next();
    const armDraw = rng.next();
    const servedBy = options.servedBy ?? (p > 0 && splitDraw < p ? 'learned' : 'baseline');
    if (servedBy === 'learned' && p === 0) throw new Error(`the learned policy cannot serve in phase ${this.phaseValue}, whose learned share is 0`);
    const served = servedBy === 'learned' ? this.learnedProbabilities : this.baselineProbabilities;
    const armIndex = sampleIndex(served, armDraw);
    const probabilities = plainArray(mixtureProbabilities(this.baselineProbabilities, this.learnedProbabilities, p, this.mixture));
    const arm = this.space.arms[armIndex]!;
    const decision: Decision = {
      requestId,
      timestamp: this.options.clock.now(),
      contextFeatures: plainArray(x),
      featureNames: decisionFeatureNames,
      contextFingerprint: contextFingerprint(x),
      armIndex,
      armId: arm.id,
      params: { ...arm.params },
      propensity: probabilities[armIndex]!,
      probabilities,
      policyId: this.learned.kind,
      policyVersion: this.learned.version,
      phase: this.phaseValue,
      servedBy,
      baselineArmIndex: this.space.baselineArm,
      taskType: context.taskType,
      randomStream: stream,
    };
    if (p === 0) {
      decision.shadow = shadowRecord(sampleIndex(this.learnedProbabilities, rng.next()), this.learnedProbabilities);
    }
    if (options.promptText !== undefined) decision.promptText = options.promptText;
    this.pending.set(requestId, { decision, features: x.slice(), logged: false });
    return decision;
  }

  /**
   * Records a decision once it is complete: the request was sent, and the provider's mapping (what
   * it honoured and dropped, the model it used) is known. Only a logged decision can take an
   * outcome. Returns the decision as logged.
   */
  logDecision(requestId: string, mapping: ProviderMapping = {}): Decision {
    const pending = this.pending.get(requestId);
    if (!pending) throw new Error(`no decision with request id ${requestId} to log (unknown, or its outcome was already recorded)`);
    if (pending.logged) throw new Error(`decision ${requestId} is already logged`);
    const decision = pending.decision;
    if (mapping.honouredParams !== undefined) decision.honouredParams = [...mapping.honouredParams];
    if (mapping.droppedParams !== undefined) decision.droppedParams = [...mapping.droppedParams];
    if (mapping.modelUsed !== undefined) decision.modelUsed = mapping.modelUsed;
    pending.logged = true;
    this.options.events?.emit({ type: 'decision', decision });
    return decision;
  }

  /** Sends logged decisions and outcomes to `events` from now on. */
  attachEvents(events: OptimizerEvents): void {
    this.options.events = events;
  }

  /** Replays a logged decision (restoring from a log): it waits for its outcome again. */
  applyDecision(decision: Decision): void {
    this.pending.set(decision.requestId, { decision, features: Float64Array.from(decision.contextFeatures), logged: true });
    if (decision.randomStream !== undefined && decision.randomStream >= this.nextStream) this.nextStream = decision.randomStream + 1;
  }

  /** The decision made under this id that waits, logged or not yet (its request not sent), if any. */
  heldDecision(requestId: string): Decision | undefined {
    return this.pending.get(requestId)?.decision;
  }

  /** The logged decision waiting under this id, if any. */
  pendingDecision(requestId: string): Decision | undefined {
    const pending = this.pending.get(requestId);
    return pending?.logged ? pending.decision : undefined;
  }

  /**
   * Joins an outcome to its decision, computes the reward and updates the learned policy (with the
   * outcome of every request, whichever policy served it: the regression is valid on any data).
   * Throws, changing nothing, for an unknown request id or an unusable outcome.
   */
  recordOutcome(requestId: string, outcome: Outcome): RecordedOutcome {
    const pending = this.pending.get(requestId);
    if (!pending) throw new Error(`no pending decision with request id ${requestId} (unknown, or its outcome was already recorded)`);
    if (!pending.logged) throw new Error(`decision ${requestId} was never logged (log it once its request is sent)`);
    if (outcome.requestId !== requestId) throw new Error(`outcome carries request id ${outcome.requestId}, expected ${requestId}`);
    const report = computeReward(outcome, this.options.rewardSettings);
    const decision = this.applyOutcome(outcome, report);
    this.options.events?.emit({ type: 'outcome', outcome, report });
    return { decision, report };
  }

  /**
   * Applies a scored outcome to its logged decision: the policies learn from it (a defaulted outcome
   * teaches nothing) and the decision stops waiting. The live path and a replay share it.
   */
  applyOutcome(outcome: Outcome, report: RewardReport): Decision {
    const pending = this.pending.get(outcome.requestId);
    if (!pending) throw new Error(`no pending decision with request id ${outcome.requestId} (unknown, or its outcome was already recorded)`);
    if (outcome.defaulted !== true) {
      this.learned.update(pending.features, pending.decision.armIndex, report.reward);
      this.baseline.update(pending.features, pending.decision.armIndex, report.reward);
    }
    this.pending.delete(outcome.requestId);
    return pending.decision;
  }

  /**
   * Applies the default reward to decisions older than the reward wait time, marking the outcome
   * `defaulted`. The learned policy is not updated with defaults: a missing outcome says nothing
   * about the arm. Returns the decisions that were closed.
   */
  expirePending(): Decision[] {
    const wait = this.options.rewardWaitMs ?? 30 * 60_000;
    const now = this.options.clock.now();
    const closed: Decision[] = [];
    for (const [id, { decision, logged }] of this.pending) {
      if (now - decision.timestamp < wait) continue;
      if (!logged) {
        // Never sent: nothing was recorded, nothing to close.
        this.pending.delete(id);
        continue;
      }
      const outcome: Outcome = { requestId: id, timestamp: now, latencyMs: 0, tokensIn: 0, tokensOut: 0, finishReason: 'unknown', quality: 0, defaulted: true };
      const report: RewardReport = { reward: this.options.defaultReward ?? 0, violations: [] };
      this.applyOutcome(outcome, report);
      this.options.events?.emit({ type: 'outcome', outcome, report });
      closed.push(decision);
    }
    return closed;
  }

  /** The whole state as plain data (the logged pending decisions, not those never sent). */
  toJSON(): OptimizerState {
    const pending: PendingState[] = [];
    for (const p of this.pending.values()) if (p.logged) pending.push({ decision: structuredClone(p.decision) });
    return { learned: this.learned.snapshot(), baselineUpdates: this.baseline.version, nextStream: this.nextStream, phase: this.phaseValue, pending };
  }

  /** Restores a state produced by `toJSON` under the same settings. */
  restoreState(state: OptimizerState): void {
    this.learned.restore(state.learned);
    this.baseline.restore({ ...this.baseline.snapshot(), version: state.baselineUpdates });
    this.nextStream = state.nextStream;
    this.phaseValue = state.phase;
    this.pending.clear();
    for (const { decision } of state.pending) this.applyDecision(structuredClone(decision));
  }

  /**
   * A new policy of the learned policy's kind and settings, restored to `snapshot`: a copy that can
   * learn (or stay frozen) apart from the live one, e.g. a candidate for the promotion gate.
   */
  learnedCopy(snapshot: PolicySnapshot): Policy {
    const o = this.options;
    const policy = createPolicy(o.policyKind, this.map, o.policySettings, { baselineArm: o.space.baselineArm, trustRegionArms: o.space.trustRegionArms }, o.priorMean);
    policy.restore(snapshot);
    return policy;
  }

  /** The learned policy as it was before it learned anything (its prior), as a snapshot. */
  priorSnapshot(): PolicySnapshot {
    const o = this.options;
    return createPolicy(o.policyKind, this.map, o.policySettings, { baselineArm: o.space.baselineArm, trustRegionArms: o.space.trustRegionArms }, o.priorMean).snapshot();
  }

  /** The learned policy's state, to persist and restore. */
  snapshot(): PolicySnapshot {
    return this.learned.snapshot();
  }

  restore(snapshot: PolicySnapshot): void {
    this.learned.restore(snapshot);
  }
}

/** Every decision's `featureNames`: one frozen array, not a copy per decision. */
const decisionFeatureNames: readonly string[] = Object.freeze([...contextFeatureNames]);

function buildFeatureMap(kind: FeatureMapKind, space: ParameterSpace): JointFeatureMap {
  const d = contextFeatureNames.length;
  if (kind === 'disjoint') return disjointFeatureMap(space.arms.length, d);
  return sharedFeatureMap(d, actionFeatures(space.arms, space.baselineArm).values);
}

/**
 * A prior mean for the shared model that encodes what is known about planning (ARCHITECTURE.md §"Statistics", Low
 * traffic): plans want low temperature (a negative weight on temperature and its square) and
 * longer prompts want more tokens (a positive weight on promptSize × maxTokens). Zero elsewhere and
 * for the disjoint model.
 */
export function knowledgePrior(space: ParameterSpace, kind: FeatureMapKind, strength = 0.05): Float64Array | undefined {
  if (kind !== 'shared') return undefined;
  const names = actionFeatures(space.arms, space.baselineArm).names;
  const width = names.length + 1;
  const prior = new Float64Array((contextFeatureNames.length + 1) * width);
  const column = (name: string): number => names.indexOf(name) + 1;
  const temperature = column('temperature');
  const temperatureSquared = column('temperature^2');
  if (temperature > 0) prior[temperature] = -strength;
  if (temperatureSquared > 0) prior[temperatureSquared] = -strength;
  const tokens = column('maxTokens');
  const promptRow = contextFeatureNames.indexOf('promptSize') + 1;
  if (tokens > 0 && promptRow > 0) prior[promptRow * width + tokens] = strength;
  return prior;
}

/** a ∧ b into out; falls back to a alone when the intersection is empty (the learned policy needs an arm). */
function intersect(a: Uint8Array, b: Uint8Array, out: Uint8Array): Uint8Array {
  let any = false;
  for (let i = 0; i < a.length; i++) {
    out[i] = a[i] && b[i] ? 1 : 0;
    if (out[i]) any = true;
  }
  return any ? out : a;
}

/** A 128-bit request id from the injected RNG (deterministic under the seed). */
function newRequestId(rng: Rng): string {
  let id = '';
  for (let i = 0; i < 4; i++) id += Math.floor(rng.next() * 0x100000000).toString(16).padStart(8, '0');
  return id;
}
