import type { Rng } from '../math/random';
import type { JointFeatureMap } from './featureMap';
import { LinearPolicy } from './linearPolicy';
import { argmaxEligible, mixUniform, type PolicyKind } from './policy';
import type { RidgeOptions } from './ridge';

export interface EpsilonGreedyOptions {
  ridge: RidgeOptions;
  /** Share of uniform exploration. */
  epsilon: number;
  priorMean?: ArrayLike<number>;
}

/** ε-greedy on ridge-regression estimates: (1 − ε) on the best estimated arm, ε uniform. */
export class EpsilonGreedyPolicy extends LinearPolicy {
  readonly kind: PolicyKind = 'epsilon';

  constructor(
    map: JointFeatureMap,
    private readonly options: EpsilonGreedyOptions,
  ) {
    super(map, options.ridge, options.priorMean);
  }

  probabilities(context: Float64Array, eligible: Uint8Array, _rng: Rng, out: Float64Array): void {
    this.scorer.score(context, eligible);
    const best = argmaxEligible(this.scorer.means, eligible);
    out.fill(0);
    out[best] = 1;
    mixUniform(out, eligible, this.options.epsilon);
  }
}
