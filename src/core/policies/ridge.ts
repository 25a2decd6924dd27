import { choleskyInPlace, choleskyRankOneUpdate, invertSpd } from '../math/linalg';

/** Hyper-parameters of one Bayesian ridge regression. */
export interface RidgeOptions {
  /** Prior precision λ: the prior is θ ~ N(μ₀, (σ²/λ) I). */
  lambda: number;
  /** Forgetting factor γ in (0, 1]; 1 keeps everything. */
  forgetting: number;
  /** Rebuild A⁻¹ from A after this many Sherman–Morrison updates, for numerical health. */
  refactorEvery: number;
  /** Keep a Cholesky factor of A up to date (needed to sample θ from the posterior). */
  keepCholesky: boolean;
}

/** JSON form of a {@link RidgeModel}. */
export interface RidgeSnapshot {
  dim: number;
  a: number[];
  b: number[];
  priorMean: number[];
  count: number;
}

/**
 * Ridge regression / Bayesian linear regression with a Gaussian prior (ARCHITECTURE.md §"Statistics"):
 * A = λI + Σ xxᵀ, b = λμ₀ + Σ r x, θ̂ = A⁻¹ b, posterior covariance σ² A⁻¹.
 *
 * Without forgetting, A⁻¹ is kept by Sherman–Morrison rank-one updates and θ̂ by the equivalent
 * recursive-least-squares step, both O(d²); every `refactorEvery` updates A⁻¹ and θ̂ are rebuilt
 * from A and b. With forgetting γ < 1 (A ← γA + (1−γ)λI + xxᵀ, b ← γb + (1−γ)λμ₀ + rx, which keeps
 * the prior's weight constant) the update is full rank and A⁻¹ is rebuilt each time, O(d³).
 */
export class RidgeModel {
  readonly a: Float64Array;
  readonly aInverse: Float64Array;
  readonly b: Float64Array;
  readonly theta: Float64Array;
  /** Lower Cholesky factor of A (only when `keepCholesky`). */
  readonly choleskyA: Float64Array | undefined;
  readonly priorMean: Float64Array;
  count = 0;
  private sinceRefactor = 0;
  private readonly u: Float64Array;
  private readonly work: Float64Array;

  constructor(
    readonly dim: number,
    private readonly options: RidgeOptions,
    priorMean?: ArrayLike<number>,
  ) {
    const d = dim;
    this.a = new Float64Array(d * d);
    this.aInverse = new Float64Array(d * d);
    this.b = new Float64Array(d);
    this.theta = new Float64Array(d);
    this.priorMean = new Float64Array(d);
    if (priorMean) this.priorMean.set(Array.from(priorMean).slice(0, d));
    this.u = new Float64Array(d);
    this.work = new Float64Array(d * d);
    this.choleskyA = options.keepCholesky ? new Float64Array(d * d) : undefined;
    for (let i = 0; i < d; i++) {
      this.a[i * d + i] = options.lambda;
      this.b[i] = options.lambda * this.priorMean[i]!;
    }
    this.diagonalStart();
  }

  /**
   * The derived state of A = λI, b = λ·prior without a factorisation: A⁻¹ = I/λ, θ̂ = prior, chol(A) =
   * √λ·I. (A new policy, and every copy that is about to be restored, would otherwise pay O(d³).)
   */
  private diagonalStart(): void {
    const d = this.dim;
    const lambda = this.options.lambda;
    this.aInverse.fill(0);
    for (let i = 0; i < d; i++) {
      this.aInverse[i * d + i] = 1 / lambda;
      this.theta[i] = this.priorMean[i]!;
    }
    if (this.choleskyA) {
      this.choleskyA.fill(0);
      for (let i = 0; i < d; i++) this.choleskyA[i * d + i] = Math.sqrt(lambda);
    }
    this.sinceRefactor = 0;
  }

