import { fastNormalCdf, fastNormalPdf } from '../math/normal';

/** Arms more than this many standard deviations below a rival are ignored: P(argmax) < 1e-9 for them. */
const TAIL = 6;
/** Grid step as a fraction of a score's standard deviation. */
const STEP = 0.75;

/**
 * P(a = argmax_b S_b) for independent Gaussian scores S_b ~ N(m_b, s_b²), the exact Thompson
 * sampling propensity for disjoint per-arm models (ARCHITECTURE.md §"Statistics"):
 *
 *   P(a) = ∫ φ_a(s) Π_{b≠a} Φ_b(s) ds,  φ_a, Φ_a the density and cdf of S_a.
 *
 * Arms that cannot win (m_a + 8 s_a below some rival's m_b − 8 s_b) get 0 and are skipped. The
 * integral runs by the trapezoid rule on one grid shared by every arm, fine enough (half the
 * smallest standard deviation around each arm) to resolve every density and every cdf step: a
 * uniform grid when the arms' spreads are alike, else the union of per-arm grids. The products
 * Π_b Φ_b(s_j) are formed once per node and divided by Φ_a(s_j) per arm, so the cost is
 * O(nodes × contenders). Accuracy against brute force: see argmaxProbability.test.ts.
 */
export class ArgmaxProbability {
  private readonly contenders: Int32Array;
  private nodes: Float64Array;
  private weights: Float64Array;
  private readonly accumulator: Float64Array;
  private readonly z: Float64Array;
  private readonly cdf: Float64Array;

  constructor(private readonly armCount: number) {
    this.contenders = new Int32Array(armCount);
    this.nodes = new Float64Array(64);
    this.weights = new Float64Array(64);
    this.accumulator = new Float64Array(armCount);
    this.z = new Float64Array(armCount);
    this.cdf = new Float64Array(armCount);
  }

  /**
   * Writes P(a = argmax) for each eligible arm into `out` (0 for ineligible arms). `sds` must be
   * positive; a zero spread is treated as 1e-12 so a known arm still has a well-defined cdf.
   */
  compute(means: Float64Array, sds: Float64Array, eligible: Uint8Array, out: Float64Array): void {
    const k = this.armCount;
    out.fill(0, 0, k);
    let lower = -Infinity;
    for (let a = 0; a < k; a++) {
      if (!eligible[a]) continue;
      const s = Math.max(sds[a]!, 1e-12);
      sds[a] = s;
      const lo = means[a]! - TAIL * s;
      if (lo > lower) lower = lo;
    }
    let count = 0;
    let upper = -Infinity;
    let minSd = Infinity;
    let unionSize = 0;
    for (let a = 0; a < k; a++) {
      if (!eligible[a]) continue;
      const hi = means[a]! + TAIL * sds[a]!;
      if (hi <= lower) continue;
      this.contenders[count++] = a;
      if (hi > upper) upper = hi;
      if (sds[a]! < minSd) minSd = sds[a]!;
      unionSize += Math.ceil((hi - Math.max(lower, means[a]! - TAIL * sds[a]!)) / (STEP * sds[a]!)) + 1;
    }
    if (count === 0) return;
    if (count === 1) {
      out[this.contenders[0]!] = 1;
      return;
    }
    const uniformSize = Math.ceil((upper - lower) / (STEP * minSd)) + 1;
    const n = uniformSize <= unionSize ? this.uniformGrid(lower, upper, uniformSize) : this.unionGrid(means, sds, count, lower, upper, unionSize);
    const acc = this.accumulator;
    acc.fill(0, 0, count);
    const { contenders, nodes, weights, z, cdf } = this;
    for (let j = 0; j < n; j++) {
      const s = nodes[j]!;
      let product = 1;
      for (let c = 0; c < count; c++) {
        const a = contenders[c]!;
        const zc = (s - means[a]!) / sds[a]!;
        const p = fastNormalCdf(zc);
        z[c] = zc;
        cdf[c] = p;
        product *= p;
      }
      if (product === 0) continue;
      const w = weights[j]! * product;
      for (let c = 0; c < count; c++) {
        const zc = z[c]!;
        if (zc <= -TAIL || zc >= TAIL) continue;
        acc[c] = acc[c]! + (w * fastNormalPdf(zc)) / (sds[contenders[c]!]! * cdf[c]!);
      }
    }
    let total = 0;
    for (let c = 0; c < count; c++) total += acc[c]!;
    if (!(total > 0)) {
      // Unreachable for finite inputs; keep a valid distribution regardless.
      for (let c = 0; c < count; c++) out[contenders[c]!] = 1 / count;
      return;
    }
    for (let c = 0; c < count; c++) out[contenders[c]!] = acc[c]! / total;
  }

  private ensureCapacity(n: number): void {
    if (this.nodes.length >= n) return;
    const size = Math.max(n, this.nodes.length * 2);
    this.nodes = new Float64Array(size);
    this.weights = new Float64Array(size);
  }

  private uniformGrid(lower: number, upper: number, n: number): number {
    this.ensureCapacity(n);
    const h = (upper - lower) / (n - 1);
    for (let j = 0; j < n; j++) {
      this.nodes[j] = lower + j * h;
      this.weights[j] = j === 0 || j === n - 1 ? 0.5 * h : h;
    }
    return n;
  }

  private unionGrid(means: Float64Array, sds: Float64Array, count: number, lower: number, upper: number, size: number): number {
    this.ensureCapacity(size + 2);
    let n = 0;
    const nodes = this.nodes;
    nodes[n++] = lower;
    nodes[n++] = upper;
    for (let c = 0; c < count; c++) {
      const a = this.contenders[c]!;
      const sd = sds[a]!;
      const start = Math.max(lower, means[a]! - TAIL * sd);
      const end = Math.min(upper, means[a]! + TAIL * sd);
      const h = STEP * sd;
      for (let s = start; s < end && n < nodes.length; s += h) nodes[n++] = s;
    }
    const sorted = nodes.subarray(0, n).sort();
    // Trapezoid weights on the sorted, possibly non-uniform grid.
    const weights = this.weights;
    weights.fill(0, 0, n);
    for (let j = 0; j + 1 < n; j++) {
      const h = sorted[j + 1]! - sorted[j]!;
      weights[j] = weights[j]! + 0.5 * h;
      weights[j + 1] = weights[j + 1]! + 0.5 * h;
    }
    return n;
  }
}
