/**
 * Off-policy estimators of a candidate policy's value from logged rounds: IPS, SNIPS, DM, DR, SNDR,
 * SwitchDR and DRos, with the definitions of Open Bandit Pipeline (st-tech/zr-obp,
 * `obp/ope/estimators.py`, version 0.5.x) for the same inputs. With w_i = π_e(a_i|x_i)/π_b(a_i|x_i),
 * q̂_i(a) the reward model and q̂_i(π_e) = Σ_a π_e(a|x_i) q̂_i(a) / Σ_a π_e(a|x_i):
 *
 *   IPS       (1/n) Σ r_i min(w_i, λ_clip)                                   OBP InverseProbabilityWeighting(lambda_)
 *   SNIPS     Σ r_i w_i / Σ w_i                                              OBP SelfNormalizedInverseProbabilityWeighting
 *   DM        (1/n) Σ q̂_i(π_e)                                               OBP DirectMethod
 *   DR        (1/n) Σ [q̂_i(π_e) + min(w_i, λ_clip)(r_i − q̂_i(a_i))]          OBP DoublyRobust(lambda_)
 *   SNDR      (1/n) Σ q̂_i(π_e) + Σ w_i (r_i − q̂_i(a_i)) / Σ w_i             OBP SelfNormalizedDoublyRobust
 *   SwitchDR  (1/n) Σ [q̂_i(π_e) + 1{w_i ≤ τ} w_i (r_i − q̂_i(a_i))]          OBP SwitchDoublyRobust(lambda_ = τ)
 *   DRos      (1/n) Σ [q̂_i(π_e) + λw_i/(w_i² + λ) (r_i − q̂_i(a_i))]          OBP DoublyRobustWithShrinkage(lambda_ = λ)
 *
 * Where we knowingly differ from OBP (none of these changes a point estimate on valid input):
 * - The clipping λ_clip applies to IPS and DR only, as OBP's `lambda_` of those two classes does.
 *   SNIPS and SNDR are never clipped (OBP's subclasses inherit `lambda_` but ignore it).
 * - DM divides by Σ_a π_e(a|x) as OBP's `np.average(q_hat, weights=pi_e)` does; on valid input that
 *   sum is 1 within 1e-6, so this only matters in the last digits, and we keep it to match OBP.
 * - DRos at λ = 0 is DM (shrunk weight 0) for every round; OBP computes 0·w/(w²+0), which is NaN when
 *   w = 0. At λ = ∞ it is DR without clipping, as in OBP.
 * - Bootstrap intervals re-normalise SNIPS and SNDR inside each resample (a ratio of resampled sums);
 *   OBP resamples per-round values already divided by the full-sample mean weight. See bootstrap.ts.
 * - A self-normalised estimator whose weights are all 0 is NaN (0/0), as in OBP.
 */
import type { LoggedRounds } from './loggedRounds';
import type { RatioEstimator, TermTable } from './termTable';

/** The estimators, by the names the CLI and the JSON report use. */
export const estimatorNames = ['ips', 'snips', 'dm', 'dr', 'sndr', 'switch_dr', 'dros'] as const;
export type EstimatorName = (typeof estimatorNames)[number];

/** Hyper-parameters of the estimators. The defaults are OBP's. */
export interface EstimatorParams {
  /** Weight clipping λ of IPS and DR: w → min(w, λ). ∞ (OBP's default) leaves weights as they are. */
  readonly clip: number;
  /** SwitchDR's threshold τ: the correction term is kept where w ≤ τ. ∞ (OBP's default) makes it DR. */
  readonly switchTau: number;
  /** DRos's shrinkage λ: w → λw/(w² + λ). 0 (OBP's default) makes it DM; ∞ makes it DR. */
  readonly drosLambda: number;
}

/** OBP's defaults: no clipping, τ = ∞, λ = 0. */
export const defaultEstimatorParams: EstimatorParams = { clip: Number.POSITIVE_INFINITY, switchTau: Number.POSITIVE_INFINITY, drosLambda: 0 };

/** Columns of the per-round term table built by {@link buildEstimatorTerms}. */
export const termColumn = {
  /** r · min(w, λ_clip) */
  ips: 0,
  /** r · w */
  rewardTimesWeight: 1,
  /** w */
  weight: 2,
  /** q̂(x, π_e) */
  dm: 3,
  /** q̂(x, π_e) + min(w, λ_clip)(r − q̂(a)) */
  dr: 4,
  /** w (r − q̂(a)) */
  weightedResidual: 5,
  /** q̂(x, π_e) + 1{w ≤ τ} w (r − q̂(a)) */
  switchDr: 6,
  /** q̂(x, π_e) + λw/(w² + λ)(r − q̂(a)) */
  dros: 7,
} as const;
const termWidth = 8;