  /** Adds one observation (x, r). The caller has checked that x and r are finite. */
  update(x: Float64Array, reward: number): void {
    const d = this.dim;
    const { forgetting, lambda } = this.options;
    this.count++;
    if (forgetting < 1) {
      const keep = (1 - forgetting) * lambda;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) this.a[i * d + j] = forgetting * this.a[i * d + j]! + x[i]! * x[j]! + (i === j ? keep : 0);
        this.b[i] = forgetting * this.b[i]! + keep * this.priorMean[i]! + reward * x[i]!;
      }
      this.refactor();
      return;
    }
    // u = A⁻¹x; A⁻¹ ← A⁻¹ − u uᵀ/(1 + xᵀu) (Sherman–Morrison); θ ← θ + u (r − xᵀθ)/(1 + xᵀu) (RLS).
    const u = this.u;
    const inv = this.aInverse;
    let xu = 0;
    let prediction = 0;
    for (let i = 0; i < d; i++) {
      let s = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) s += inv[row + j]! * x[j]!;
      u[i] = s;
      xu += x[i]! * s;
      prediction += x[i]! * this.theta[i]!;
    }
    const denominator = 1 + xu;
    const gain = (reward - prediction) / denominator;
    for (let i = 0; i < d; i++) {
      const ui = u[i]!;
      const row = i * d;
      for (let j = 0; j < d; j++) {
        inv[row + j] = inv[row + j]! - (ui * u[j]!) / denominator;
        this.a[row + j] = this.a[row + j]! + x[i]! * x[j]!;
      }
      this.b[i] = this.b[i]! + reward * x[i]!;
      this.theta[i] = this.theta[i]! + ui * gain;
    }
    if (this.choleskyA) {
      this.u.set(x.subarray(0, d));
      choleskyRankOneUpdate(this.choleskyA, d, this.u);
    }
    if (++this.sinceRefactor >= this.options.refactorEvery) this.refactor();
  }

  /** Rebuilds A⁻¹, θ̂ and the Cholesky factor from A and b. */
  refactor(): void {
    const d = this.dim;
    if (!invertSpd(this.a, d, this.aInverse, this.work)) {
      throw new Error('ridge model: A is not positive definite (non-finite features or a bad prior precision)');
    }
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += this.aInverse[i * d + j]! * this.b[j]!;
      this.theta[i] = s;
    }
    if (this.choleskyA) {
      this.choleskyA.set(this.a);
      choleskyInPlace(this.choleskyA, d);
    }
    this.sinceRefactor = 0;
  }

  /** θ̂ᵀx. */
  predict(x: Float64Array): number {
    let s = 0;
    for (let i = 0; i < this.dim; i++) s += this.theta[i]! * x[i]!;
    return s;
  }

  /** xᵀA⁻¹x: the posterior variance of θᵀx in units of σ². Uses the symmetry of A⁻¹ (half the work). */
  variance(x: Float64Array): number {
    const d = this.dim;
    const inv = this.aInverse;
    let diagonal = 0;
    let offDiagonal = 0;
    for (let i = 0; i < d; i++) {
      const row = i * d;
      const xi = x[i]!;
      diagonal += inv[row + i]! * xi * xi;
      let r = 0;
      for (let j = i + 1; j < d; j++) r += inv[row + j]! * x[j]!;
      offDiagonal += xi * r;
    }
    return diagonal + 2 * offDiagonal;
  }

  snapshot(): RidgeSnapshot {
    return { dim: this.dim, a: Array.from(this.a), b: Array.from(this.b), priorMean: Array.from(this.priorMean), count: this.count };
  }

  /** Restores A, b and the count from a snapshot and rebuilds the derived state. */
  restore(snapshot: RidgeSnapshot): void {
    if (snapshot.dim !== this.dim || snapshot.a.length !== this.dim * this.dim || snapshot.b.length !== this.dim) {
      throw new Error(`ridge snapshot has dimension ${snapshot.dim}, expected ${this.dim}`);
    }
    this.a.set(snapshot.a);
    this.b.set(snapshot.b);
    this.priorMean.set(snapshot.priorMean);
    this.count = snapshot.count;
    this.refactor();
  }
}
