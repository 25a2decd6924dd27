/**
 * The reward model q̂(x, a) of DM and the DR family: ridge regression of the logged reward on a
 * joint feature map φ(x, a),
 *
 *   θ = (λI + Σ_i φ_iφ_iᵀ)⁻¹ Σ_i r_i φ_i,   q̂(x, a) = φ(x, a)ᵀθ,   φ_i = φ(x_i, a_i).
 *
 * The feature map is a parameter, so the native adapter can hand in the optimizer core's φ and
 * tests can hand in a map with a known linear truth (or one that leaves a feature out). Every
 * coefficient is penalised, an intercept included: put a constant feature in φ to have one.
 *
 * Cross-fitting (k folds): the predictions for the rounds of fold f come from the model fitted on
 * the other folds, so a round's own reward never enters its prediction. DR's correction term is
 * then unbiased for the model's error, which an in-sample fit does not guarantee (Chernozhukov et
 * al. 2018; OBP's RegressionModel.fit_predict with n_folds). Folds are assigned round-robin
 * (round i to fold i mod k): deterministic, and on time-ordered logs each fold spans the whole period.
 */

/** φ(x, a): a feature vector of fixed length for a context and an action. */
export type FeatureMap<X> = (context: X, action: number) => Float64Array;

/** Logged samples for fitting: the context, action and reward of each round. */
export interface RewardSamples<X> {
  readonly contexts: readonly X[];
  readonly actions: Int32Array;
  readonly rewards: Float64Array;
}

/** A fitted ridge regression. */
export interface RidgeModel {
  readonly dim: number;
  readonly lambda: number;
  readonly coefficients: Float64Array;
}

/** Options of the reward model. */
export interface RewardModelOptions {
  /** Ridge penalty λ > 0. */
  readonly lambda: number;
  /** Number of cross-fitting folds; 1 (the default) fits once on every round. */
  readonly folds?: number;
}

/** Options of `rewardModelPredictions`. */
export interface RewardPredictionOptions<X> extends RewardModelOptions {
  /**
   * Samples that every fold's model is also fitted on and that are not predicted, e.g. earlier
   * rounds that are not being evaluated: more data for the model without a round's own reward ever
   * entering its prediction.
   */
  readonly alsoFitOn?: RewardSamples<X>;
}

/** Fits ridge regression of the rewards on φ(x_i, a_i). */
export function fitRidge<X>(samples: RewardSamples<X>, featureMap: FeatureMap<X>, lambda: number): RidgeModel {
  const statistics = accumulate(samples, featureMap, 1);
  return solveRidge(statistics.gram, statistics.moment, statistics.dim, lambda);
}

/** q̂(x, a) = φ(x, a)ᵀθ. */
export function predictRidge<X>(model: RidgeModel, featureMap: FeatureMap<X>, context: X, action: number): number {
  const phi = featureMap(context, action);
  let value = 0;
  for (let j = 0; j < model.dim; j++) value += (phi[j] ?? 0) * (model.coefficients[j] ?? 0);
  return value;
}

/**
 * The reward model's predictions q̂(x_i, a) for every round and every action, row-major n × K (the
 * `estimatedRewards` of LoggedRounds). With `folds` ≥ 2 each round is predicted by the model fitted
 * without its fold.
 */
export function rewardModelPredictions<X>(samples: RewardSamples<X>, actionCount: number, featureMap: FeatureMap<X>, options: RewardPredictionOptions<X>): Float64Array {
  const folds = options.folds ?? 1;
  const n = samples.actions.length;
  if (!Number.isInteger(folds) || folds < 1) throw new RangeError(`folds must be a positive integer, got ${folds}`);
  if (folds > 1 && n < folds) throw new RangeError(`cross-fitting with ${folds} folds needs at least ${folds} rounds, got ${n}`);
  const statistics = accumulate(samples, featureMap, folds);
  const { dim, gram, moment } = statistics;
  const extra = options.alsoFitOn !== undefined && options.alsoFitOn.actions.length > 0 ? accumulate(options.alsoFitOn, featureMap, 1) : undefined;
  if (extra !== undefined) {
    if (extra.dim !== dim) throw new RangeError(`the extra samples have ${extra.dim} features, the rounds ${dim}`);
    // With one fold they join the fit; with several they are added to every out-of-fold model below.
    if (folds === 1) {
      for (let j = 0; j < dim * dim; j++) gram[j]! += extra.gram[j]!;
      for (let j = 0; j < dim; j++) moment[j]! += extra.moment[j]!;
    }
  }
  const models: RidgeModel[] = [];
  if (folds === 1) {
    models.push(solveRidge(gram, moment, dim, options.lambda));
  } else {
    const total = new Float64Array(dim * dim);
    const totalMoment = new Float64Array(dim);
    for (let f = 0; f < folds; f++) {
      for (let j = 0; j < dim * dim; j++) total[j] = (total[j] ?? 0) + (gram[f * dim * dim + j] ?? 0);
      for (let j = 0; j < dim; j++) totalMoment[j] = (totalMoment[j] ?? 0) + (moment[f * dim + j] ?? 0);
    }
    for (let f = 0; f < folds; f++) {
      const outGram = new Float64Array(dim * dim);
      const outMoment = new Float64Array(dim);
      for (let j = 0; j < dim * dim; j++) outGram[j] = (total[j] ?? 0) - (gram[f * dim * dim + j] ?? 0) + (extra?.gram[j] ?? 0);
      for (let j = 0; j < dim; j++) outMoment[j] = (totalMoment[j] ?? 0) - (moment[f * dim + j] ?? 0) + (extra?.moment[j] ?? 0);
      models.push(solveRidge(outGram, outMoment, dim, options.lambda));
    }
  }
  const predictions = new Float64Array(n * actionCount);
  for (let i = 0; i < n; i++) {
    const model = models[i % folds];
    const context = samples.contexts[i];
    if (model === undefined || context === undefined) continue;
    for (let a = 0; a < actionCount; a++) predictions[i * actionCount + a] = predictRidge(model, featureMap, context, a);
  }
  return predictions;
}