/** Each estimator as ratios of column sums of the term table. */
export const estimatorDefinitions: Readonly<Record<EstimatorName, RatioEstimator<EstimatorName>>> = {
  ips: { name: 'ips', parts: [{ numerator: termColumn.ips }] },
  snips: { name: 'snips', parts: [{ numerator: termColumn.rewardTimesWeight, denominator: termColumn.weight }] },
  dm: { name: 'dm', parts: [{ numerator: termColumn.dm }] },
  dr: { name: 'dr', parts: [{ numerator: termColumn.dr }] },
  sndr: { name: 'sndr', parts: [{ numerator: termColumn.dm }, { numerator: termColumn.weightedResidual, denominator: termColumn.weight }] },
  switch_dr: { name: 'switch_dr', parts: [{ numerator: termColumn.switchDr }] },
  dros: { name: 'dros', parts: [{ numerator: termColumn.dros }] },
};

/** DRos's shrunk weight λw/(w² + λ), with its limits λ = 0 → 0 and λ = ∞ → w. */
export function drosShrunkWeight(w: number, lambda: number): number {
  if (lambda === Number.POSITIVE_INFINITY) return w;
  if (lambda === 0) return 0;
  return (lambda * w) / (w * w + lambda);
}

/**
 * Computes every per-round term once (one pass over the rounds, O(n·K)). Estimates and bootstrap
 * resamples are then sums over this table's columns.
 */
export function buildEstimatorTerms(rounds: LoggedRounds, params: EstimatorParams = defaultEstimatorParams): TermTable {
  const { n, k, actions, rewards, pscores, actionDist, estimatedRewards } = rounds;
  const { clip, switchTau, drosLambda } = params;
  const values = new Float64Array(n * termWidth);
  for (let i = 0; i < n; i++) {
    const row = i * k;
    const a = actions[i] ?? 0;
    const r = rewards[i] ?? 0;
    // q̂(x, π_e) as OBP's np.average(q_hat, weights=pi_e): divided by Σ_a π_e.
    let weighted = 0;
    let mass = 0;
    for (let j = row; j < row + k; j++) {
      const pe = actionDist[j] ?? 0;
      weighted += pe * (estimatedRewards[j] ?? 0);
      mass += pe;
    }
    const dm = weighted / mass;
    const w = (actionDist[row + a] ?? 0) / (pscores[i] ?? 1);
    const clipped = Math.min(w, clip);
    const residual = r - (estimatedRewards[row + a] ?? 0);
    const base = i * termWidth;
    values[base + termColumn.ips] = r * clipped;
    values[base + termColumn.rewardTimesWeight] = r * w;
    values[base + termColumn.weight] = w;
    values[base + termColumn.dm] = dm;
    values[base + termColumn.dr] = dm + clipped * residual;
    values[base + termColumn.weightedResidual] = w * residual;
    values[base + termColumn.switchDr] = w <= switchTau ? dm + w * residual : dm;
    values[base + termColumn.dros] = dm + drosShrunkWeight(w, drosLambda) * residual;
  }
  return { n, width: termWidth, values };
}

/** Importance-weight diagnostics of the candidate against the logging policy (unclipped weights). */
export interface WeightDiagnostics {
  /** Kish's effective sample size (Σw)²/Σw²: n when every weight is equal, small when a few dominate. */
  effectiveSampleSize: number;
  /** Largest importance weight. */
  maxWeight: number;
  /** Mean importance weight; its expectation is 1 when the candidate's support is covered by the logs. */
  meanWeight: number;
  /** Share of rounds whose weight is 0 (the candidate never takes the logged action). */
  zeroWeightShare: number;
}

/** Computes {@link WeightDiagnostics} from the rounds. */
export function weightDiagnostics(rounds: LoggedRounds): WeightDiagnostics {
  const { n, k, actions, pscores, actionDist } = rounds;
  let sum = 0;
  let sumSquares = 0;
  let max = n > 0 ? Number.NEGATIVE_INFINITY : Number.NaN;
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    const w = (actionDist[i * k + (actions[i] ?? 0)] ?? 0) / (pscores[i] ?? 1);
    sum += w;
    sumSquares += w * w;
    if (w > max) max = w;
    if (w === 0) zeros++;
  }
  return {
    effectiveSampleSize: sumSquares === 0 ? 0 : (sum * sum) / sumSquares,
    maxWeight: max,
    meanWeight: n > 0 ? sum / n : Number.NaN,
    zeroWeightShare: n > 0 ? zeros / n : Number.NaN,
  };
}
