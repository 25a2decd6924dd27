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

/**
 * One ratio of an estimator: Σ column `numerator` divided by Σ column `denominator`, or by the count,
 * plus `offset` (see {@link centredTerms}).
 */
export interface RatioPart {
  readonly numerator: number;
  /** Column whose sum divides; absent: divide by the number of rounds drawn. */
  readonly denominator?: number;
  /** Added to the ratio: the centre taken out of the numerator column (default 0). */
  readonly offset?: number;
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
    value += denominator === 0 ? Number.NaN : (part.offset ?? 0) + numerator / denominator;
  }
  return value;
}

/**
 * The table and estimators rewritten so that each ratio sums small numbers: every numerator column
 * N used over one denominator D (a column, or the count) is replaced by N − m·D, where m = ΣN/ΣD on
 * the full table, and m becomes the part's offset. Algebraically nothing changes:
 * m + Σc(N − mD)/ΣcD = ΣcN/ΣcD for any resample counts c.
 *
 * Why: floating-point error in a sum grows with the size of its terms, not with their spread. A
 * column that barely varies (DM with a reward model that predicts nearly the same value everywhere)
 * has a bootstrap spread far below the rounding error of its raw sums, so the point estimate and
 * the replicates, summed in different orders over different counts, disagree in the last digits
 * and the interval could miss its own estimate (by 1e-14 at 3,000 rounds). Centred terms are as
 * small as the spread, and so is their rounding error. Columns used as a denominator, or over two
 * different denominators, are left as they are. With `inPlace` the table's own values are rewritten
 * (denominator columns, which are read while rewriting, are never among them).
 */
export function centredTerms<Name extends string>(
  table: TermTable,
  estimators: readonly RatioEstimator<Name>[],
  options: { readonly inPlace?: boolean } = {},
): { table: TermTable; estimators: RatioEstimator<Name>[] } {
  const { n, width, values } = table;
  const denominatorOf = new Map<number, number | 'count' | 'mixed'>();
  const usedAsDenominator = new Set<number>();
  for (const estimator of estimators) {
    for (const part of estimator.parts) {
      if (part.offset !== undefined && part.offset !== 0) return { table, estimators: [...estimators] };
      const denominator = part.denominator ?? 'count';
      if (part.denominator !== undefined) usedAsDenominator.add(part.denominator);
      const earlier = denominatorOf.get(part.numerator);
      denominatorOf.set(part.numerator, earlier === undefined || earlier === denominator ? denominator : 'mixed');
    }
  }
  const sums = columnSums(table);
  const centres = new Map<number, number>();
  for (const [column, denominator] of denominatorOf) {
    if (denominator === 'mixed' || usedAsDenominator.has(column)) continue;
    const total = denominator === 'count' ? n : (sums[denominator] ?? 0);
    const centre = total === 0 ? Number.NaN : (sums[column] ?? 0) / total;
    if (Number.isFinite(centre)) centres.set(column, centre);
  }
  if (centres.size === 0) return { table, estimators: [...estimators] };
  // In place when the caller owns the table (a 1M-round table is 64 MB: a copy costs time and heap).
  const centred = options.inPlace === true ? values : Float64Array.from(values);
  for (const [column, centre] of centres) {
    const denominator = denominatorOf.get(column);
    for (let i = 0; i < n; i++) {
      const base = i * width;
      const scale = typeof denominator === 'number' ? (values[base + denominator] ?? 0) : 1;
      centred[base + column] = (values[base + column] ?? 0) - centre * scale;
    }
  }
  return {
    table: { n, width, values: centred },
    estimators: estimators.map((estimator) => ({
      name: estimator.name,
      parts: estimator.parts.map((part) => {
        const centre = centres.get(part.numerator);
        return centre === undefined ? part : { ...part, offset: centre };
      }),
    })),
  };
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
