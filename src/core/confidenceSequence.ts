/**
 * Time-uniform confidence sequences for the mean of a stream in [0, 1], and the two-sample test the
 * SLO monitor (slo.ts) builds from them. Valid however often they are checked.
 */
/** Bounds of one stream at one time. */
export interface MeanBounds {
  n: number;
  mean: number;
  lower: number;
  upper: number;
}

/**
 * Time-uniform confidence bounds for the mean of a stream in [0, 1] by betting
 * (Waudby-Smith & Ramdas, "Estimating means of bounded random variables by betting", JRSS-B 2024,
 * §4, the hedged capital process with predictable plug-in bets). For every candidate mean m on a grid
 * the monitor keeps two capital processes
 *   K⁺_t(m) = Π (1 + λ⁺_i(m) (X_i − m)),  λ⁺_i(m) = min(λ̇_i, c/m),
 *   K⁻_t(m) = Π (1 − λ⁻_i(m) (X_i − m)),  λ⁻_i(m) = min(λ̇_i, c/(1 − m)),
 *   λ̇_i = √(2 log(1/a) / (σ̂²_{i−1} · i · log(1 + i))),  μ̂_t = (1/2 + ΣX)/(t + 1),
 *   σ̂²_t = (1/4 + Σ_{i≤t} (X_i − μ̂_i)²)/(t + 1)   (the paper's PrPl bet sizes).
 * At the true (conditional) mean each is a nonnegative martingale (factors ≥ 1 − c > 0), so by Ville's
 * inequality it ever reaches 1/a with probability ≤ a: every m with K⁺_t(m) ≥ 1/a is a rejected
 * "too small" mean, every m with K⁻_t(m) ≥ 1/a a rejected "too large" one, at all times at once.
 *
 * Each factor of K⁻ is non-decreasing in m (on the piece where λ = λ̇ trivially; where
 * λ = c/(1 − m) the factor is 1 + c (m − X)/(1 − m), whose derivative (1 − X)/(1 − m)² ≥ 0), and
 * symmetrically K⁺ is non-increasing, so rejected sets are intervals [g, 1] and [0, g]; bounds read on
 * the grid are conservative by at most one grid step, and the test "upper bound < threshold" stays
 * valid for a threshold that moves with time. Unlike an empirical-Bernstein bound (bets capped below
 * 1), the bets may reach c/(1 − m), which is what lets a handful of observations decide at low traffic.
 * Cost: O(grid) per observation, no allocation.
 */
export class BoundedMeanSequence {
  private t = 0;
  private sumX = 0;
  private sumSqDev = 0;
  private readonly logInvA: number;
  private readonly grid: Float64Array;
  /**
   * K⁺_t(m) on the grid (large where m is below the mean) as log part + linear factor: products are
   * accumulated in linear space, cheaper than a log per step, and folded into the log part before
   * they can overflow or underflow.
   */
  private readonly logUp: Float64Array;
  private readonly linUp: Float64Array;
  /** K⁻_t(m) likewise (large where m is above the mean). */
  private readonly logDown: Float64Array;
  private readonly linDown: Float64Array;

  /**
   * @param a one-sided miscoverage of each bound.
   * @param gridSize number of grid points over [0, 1] (resolution 1/(gridSize − 1)).
   * @param c the bet truncation (the paper suggests 1/2 or 3/4).
   */
  constructor(
    a: number,
    gridSize = 201,
    private readonly c = 0.75,
  ) {
    this.logInvA = Math.log(1 / a);
    this.grid = new Float64Array(gridSize);
    for (let k = 0; k < gridSize; k++) this.grid[k] = k / (gridSize - 1);
    this.logUp = new Float64Array(gridSize);
    this.logDown = new Float64Array(gridSize);
    this.linUp = new Float64Array(gridSize).fill(1);
    this.linDown = new Float64Array(gridSize).fill(1);
  }

  /** Adds an observation in [0, 1] (values outside are clipped: the bound assumes the range). */
  push(value: number): void {
    const x = value < 0 ? 0 : value > 1 ? 1 : value;
    const i = this.t + 1;
    const varPrev = (0.25 + this.sumSqDev) / i;
    const lambdaDot = Math.sqrt((2 * this.logInvA) / (varPrev * i * Math.log(1 + i)));
    const g = this.grid;
    const up = this.linUp;
    const down = this.linDown;
    const c = this.c;
    for (let k = 0; k < g.length; k++) {
      const m = g[k] as number;
      const capUp = m > 0 ? c / m : Infinity;
      const capDown = m < 1 ? c / (1 - m) : Infinity;
      const lu = lambdaDot < capUp ? lambdaDot : capUp;
      const ld = lambdaDot < capDown ? lambdaDot : capDown;
      let a = (up[k] as number) * (1 + lu * (x - m));
      let b = (down[k] as number) * (1 - ld * (x - m));
      if (a > 1e100 || a < 1e-100) {
        this.logUp[k] = (this.logUp[k] as number) + Math.log(a);
        a = 1;
      }
      if (b > 1e100 || b < 1e-100) {
        this.logDown[k] = (this.logDown[k] as number) + Math.log(b);
        b = 1;
      }
      up[k] = a;
      down[k] = b;
    }
    this.t = i;
    this.sumX += x;
    const muNow = (0.5 + this.sumX) / (i + 1);
    this.sumSqDev += (x - muNow) * (x - muNow);
  }