interface SufficientStatistics {
  dim: number;
  /** Per fold Σφφᵀ, folds × dim × dim. */
  gram: Float64Array;
  /** Per fold Σrφ, folds × dim. */
  moment: Float64Array;
}

function accumulate<X>(samples: RewardSamples<X>, featureMap: FeatureMap<X>, folds: number): SufficientStatistics {
  const { contexts, actions, rewards } = samples;
  const n = actions.length;
  if (contexts.length !== n || rewards.length !== n) throw new RangeError('contexts, actions and rewards must have the same length');
  if (n === 0) throw new RangeError('the reward model needs at least one round');
  let dim = -1;
  let gram = new Float64Array(0);
  let moment = new Float64Array(0);
  for (let i = 0; i < n; i++) {
    const phi = featureMap(contexts[i] as X, actions[i] ?? 0);
    if (dim < 0) {
      dim = phi.length;
      gram = new Float64Array(folds * dim * dim);
      moment = new Float64Array(folds * dim);
    } else if (phi.length !== dim) {
      throw new RangeError(`the feature map returned ${phi.length} features for round ${i}, ${dim} before`);
    }
    const f = i % folds;
    const r = rewards[i] ?? 0;
    const gramBase = f * dim * dim;
    for (let p = 0; p < dim; p++) {
      const phiP = phi[p] ?? 0;
      if (phiP === 0) continue;
      moment[f * dim + p] = (moment[f * dim + p] ?? 0) + r * phiP;
      const row = gramBase + p * dim;
      for (let q = 0; q < dim; q++) gram[row + q] = (gram[row + q] ?? 0) + phiP * (phi[q] ?? 0);
    }
  }
  return { dim, gram, moment };
}

/** Solves (λI + G)θ = m by Cholesky (G symmetric positive semi-definite, λ > 0). */
function solveRidge(gram: Float64Array, moment: Float64Array, dim: number, lambda: number): RidgeModel {
  if (!(lambda > 0)) throw new RangeError(`the ridge penalty must be positive, got ${lambda}`);
  const l = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j <= i; j++) {
      let s = (gram[i * dim + j] ?? 0) + (i === j ? lambda : 0);
      for (let p = 0; p < j; p++) s -= (l[i * dim + p] ?? 0) * (l[j * dim + p] ?? 0);
      if (i === j) {
        // λ > 0 keeps the matrix positive definite; a non-positive pivot means non-finite input.
        if (!(s > 0)) throw new RangeError('the ridge system is not positive definite (non-finite features or rewards?)');
        l[i * dim + i] = Math.sqrt(s);
      } else {
        l[i * dim + j] = s / (l[j * dim + j] ?? 1);
      }
    }
  }
  // Forward substitution L y = m, then back substitution Lᵀ θ = y.
  const y = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    let s = moment[i] ?? 0;
    for (let p = 0; p < i; p++) s -= (l[i * dim + p] ?? 0) * (y[p] ?? 0);
    y[i] = s / (l[i * dim + i] ?? 1);
  }
  const theta = new Float64Array(dim);
  for (let i = dim - 1; i >= 0; i--) {
    let s = y[i] ?? 0;
    for (let p = i + 1; p < dim; p++) s -= (l[p * dim + i] ?? 0) * (theta[p] ?? 0);
    theta[i] = s / (l[i * dim + i] ?? 1);
  }
  return { dim, lambda, coefficients: theta };
}
