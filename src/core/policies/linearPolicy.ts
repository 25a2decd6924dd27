import { sampleIndex, type Rng } from '../math/random';
import type { JointFeatureMap } from './featureMap';
import { LinearScorer } from './linearScorer';
import { validateContext, validateUpdate, type Policy, type PolicyChoice, type PolicyKind, type PolicySnapshot } from './policy';
import type { RidgeOptions } from './ridge';

/** Shared machinery of the linear policies: a scorer, the draw, versioning, snapshots. */
export abstract class LinearPolicy implements Policy {
  abstract readonly kind: PolicyKind;
  readonly armCount: number;
  readonly contextDim: number;
  protected readonly scorer: LinearScorer;
  protected readonly buffer: Float64Array;
  private updates = 0;

  constructor(map: JointFeatureMap, ridge: RidgeOptions, priorMean?: ArrayLike<number>) {
    this.armCount = map.armCount;
    this.contextDim = map.contextDim;
    this.scorer = new LinearScorer(map, ridge, priorMean);
    this.buffer = new Float64Array(map.armCount);
  }

  get version(): number {
    return this.updates;
  }

  abstract probabilities(context: Float64Array, eligible: Uint8Array, rng: Rng, out: Float64Array): void;

  recommend(context: Float64Array, eligible: Uint8Array, rng: Rng): PolicyChoice {
    validateContext(this, context, eligible);
    this.probabilities(context, eligible, rng, this.buffer);
    return { armIndex: sampleIndex(this.buffer, rng.next()), probabilities: this.buffer };
  }

  update(context: Float64Array, armIndex: number, reward: number): void {
    validateUpdate(this, context, armIndex, reward);
    this.beforeUpdate(context, armIndex, reward);
    this.scorer.update(context, armIndex, reward);
    this.updates++;
  }

  /**
   * Posterior mean of every eligible arm's expected reward in context x and its standard deviation
   * (√(σ²·φᵀA⁻¹φ), σ² the policy's noise variance: estimated by Thompson sampling, 1 otherwise), for
   * people to read (the status, the dashboard). Ineligible arms get NaN.
   */
  posterior(context: Float64Array, eligible: Uint8Array): { means: Float64Array; sds: Float64Array } {
    this.scorer.score(context, eligible);
    const scale = this.posteriorNoiseVariance();
    const means = new Float64Array(this.armCount).fill(Number.NaN);
    const sds = new Float64Array(this.armCount).fill(Number.NaN);
    for (let a = 0; a < this.armCount; a++) {
      if (!eligible[a]) continue;
      means[a] = this.scorer.means[a]!;
      sds[a] = Math.sqrt(scale * Math.max(0, this.scorer.variances[a]!));
    }
    return { means, sds };
  }

  /** The noise variance the posterior's spread is in units of. */
  protected posteriorNoiseVariance(): number {
    return 1;
  }

  /** Hook for running statistics that need the prediction before the model moves. */
  protected beforeUpdate(_context: Float64Array, _armIndex: number, _reward: number): void {}

  protected extraState(): Record<string, number> | undefined {
    return undefined;
  }

  protected restoreExtra(_extra: Record<string, number> | undefined): void {}

  snapshot(): PolicySnapshot {
    const extra = this.extraState();
    return {
      kind: this.kind,
      version: this.updates,
      armCount: this.armCount,
      contextDim: this.contextDim,
      scorer: this.scorer.snapshot(),
      ...(extra ? { extra } : {}),
    };
  }

  restore(snapshot: PolicySnapshot): void {
    if (snapshot.kind !== this.kind) throw new Error(`cannot restore a ${snapshot.kind} snapshot into a ${this.kind} policy`);
    if (snapshot.armCount !== this.armCount || snapshot.contextDim !== this.contextDim) {
      throw new Error(`snapshot has ${snapshot.armCount} arms × ${snapshot.contextDim} features, policy has ${this.armCount} × ${this.contextDim}`);
    }
    if (!snapshot.scorer) throw new Error('snapshot has no learned state');
    this.scorer.restore(snapshot.scorer);
    this.restoreExtra(snapshot.extra);
    this.updates = snapshot.version;
  }
}
