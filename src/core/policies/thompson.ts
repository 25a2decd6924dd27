import { backSubstituteTransposed, choleskyInPlace, forwardSubstitute } from '../math/linalg';
import type { Rng } from '../math/random';
import { fillStandardNormals } from '../math/ziggurat';
import { ArgmaxProbability } from './argmaxProbability';
import type { JointFeatureMap } from './featureMap';
import { LinearPolicy } from './linearPolicy';
import { mixUniform, type PolicyKind } from './policy';
import type { RidgeOptions } from './ridge';

/** Settings of Gaussian Thompson sampling. */
export interface ThompsonOptions {
  ridge: RidgeOptions;
  /**
   * Noise variance σ² of the reward around its linear mean: a number, or 'auto' to estimate it from
   * the prequential residuals (r − θ̂ᵀφ before each update) with a prior of `noisePriorWeight`
   * pseudo-observations at `noisePriorVariance`.
   */
  noiseVariance: number | 'auto';
  noisePriorVariance: number;
  noisePriorWeight: number;
  /** Multiplies the posterior standard deviation (1 = plain Thompson sampling). */
  explorationScale: number;
  /** Share γ of uniform exploration mixed in, so no eligible arm ever has probability 0. */
  floor: number;
  /** Posterior draws for the Monte Carlo propensity of the shared model. */
  monteCarloDraws: number;
  priorMean?: ArrayLike<number>;
}

/**
 * Gaussian Thompson sampling on Bayesian linear regression (ARCHITECTURE.md §"Statistics"), with propensities that are
 * exact by construction:
 *
 * - disjoint per-arm models: the arms' sampled scores are independent Gaussians given x, so
 *   P(a = argmax) is a one-dimensional integral, computed by quadrature ({@link ArgmaxProbability});
 * - shared model: the arms' scores φ_aᵀθ̃ are jointly Gaussian with mean Φθ̂ and covariance
 *   σ² Φ A⁻¹ Φᵀ = σ² (L⁻¹Φᵀ)ᵀ(L⁻¹Φᵀ), L the Cholesky factor of A kept up to date by rank-one
 *   updates. M draws of the score vector (in score space when K ≤ dim φ, which is cheaper; else
 *   θ̃ = θ̂ + σ L⁻ᵀ z in parameter space), and P(a = argmax) estimated by the share of draws a wins.
 *   The draws come in antithetic pairs, mean + deviation and mean − deviation from one vector of
 *   normals: each draw still has the posterior's law, so the share stays unbiased, and a pair costs
 *   one deviation instead of two. Arms close in mean, where the share matters most, tend to win
 *   opposite halves of a pair (two arms level in mean get exactly ½ each), which lowers its variance;
 *   at worst both halves agree and M draws are worth M/2 independent ones (standard error ≤
 *   0.5/√(M/2): 0.022 at the default M = 1024). The normals come from the ziggurat
 *   (math/ziggurat.ts): Box–Muller's logarithm, root, sine and cosine per pair were most of a
 *   decision's time.
 *
 * The policy then draws its arm from p = (1 − γ)·P + γ/K. Drawing from P is the same as playing the
 * argmax of one posterior sample (plain Thompson sampling) in the disjoint case, and its M-draw
 * approximation in the shared case; because the arm is drawn from the very vector that is logged,
 * the logged propensity is the exact probability of the served arm, never an estimate of it.
 */
export class ThompsonPolicy extends LinearPolicy {
  readonly kind: PolicyKind = 'thompson';
  private readonly argmax: ArgmaxProbability;
  private readonly sds: Float64Array;
  private readonly draw: Float64Array;
  private readonly drawScores: Float64Array;
  private readonly eligibleIndex: Int32Array;
  private readonly whitened: Float64Array;
  private readonly whitenedRows: Float64Array[];
  private readonly scoreCovariance: Float64Array;
  private readonly normals: Float64Array;
  private residualSquares = 0;
  private residualCount = 0;

