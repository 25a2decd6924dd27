import type { Rng } from '../math/random';
import type { LinearScorerSnapshot } from './linearScorer';

export const policyKinds = ['thompson', 'linucb', 'epsilon', 'baseline'] as const;
export type PolicyKind = (typeof policyKinds)[number];

/** A policy's choice: the arm it drew and the exact distribution it drew it from. */
export interface PolicyChoice {
  armIndex: number;
  /**
   * Probability of every arm (0 for ineligible ones), summing to 1. `probabilities[armIndex]` is the
   * propensity to log. The array is the policy's own buffer, valid until its next call: copy it to keep it.
   */
  probabilities: Float64Array;
}

/** JSON form of a policy's learned state, with the version it had. */
export interface PolicySnapshot {
  kind: PolicyKind;
  version: number;
  armCount: number;
  contextDim: number;
  /** Learned state; absent for policies that learn nothing. */
  scorer?: LinearScorerSnapshot;
  /** Policy-specific running statistics (e.g. Thompson's noise estimate). */
  extra?: Record<string, number>;
}

/**
 * One interface for every policy (ARCHITECTURE.md §"Where each part lives", policies/). A policy maps a context to a probability
 * distribution over the eligible arms and draws from it; the logged propensity is the probability of
 * the drawn arm under exactly that distribution.
 */
export interface Policy {
  readonly kind: PolicyKind;
  readonly armCount: number;
  readonly contextDim: number;
  /** Number of updates applied: identifies the state that made a decision. */
  readonly version: number;
  /** The distribution over arms the policy would draw from for this context (into `out`). */
  probabilities(context: Float64Array, eligible: Uint8Array, rng: Rng, out: Float64Array): void;
  /** Draws an arm: `probabilities`, then one uniform draw. */
  recommend(context: Float64Array, eligible: Uint8Array, rng: Rng): PolicyChoice;
  /** Learns from the reward of arm `armIndex` in context x. Throws, changing nothing, on bad input. */
  update(context: Float64Array, armIndex: number, reward: number): void;
  snapshot(): PolicySnapshot;
  restore(snapshot: PolicySnapshot): void;
}

/** Checks an update's inputs before any state changes, so a rejected update corrupts nothing. */
export function validateUpdate(policy: Pick<Policy, 'armCount' | 'contextDim'>, context: Float64Array, armIndex: number, reward: number): void {
  if (!Number.isInteger(armIndex) || armIndex < 0 || armIndex >= policy.armCount) {
    throw new RangeError(`update: arm index ${armIndex} is outside 0..${policy.armCount - 1}`);
  }
  if (!Number.isFinite(reward)) throw new RangeError(`update: reward is ${reward}, not a finite number`);
  if (context.length !== policy.contextDim) throw new RangeError(`update: context has ${context.length} features, expected ${policy.contextDim}`);
  for (let i = 0; i < context.length; i++) {
    if (!Number.isFinite(context[i]!)) throw new RangeError(`update: context feature ${i} is ${context[i]}, not a finite number`);
  }
}

/** Checks a context before scoring: finite features of the right count and at least one eligible arm. */
export function validateContext(policy: Pick<Policy, 'armCount' | 'contextDim'>, context: Float64Array, eligible: Uint8Array): void {
  if (context.length !== policy.contextDim) throw new RangeError(`recommend: context has ${context.length} features, expected ${policy.contextDim}`);
  for (let i = 0; i < context.length; i++) {
    if (!Number.isFinite(context[i]!)) throw new RangeError(`recommend: context feature ${i} is ${context[i]}, not a finite number`);
  }
  if (eligible.length !== policy.armCount) throw new RangeError(`recommend: eligibility mask has ${eligible.length} entries, expected ${policy.armCount}`);
  let any = false;
  for (let a = 0; a < eligible.length; a++) if (eligible[a]) any = true;
  if (!any) throw new RangeError('recommend: no eligible arm');
}

/** Mixes a distribution with the uniform one over eligible arms: p ← (1 − γ) p + γ / K_eligible. */
export function mixUniform(p: Float64Array, eligible: Uint8Array, gamma: number): void {
  if (gamma <= 0) return;
  let k = 0;
  for (let a = 0; a < eligible.length; a++) if (eligible[a]) k++;
  const share = gamma / k;
  for (let a = 0; a < eligible.length; a++) p[a] = eligible[a] ? (1 - gamma) * p[a]! + share : 0;
}

/** Index of the largest `scores[a]` among eligible arms (lowest index on ties). */
export function argmaxEligible(scores: Float64Array, eligible: Uint8Array): number {
  let best = -1;
  let bestScore = -Infinity;
  for (let a = 0; a < eligible.length; a++) {
    if (!eligible[a]) continue;
    const s = scores[a]!;
    if (best < 0 || s > bestScore) {
      best = a;
      bestScore = s;
    }
  }
  return best;
}
