/**
 * The Pareto front of the arms on their observed objectives: quality (higher is better), latency
 * and tokens (lower is better). An arm is dominated when another arm is at least as good on all
 * three and strictly better on one; the arms no other arm dominates form the front.
 */

/** An arm's objectives (means over its outcomes). */
export interface ObjectivePoint {
  quality: number;
  latencyMs: number;
  tokens: number;
}

/** True when `a` dominates `b`: no worse on every objective, better on at least one. */
export function dominates(a: ObjectivePoint, b: ObjectivePoint): boolean {
  const noWorse = a.quality >= b.quality && a.latencyMs <= b.latencyMs && a.tokens <= b.tokens;
  const better = a.quality > b.quality || a.latencyMs < b.latencyMs || a.tokens < b.tokens;
  return noWorse && better;
}

/** For each point, the indices (into `points`) of the points that dominate it; empty on the front. O(n²). */
export function dominatedBy(points: readonly ObjectivePoint[]): number[][] {
  return points.map((b) => {
    const by: number[] = [];
    points.forEach((a, i) => {
      if (dominates(a, b)) by.push(i);
    });
    return by;
  });
}