  constructor(
    map: JointFeatureMap,
    private readonly options: ThompsonOptions,
  ) {
    super(map, { ...options.ridge, keepCholesky: options.ridge.keepCholesky || map.kind === 'shared' }, options.priorMean);
    this.argmax = new ArgmaxProbability(map.armCount);
    this.sds = new Float64Array(map.armCount);
    this.draw = new Float64Array(map.dim);
    this.drawScores = new Float64Array(map.armCount);
    const k = map.armCount;
    const shared = map.kind === 'shared';
    this.eligibleIndex = new Int32Array(k);
    this.whitened = new Float64Array(shared ? k * map.dim : 0);
    const d = map.dim;
    this.whitenedRows = shared ? Array.from({ length: k }, (_, i) => this.whitened.subarray(i * d, (i + 1) * d)) : [];
    this.scoreCovariance = new Float64Array(shared ? k * k : 0);
    this.normals = new Float64Array(shared ? Math.max(k, map.dim) : 0);
  }

  /** Current σ². */
  get noiseVariance(): number {
    const o = this.options;
    if (o.noiseVariance !== 'auto') return o.noiseVariance;
    return (o.noisePriorWeight * o.noisePriorVariance + this.residualSquares) / (o.noisePriorWeight + this.residualCount);
  }

  probabilities(context: Float64Array, eligible: Uint8Array, rng: Rng, out: Float64Array): void {
    const scorer = this.scorer;
    scorer.score(context, eligible);
    const scale = Math.sqrt(this.noiseVariance) * this.options.explorationScale;
    if (scorer.map.kind === 'disjoint') {
      for (let a = 0; a < this.armCount; a++) this.sds[a] = eligible[a] ? scale * Math.sqrt(Math.max(scorer.variances[a]!, 0)) : 0;
      this.argmax.compute(scorer.means, this.sds, eligible, out);
    } else {
      this.monteCarloArgmax(eligible, scale, rng, out);
    }
    mixUniform(out, eligible, this.options.floor);
  }

  private monteCarloArgmax(eligible: Uint8Array, scale: number, rng: Rng, out: Float64Array): void {
    const model = this.scorer.models[0]!;
    const d = model.dim;
    let k = 0;
    for (let a = 0; a < this.armCount; a++) if (eligible[a]) this.eligibleIndex[k++] = a;
    out.fill(0);
    if (k <= d && this.scoreSpaceFactor(k, scale)) this.drawInScoreSpace(k, rng, out);
    else this.drawInParameterSpace(eligible, scale, rng, out);
  }

