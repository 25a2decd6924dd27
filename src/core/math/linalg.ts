/**
 * Small dense linear algebra on row-major Float64Arrays (n×n matrices as length n² arrays). Sizes
 * here are tens, not thousands: straightforward loops, no allocation in the per-decision paths.
 */

/** y = M x for an n×n matrix M. */
export function matVec(m: Float64Array, x: Float64Array, n: number, y: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) s += m[row + j]! * x[j]!;
    y[i] = s;
  }
}

/** xᵀ y over the first n entries. */
export function dot(x: ArrayLike<number>, y: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]! * y[i]!;
  return s;
}

/** xᵀ M x for a symmetric n×n matrix M. */
export function quadraticForm(m: Float64Array, x: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let r = 0;
    for (let j = 0; j < n; j++) r += m[row + j]! * x[j]!;
    s += x[i]! * r;
  }
  return s;
}

/**
 * In-place Cholesky factorisation A = L Lᵀ; the lower triangle of `a` becomes L, the upper is
 * zeroed. Returns false if A is not (numerically) positive definite.
 */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let diag = a[j * n + j]!;
    for (let k = 0; k < j; k++) diag -= a[j * n + k]! * a[j * n + k]!;
    if (!(diag > 0) || !Number.isFinite(diag)) return false;
    const ljj = Math.sqrt(diag);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return true;
}

/**
 * Inverse of a symmetric positive-definite matrix through its Cholesky factor. `work` (n²) is
 * overwritten. Returns false when the matrix is not positive definite (then `out` is untouched).
 */
export function invertSpd(a: Float64Array, n: number, out: Float64Array, work: Float64Array): boolean {
  work.set(a.subarray(0, n * n));
  if (!choleskyInPlace(work, n)) return false;
  // Solve L Lᵀ X = I column by column.
  const column = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    column.fill(0);
    column[c] = 1;
    forwardSubstitute(work, n, column);
    backSubstituteTransposed(work, n, column);
    for (let r = 0; r < n; r++) out[r * n + c] = column[r]!;
  }
  // Symmetrise away rounding.
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (out[i * n + j]! + out[j * n + i]!);
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return true;
}

/** Solves L y = b in place (L lower triangular, row-major). */
export function forwardSubstitute(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    const row = i * n;
    for (let k = 0; k < i; k++) s -= l[row + k]! * b[k]!;
    b[i] = s / l[row + i]!;
  }
}

/** Solves Lᵀ x = y in place (L lower triangular, row-major). */
export function backSubstituteTransposed(l: Float64Array, n: number, y: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
}

/**
 * Rank-one update of a Cholesky factor: given L with A = L Lᵀ, overwrite L with the factor of
 * A + x xᵀ in O(n²) (the classic "cholupdate", Golub & Van Loan §6.5.4). `x` is overwritten.
 */
export function choleskyRankOneUpdate(l: Float64Array, n: number, x: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const lkk = l[k * n + k]!;
    const xk = x[k]!;
    const r = Math.sqrt(lkk * lkk + xk * xk);
    const c = r / lkk;
    const s = xk / lkk;
    l[k * n + k] = r;
    for (let i = k + 1; i < n; i++) {
      const lik = (l[i * n + k]! + s * x[i]!) / c;
      l[i * n + k] = lik;
      x[i] = c * x[i]! - s * lik;
    }
  }
}

/**
 * A typed array's values as a plain array, by a counted loop: `Array.from` walks a typed array with
 * its iterator, an allocation per element where the optimizer does not remove them.
 */
export function plainArray(values: ArrayLike<number>): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}
