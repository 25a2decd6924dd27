/**
 * Native input: the project's own decision logs and a candidate policy, turned into the same
 * LoggedRounds the `obp` format gives. Per logged decision: the candidate's distribution over all
 * arms for the logged context (π_e, from the policy itself), the logged propensity (π_b of the arm
 * actually served), the reward, and the reward model's prediction for every arm — a ridge
 * regression on the optimizer's joint feature map φ(x, a), cross-fitted when asked (rewardModel.ts).
 *
 * Support: importance weights only see arms the logging policy could serve. The logs carry π_b over
 * every arm, so we also report how much of the candidate's probability falls on arms the logger gave
 * probability 0 — mass that IPS cannot see and DM/DR can only extrapolate (ARCHITECTURE.md §"Statistics", Support).
 */
import type { JointFeatureMap, Policy } from '../policies';
import type { Rng } from '../math/random';
import type { LoggedRounds } from './loggedRounds';
import { rewardModelPredictions, type FeatureMap, type RewardSamples } from './rewardModel';

/** One logged decision with its reward, reduced to what OPE needs. */
export interface NativeRound {
  /** The decision's numeric context features x. */
  readonly context: ArrayLike<number>;
  /** The arm served. */
  readonly armIndex: number;
  /** π_b(armIndex | x): the probability with which the served arm was drawn. */
  readonly propensity: number;
  /** π_b(· | x) over every arm of the space (0 for arms the logger could not serve). */
  readonly loggingProbabilities: ArrayLike<number>;
  /** The scalar reward of the decision's outcome. */
  readonly reward: number;
  /**
   * The arms the logger was allowed to serve for this round (its eligibility mask, 1 = allowed), e.g.
   * under a token budget; absent: every arm. The candidate is scored under the same mask (and
   * `NativeAdapterOptions.eligible`): what it would have served under the same constraints.
   */
  readonly eligible?: Uint8Array;
}

/** What the adapter needs besides the rounds. */
export interface NativeAdapterOptions {
  /** The candidate policy, restored from its snapshot. */
  readonly policy: Policy;
  /** The feature map the reward model regresses on (the policy's own map). */
  readonly featureMap: JointFeatureMap;
  /** Randomness for policies whose distribution is estimated by Monte Carlo (Thompson sampling). */
  readonly rng: Rng;
  /** Ridge penalty and cross-fitting folds of the reward model. */
  readonly rewardModel: {
    readonly lambda: number;
    readonly folds: number;
    /** Earlier rounds the reward model is also fitted on (not scored), e.g. the rows a frozen candidate learned from. */
    readonly alsoFitOn?: readonly NativeRound[];
  };
  /**
   * Arms the candidate may choose (1 = eligible), e.g. the trust region it is confined to in
   * production; default every arm.
   */
  readonly eligible?: Uint8Array;
}

/** The rounds for the estimators, with the support diagnostic. */
export interface NativeRounds {
  readonly rounds: LoggedRounds;
  /** Mean over rounds of Σ_a π_e(a|x) · 1{π_b(a|x) = 0}: candidate mass outside the logs' support. */
  readonly candidateMassOffSupport: number;
}

/** A problem with one logged round (0-based index into the rows given). */
export class NativeRoundError extends Error {
  constructor(
    readonly index: number,
    readonly field: string,
    reason: string,
  ) {
    super(`round ${index + 1}: ${field}: ${reason}`);
    this.name = 'NativeRoundError';
  }
}

/**
 * The joint φ(x, a) of one ridge regression over all arms: for a disjoint map (one model per arm
 * over [1, x]) the arm's block e_a ⊗ [1, x]; for a shared map φ(x, a) itself.
 */
export function jointRewardFeatures(map: JointFeatureMap): FeatureMap<Float64Array> {
  const { dim, armCount } = map;
  if (map.kind === 'disjoint') {
    const block = new Float64Array(dim);
    return (context, action) => {
      const phi = new Float64Array(armCount * dim);
      map.fill(context, action, block);
      phi.set(block, action * dim);
      return phi;
    };
  }
  return (context, action) => {
    const phi = new Float64Array(dim);
    map.fill(context, action, phi);
    return phi;
  };
}

/**
 * The candidate's mask for one round: the adapter's mask ∧ the round's own. An empty intersection
 * (the round's allowed arms all outside the adapter's mask) falls back to the round's mask, as the
 * optimizer does when a budget leaves the learned policy no arm of its own.
 */
