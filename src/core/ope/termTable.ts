/**
 * Every estimator here is a sum of ratios of column sums over per-round terms: IPS is Σt/n, SNIPS
 * is Σ(r·w)/Σw, SNDR is Σdm/n + Σ(w·(r−q̂))/Σw. Computing the terms once and expressing each
 * estimator as ratios of their sums makes a bootstrap resample nothing more than a weighted sum of
 * the table's columns (weights = how often each round was drawn), and it makes self-normalised
 * estimators re-normalise inside every resample, as the bootstrap of a ratio estimator must.
 */

/** Per-round terms, row-major: `values[i * width + c]` is term c of round i. */
export interface TermTable {
  readonly n: number;
  readonly width: number;
  readonly values: Float64Array;
}

/** One ratio of an estimator: Σ column `numerator` divided by Σ column `denominator`, or by the count. */
export interface RatioPart {
  readonly numerator: number;
  /** Column whose sum divides; absent: divide by the number of rounds drawn. */
  readonly denominator?: number;
}

/** An estimator as the sum of its ratio parts. */
export interface RatioEstimator<Name extends string = string> {
  readonly name: Name;
  readonly parts: readonly RatioPart[];
}

/**
 * Evaluates an estimator from column sums and the number of rounds. A part whose denominator sum
 * is 0 (no round has positive weight) is undefined and yields NaN, as 0/0 does in OBP.
 */
export function evaluateRatioEstimator(estimator: RatioEstimator, sums: Float64Array, count: number): number {
  let value = 0;
  for (const part of estimator.parts) {
    const numerator = sums[part.numerator] ?? Number.NaN;
    const denominator = part.denominator === undefined ? count : (sums[part.denominator] ?? Number.NaN);
    value += denominator === 0 ? Number.NaN : numerator / denominator;
  }
  return value;
}

/** Column sums of the whole table (every round counted once). */
export function columnSums(table: TermTable): Float64Array {
  const { n, width, values } = table;
  const sums = new Float64Array(width);
  for (let i = 0; i < n; i++) {
    const base = i * width;
    for (let c = 0; c < width; c++) sums[c] = (sums[c] ?? 0) + (values[base + c] ?? 0);
  }
  return sums;
}

/** Point estimates of `estimators` on the full table, in their order. */
export function pointEstimates(table: TermTable, estimators: readonly RatioEstimator[]): Float64Array {
  const sums = columnSums(table);
  const out = new Float64Array(estimators.length);
  estimators.forEach((estimator, e) => {
    out[e] = evaluateRatioEstimator(estimator, sums, table.n);
  });
  return out;
}