  /** Cholesky factor of the eligible arms' score covariance σ²(L⁻¹Φᵀ)ᵀ(L⁻¹Φᵀ), with a tiny jitter. */
  private scoreSpaceFactor(k: number, scale: number): boolean {
    const model = this.scorer.models[0]!;
    const d = model.dim;
    const l = model.choleskyA!;
    const features = this.scorer.features;
    const v = this.whitened;
    for (let i = 0; i < k; i++) {
      const a = this.eligibleIndex[i]!;
      const row = this.whitenedRows[i]!;
      for (let t = 0; t < d; t++) row[t] = features[a * d + t]!;
      forwardSubstitute(l, d, row);
    }
    const c = this.scoreCovariance;
    const variance = scale * scale;
    let maxDiagonal = 0;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += v[i * d + t]! * v[j * d + t]!;
        c[i * k + j] = variance * s;
        c[j * k + i] = variance * s;
      }
      maxDiagonal = Math.max(maxDiagonal, c[i * k + i]!);
    }
    // Arms with identical features make the covariance singular; a jitter far below the spread keeps it factorable.
    const jitter = 1e-10 * Math.max(maxDiagonal, 1e-300);
    for (let i = 0; i < k; i++) c[i * k + i] = c[i * k + i]! + jitter;
    // Row-major with stride k: the first k² entries, in place.
    return choleskyInPlace(c, k);
  }

  /** Score draws μ ± Cz in antithetic pairs (one lone draw μ + Cz when M is odd); a draw no score wins (all NaN) goes to the first eligible arm. */
  private drawInScoreSpace(k: number, rng: Rng, out: Float64Array): void {
    const draws = this.options.monteCarloDraws;
    const weight = 1 / draws;
    const c = this.scoreCovariance;
    const z = this.normals;
    const means = this.scorer.means;
    const index = this.eligibleIndex;
    for (let m = 0; m < draws; m += 2) {
      const paired = m + 1 < draws;
      fillStandardNormals(rng, z, k);
      let plus = -1;
      let minus = -1;
      let plusScore = -Infinity;
      let minusScore = -Infinity;
      for (let i = 0; i < k; i++) {
        let u = 0;
        const row = i * k;
        for (let j = 0; j <= i; j++) u += c[row + j]! * z[j]!;
        const mean = means[index[i]!]!;
        if (plus < 0 || mean + u > plusScore) {
          plusScore = mean + u;
          plus = i;
        }
        if (minus < 0 || mean - u > minusScore) {
          minusScore = mean - u;
          minus = i;
        }
      }
      const plusArm = index[plus]!;
      out[plusArm] = out[plusArm]! + weight;
      if (paired) {
        const minusArm = index[minus]!;
        out[minusArm] = out[minusArm]! + weight;
      }
    }
  }

  /** θ̃ = θ̂ ± σ L⁻ᵀ z in antithetic pairs (covariance σ² (L Lᵀ)⁻¹ = σ² A⁻¹ each); one lone draw when M is odd. */
  private drawInParameterSpace(eligible: Uint8Array, scale: number, rng: Rng, out: Float64Array): void {
    const model = this.scorer.models[0]!;
    const l = model.choleskyA!;
    const d = model.dim;
    const draws = this.options.monteCarloDraws;
    const weight = 1 / draws;
    const features = this.scorer.features;
    const means = this.scorer.means;
    const deviation = this.drawScores;
    for (let m = 0; m < draws; m += 2) {
      fillStandardNormals(rng, this.draw, d);
      backSubstituteTransposed(l, d, this.draw);
      // φ_aᵀθ̃ = φ_aᵀθ̂ ± σ φ_aᵀ(L⁻ᵀz): the means once, the deviation per pair.
      for (let a = 0; a < this.armCount; a++) {
        if (!eligible[a]) continue;
        let u = 0;
        const row = a * d;
        for (let i = 0; i < d; i++) u += features[row + i]! * this.draw[i]!;
        deviation[a] = scale * u;
      }
      let plus = -1;
      let minus = -1;
      let plusScore = -Infinity;
      let minusScore = -Infinity;
      for (let a = 0; a < this.armCount; a++) {
        if (!eligible[a]) continue;
        const mean = means[a]!;
        if (plus < 0 || mean + deviation[a]! > plusScore) {
          plusScore = mean + deviation[a]!;
          plus = a;
        }
        if (minus < 0 || mean - deviation[a]! > minusScore) {
          minusScore = mean - deviation[a]!;
          minus = a;
        }
      }
      out[plus] = out[plus]! + weight;
      if (m + 1 < draws) out[minus] = out[minus]! + weight;
    }
  }

  protected override posteriorNoiseVariance(): number {
    return this.noiseVariance;
  }

  protected override beforeUpdate(context: Float64Array, armIndex: number, reward: number): void {
    if (this.options.noiseVariance !== 'auto') return;
    // Prequential residual of the arm about to be updated.
    const residual = reward - this.scorer.predict(context, armIndex);
    this.residualSquares += residual * residual;
    this.residualCount++;
  }

  protected override extraState(): Record<string, number> {
    return { residualSquares: this.residualSquares, residualCount: this.residualCount };
  }

  protected override restoreExtra(extra: Record<string, number> | undefined): void {
    this.residualSquares = extra?.residualSquares ?? 0;
    this.residualCount = extra?.residualCount ?? 0;
  }
}
