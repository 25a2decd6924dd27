import type { Rng } from '../math/random';
import type { JointFeatureMap } from './featureMap';
import { LinearPolicy } from './linearPolicy';
import { argmaxEligible, mixUniform, type PolicyKind } from './policy';
import type { RidgeOptions } from './ridge';

/** How LinUCB spreads probability around its deterministic choice, so its propensities are valid. */
export type LinUcbExploration = { kind: 'epsilon'; epsilon: number } | { kind: 'softmax'; temperature: number };

export interface LinUcbOptions {
  ridge: RidgeOptions;
  /** Width α of the confidence bonus. */
  alpha: number;
  exploration: LinUcbExploration;
  priorMean?: ArrayLike<number>;
}

/**
 * LinUCB (Li, Chu, Langford & Schapire 2010): score_a = θ̂ᵀφ + α √(φᵀA⁻¹φ), with A⁻¹ kept by
 * Sherman–Morrison. The textbook rule plays the argmax, which leaves every other arm with
 * probability 0 and the logs useless for off-policy evaluation; here the arm is drawn from a known
 * distribution instead:
 * - epsilon: (1 − ε) on the argmax plus ε spread uniformly over the eligible arms;
 * - softmax: p_a ∝ exp((score_a − max score)/τ).
 * The logged propensity is that distribution's probability of the drawn arm.
 */
export class LinUcbPolicy extends LinearPolicy {
  readonly kind: PolicyKind = 'linucb';
  private readonly scores: Float64Array;

  constructor(
    map: JointFeatureMap,
    private readonly options: LinUcbOptions,
  ) {
    super(map, options.ridge, options.priorMean);
    this.scores = new Float64Array(map.armCount);
  }

  probabilities(context: Float64Array, eligible: Uint8Array, _rng: Rng, out: Float64Array): void {
    const { scorer, scores } = this;
    scorer.score(context, eligible);
    const alpha = this.options.alpha;
    for (let a = 0; a < this.armCount; a++) {
      scores[a] = eligible[a] ? scorer.means[a]! + alpha * Math.sqrt(Math.max(scorer.variances[a]!, 0)) : -Infinity;
    }
    const exploration = this.options.exploration;
    const best = argmaxEligible(scores, eligible);
    if (exploration.kind === 'epsilon') {
      out.fill(0);
      out[best] = 1;
      mixUniform(out, eligible, exploration.epsilon);
      return;
    }
    const top = scores[best]!;
    let total = 0;
    for (let a = 0; a < this.armCount; a++) {
      const w = eligible[a] ? Math.exp((scores[a]! - top) / exploration.temperature) : 0;
      out[a] = w;
      total += w;
    }
    for (let a = 0; a < this.armCount; a++) out[a] = out[a]! / total;
  }
}