function roundEligibility(row: NativeRound, index: number, eligible: Uint8Array, out: Uint8Array): Uint8Array {
  const own = row.eligible;
  if (own === undefined) return eligible;
  if (own.length !== eligible.length) throw new NativeRoundError(index, 'eligibleArms', `has ${own.length} flags, the policy has ${eligible.length} arms`);
  let any = false;
  let ownAny = false;
  for (let a = 0; a < own.length; a++) {
    out[a] = own[a] && eligible[a] ? 1 : 0;
    if (out[a]) any = true;
    if (own[a]) ownAny = true;
  }
  if (!ownAny) throw new NativeRoundError(index, 'eligibleArms', 'no arm is eligible');
  return any ? out : own;
}

/** The rows as reward-model samples (context, served arm, reward). */
export function rewardSamples(rows: readonly NativeRound[]): RewardSamples<Float64Array> {
  return {
    contexts: rows.map((r) => Float64Array.from(r.context)),
    actions: Int32Array.from(rows, (r) => r.armIndex),
    rewards: Float64Array.from(rows, (r) => r.reward),
  };
}

/** Builds LoggedRounds from logged decisions and a candidate policy. */
export function nativeLoggedRounds(rows: readonly NativeRound[], options: NativeAdapterOptions): NativeRounds {
  const { policy, featureMap, rng } = options;
  const n = rows.length;
  const k = policy.armCount;
  if (featureMap.armCount !== k || featureMap.contextDim !== policy.contextDim) {
    throw new RangeError(`the feature map has ${featureMap.armCount} arms × ${featureMap.contextDim} features, the policy ${k} × ${policy.contextDim}`);
  }
  const actions = new Int32Array(n);
  const rewards = new Float64Array(n);
  const pscores = new Float64Array(n);
  const actionDist = new Float64Array(n * k);
  const contexts: Float64Array[] = [];
  const eligible = options.eligible ?? new Uint8Array(k).fill(1);
  if (eligible.length !== k || !eligible.some((flag) => flag === 1)) throw new RangeError(`the eligibility mask must have ${k} flags with at least one arm eligible`);
  const candidate = new Float64Array(k);
  const rowEligible = new Uint8Array(k);
  let offSupport = 0;
  rows.forEach((row, i) => {
    if (row.context.length !== policy.contextDim) throw new NativeRoundError(i, 'contextFeatures', `has ${row.context.length} features, the policy expects ${policy.contextDim}`);
    if (!Number.isInteger(row.armIndex) || row.armIndex < 0 || row.armIndex >= k) throw new NativeRoundError(i, 'armIndex', `${row.armIndex} is outside 0..${k - 1}`);
    if (!(row.propensity > 0 && row.propensity <= 1)) throw new NativeRoundError(i, 'propensity', `must be in (0, 1], got ${row.propensity}`);
    if (!Number.isFinite(row.reward)) throw new NativeRoundError(i, 'reward', `must be a finite number, got ${row.reward}`);
    if (row.loggingProbabilities.length !== k) throw new NativeRoundError(i, 'probabilities', `has ${row.loggingProbabilities.length} entries, the policy has ${k} arms`);
    const context = Float64Array.from(row.context);
    contexts.push(context);
    // Mass the candidate puts where the logger could not go is reported as off-support rather
    // than silently renormalised away.
    policy.probabilities(context, roundEligibility(row, i, eligible, rowEligible), rng, candidate);
    actionDist.set(candidate, i * k);
    for (let a = 0; a < k; a++) if ((row.loggingProbabilities[a] ?? 0) === 0) offSupport += candidate[a] ?? 0;
    actions[i] = row.armIndex;
    rewards[i] = row.reward;
    pscores[i] = row.propensity;
  });
  const estimatedRewards =
    n === 0
      ? new Float64Array(0)
      : rewardModelPredictions({ contexts, actions, rewards }, k, jointRewardFeatures(featureMap), {
          lambda: options.rewardModel.lambda,
          folds: Math.min(options.rewardModel.folds, n),
          ...(options.rewardModel.alsoFitOn ? { alsoFitOn: rewardSamples(options.rewardModel.alsoFitOn) } : {}),
        });
  return { rounds: { n, k, actions, rewards, pscores, actionDist, estimatedRewards }, candidateMassOffSupport: n > 0 ? offSupport / n : Number.NaN };
}
