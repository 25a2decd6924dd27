import { RidgeModel, type RidgeOptions, type RidgeSnapshot } from './ridge';
import type { JointFeatureMap } from './featureMap';

/** JSON form of a {@link LinearScorer}. */
export interface LinearScorerSnapshot {
  kind: JointFeatureMap['kind'];
  models: RidgeSnapshot[];
}

/**
 * Posterior means and variances of each arm's expected reward under a linear model on φ(x, a):
 * K independent ridge models (disjoint map) or one shared model (shared map). After `score`,
 * `means[a]` is θ̂ᵀφ(x, a) and `variances[a]` is φᵀA⁻¹φ (in units of the noise variance) for every
 * eligible arm; `features` holds φ(x, a) row by row (shared map only).
 */
export class LinearScorer {
  readonly means: Float64Array;
  readonly variances: Float64Array;
  readonly features: Float64Array;
  readonly models: RidgeModel[];
  /** `features` row by row, as views made once (a view made per call is an allocation per arm and decision). */
  readonly featureRows: Float64Array[];
  private readonly input: Float64Array;

  constructor(
    readonly map: JointFeatureMap,
    options: RidgeOptions,
    priorMean?: ArrayLike<number>,
  ) {
    const k = map.armCount;
    this.means = new Float64Array(k);
    this.variances = new Float64Array(k);
    this.input = new Float64Array(map.dim);
    this.features = new Float64Array(map.kind === 'shared' ? k * map.dim : 0);
    const d = map.dim;
    this.featureRows = map.kind === 'shared' ? Array.from({ length: k }, (_, a) => this.features.subarray(a * d, (a + 1) * d)) : [];
    const count = map.kind === 'shared' ? 1 : k;
    this.models = Array.from({ length: count }, () => new RidgeModel(map.dim, options, priorMean));
  }

  /** Fills means and variances of the eligible arms for context x. */
  score(context: Float64Array, eligible: Uint8Array): void {
    const { map, input } = this;
    const k = map.armCount;
    if (map.kind === 'disjoint') {
      map.fill(context, 0, input);
      for (let a = 0; a < k; a++) {
        if (!eligible[a]) continue;
        const model = this.models[a]!;
        this.means[a] = model.predict(input);
        this.variances[a] = model.variance(input);
      }
      return;
    }
    const model = this.models[0]!;
    for (let a = 0; a < k; a++) {
      if (!eligible[a]) continue;
      const row = this.featureRows[a]!;
      map.fill(context, a, row);
      this.means[a] = model.predict(row);
      this.variances[a] = model.variance(row);
    }
  }

  /** θ̂ᵀφ(x, a) for one arm. */
  predict(context: Float64Array, armIndex: number): number {
    this.map.fill(context, armIndex, this.input);
    const model = this.map.kind === 'shared' ? this.models[0]! : this.models[armIndex]!;
    return model.predict(this.input);
  }

  /** Adds the observation (x, a, r) to the model that owns arm a. */
  update(context: Float64Array, armIndex: number, reward: number): void {
    this.map.fill(context, armIndex, this.input);
    const model = this.map.kind === 'shared' ? this.models[0]! : this.models[armIndex]!;
    model.update(this.input, reward);
  }

  /** Number of observations seen by the model of arm a. */
  count(armIndex: number): number {
    return (this.map.kind === 'shared' ? this.models[0] : this.models[armIndex])?.count ?? 0;
  }

  snapshot(): LinearScorerSnapshot {
    return { kind: this.map.kind, models: this.models.map((m) => m.snapshot()) };
  }

  restore(snapshot: LinearScorerSnapshot): void {
    if (snapshot.kind !== this.map.kind || snapshot.models.length !== this.models.length) {
      throw new Error(`scorer snapshot is ${snapshot.kind} with ${snapshot.models.length} models, expected ${this.map.kind} with ${this.models.length}`);
    }
    snapshot.models.forEach((m, i) => this.models[i]!.restore(m));
  }
}