  get count(): number {
    return this.t;
  }

  /** Plain sample mean (0 before any data). */
  get mean(): number {
    return this.t === 0 ? 0 : this.sumX / this.t;
  }

  /** Lower bound of the mean, valid at every time simultaneously: the largest rejected grid point. */
  get lower(): number {
    // logUp is non-increasing in m: find the last k with logUp[k] ≥ log(1/a).
    const g = this.grid;
    let lo = -1;
    let hi = g.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.logCapitalUp(mid) >= this.logInvA) lo = mid;
      else hi = mid;
    }
    return lo < 0 ? 0 : (g[lo] as number);
  }

  /** Upper bound of the mean, valid at every time simultaneously: the smallest rejected grid point. */
  get upper(): number {
    // logDown is non-decreasing in m: find the first k with logDown[k] ≥ log(1/a).
    const g = this.grid;
    let lo = -1;
    let hi = g.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.logCapitalDown(mid) >= this.logInvA) hi = mid;
      else lo = mid;
    }
    return hi >= g.length ? 1 : (g[hi] as number);
  }

  private logCapitalUp(k: number): number {
    return (this.logUp[k] as number) + Math.log(this.linUp[k] as number);
  }

  private logCapitalDown(k: number): number {
    return (this.logDown[k] as number) + Math.log(this.linDown[k] as number);
  }

  bounds(): MeanBounds {
    return { n: this.t, mean: this.mean, lower: this.lower, upper: this.upper };
  }

  /** Plain-data state, for persistence. */
  toJSON(): BoundedMeanSequenceState {
    const logUp = Array.from(this.logUp, (_, k) => this.logCapitalUp(k));
    const logDown = Array.from(this.logDown, (_, k) => this.logCapitalDown(k));
    return { t: this.t, sumX: this.sumX, sumSqDev: this.sumSqDev, logUp, logDown };
  }

  /** Restores a state produced by `toJSON` (same `a`, grid size and c required). */
  restore(state: BoundedMeanSequenceState): void {
    if (state.logUp.length !== this.grid.length || state.logDown.length !== this.grid.length) {
      throw new Error(`confidence sequence state has grid ${state.logUp.length}, expected ${this.grid.length}`);
    }
    this.t = state.t;
    this.sumX = state.sumX;
    this.sumSqDev = state.sumSqDev;
    this.logUp.set(state.logUp);
    this.logDown.set(state.logDown);
    this.linUp.fill(1);
    this.linDown.fill(1);
  }
}

/** Persisted state of a `BoundedMeanSequence`. */
export interface BoundedMeanSequenceState {
  t: number;
  sumX: number;
  sumSqDev: number;
  logUp: number[];
  logDown: number[];
}

/**
 * Two-sample sequential comparison of a learned and a baseline stream in [0, 1] (union of two
 * one-sided betting sequences at α/2 each, see the module comment). `worse()` is true when the
 * learned mean is worse than the baseline's by more than `tolerance`, a claim whose false-alarm
 * probability over all times is ≤ α.
 */
export class TwoSampleSequentialTest {
  learned: BoundedMeanSequence;
  baseline: BoundedMeanSequence;

  constructor(
    readonly alpha: number,
    readonly tolerance: number,
    readonly higherIsBetter: boolean,
  ) {
    this.learned = new BoundedMeanSequence(alpha / 2);
    this.baseline = new BoundedMeanSequence(alpha / 2);
  }

  /** Starts a fresh learned stream, keeping the baseline's. */
  restartLearned(): void {
    this.learned = new BoundedMeanSequence(this.alpha / 2);
  }

  /** Starts a fresh baseline stream. */
  restartBaseline(): void {
    this.baseline = new BoundedMeanSequence(this.alpha / 2);
  }

  /** The bound that decides: how far apart the worst-case-favourable bounds are (positive = breach). */
  margin(): number {
    return this.higherIsBetter
      ? this.baseline.lower - this.learned.upper - this.tolerance
      : this.learned.lower - this.baseline.upper - this.tolerance;
  }

  worse(): boolean {
    return this.margin() > 0;
  }
}
