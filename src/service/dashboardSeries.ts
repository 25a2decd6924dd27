/**
 * The dashboard's series from the store's bucket cells (src/store/dashboardScan.ts): reward over
 * time per traffic kind with a 95% interval, selection counts over time per arm, and per-arm means
 * of the objectives. The sums come from SQL; here they are only divided and folded, with nothing
 * allocated per logged row.
 */
import { normalQuantile } from '../core/math/normal';
import type { BucketCell, Bucketing } from '../store/dashboardReads';
import type { DashboardResult } from '../shared/dashboardProtocol';

type RewardSeries = DashboardResult<'rewardOverTime'>['learned'];

const z975 = normalQuantile(0.975);

/**
 * Mean and 95% normal interval from a count, a sum and a sum of squares: mean = S/n, sample
 * variance s² = (Q − S²/n)/(n − 1), interval mean ± z₀.₉₇₅·s/√n. With fewer than two values the
 * interval is unknown (null); with none the mean too.
 */
export function meanInterval(n: number, sum: number, sumSquares: number): { mean: number | null; lower: number | null; upper: number | null } {
  if (n <= 0) return { mean: null, lower: null, upper: null };
  const mean = sum / n;
  if (n < 2) return { mean, lower: null, upper: null };
  const variance = Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1));
  const half = z975 * Math.sqrt(variance / n);
  return { mean, lower: mean - half, upper: mean + half };
}

/** The bucket starts of a bucketing (ms since the epoch). */
export function bucketStarts(bucketing: Bucketing): number[] {
  return Array.from({ length: bucketing.count }, (_, i) => bucketing.start + i * bucketing.width);
}

/** Reward over time: decisions per bucket, and per traffic kind the rewarded count, mean and interval. */
export function rewardOverTime(cells: readonly BucketCell[], bucketing: Bucketing): DashboardResult<'rewardOverTime'> {
  const k = bucketing.count;
  const decisions = new Array<number>(k).fill(0);
  const sums = { learned: new Float64Array(k * 3), baseline: new Float64Array(k * 3) };
  for (const c of cells) {
    decisions[c.bucket] = (decisions[c.bucket] ?? 0) + c.decisions;
    const s = sums[c.servedBy];
    s[c.bucket * 3] = s[c.bucket * 3]! + c.rewarded;
    s[c.bucket * 3 + 1] = s[c.bucket * 3 + 1]! + c.rewardSum;
    s[c.bucket * 3 + 2] = s[c.bucket * 3 + 2]! + c.rewardSqSum;
  }
  const series = (s: Float64Array): RewardSeries => {
    const out: RewardSeries = { n: [], mean: [], lower: [], upper: [] };
    for (let b = 0; b < k; b++) {
      const n = s[b * 3]!;
      const m = meanInterval(n, s[b * 3 + 1]!, s[b * 3 + 2]!);
      out.n.push(n);
      out.mean.push(m.mean);
      out.lower.push(m.lower);
      out.upper.push(m.upper);
    }
    return out;
  };
  return { bucketStarts: bucketStarts(bucketing), bucketMs: bucketing.width, decisions, learned: series(sums.learned), baseline: series(sums.baseline) };
}

/**
 * Selection counts over time: one series per arm for the `maxSeries` arms served most over the
 * window (ties to the lower index), the other arms summed in `other`, and the totals.
 */
export function selectionOverTime(cells: readonly BucketCell[], bucketing: Bucketing, maxSeries: number): DashboardResult<'arms'>['share'] {
  const k = bucketing.count;
  const byArm = new Map<number, number[]>();
  const totals = new Array<number>(k).fill(0);
  for (const c of cells) {
    let counts = byArm.get(c.armIndex);
    if (counts === undefined) byArm.set(c.armIndex, (counts = new Array<number>(k).fill(0)));
    counts[c.bucket] = (counts[c.bucket] ?? 0) + c.decisions;
    totals[c.bucket] = (totals[c.bucket] ?? 0) + c.decisions;
  }
  const ranked = [...byArm.entries()].map(([armIndex, counts]) => ({ armIndex, counts, total: counts.reduce((s, x) => s + x, 0) }));
  ranked.sort((a, b) => b.total - a.total || a.armIndex - b.armIndex);
  const shown = ranked.slice(0, Math.max(0, maxSeries)).sort((a, b) => a.armIndex - b.armIndex);
  const other = new Array<number>(k).fill(0);
  for (const rest of ranked.slice(Math.max(0, maxSeries))) rest.counts.forEach((x, b) => (other[b] = (other[b] ?? 0) + x));
  return { bucketStarts: bucketStarts(bucketing), bucketMs: bucketing.width, series: shown.map(({ armIndex, counts }) => ({ armIndex, counts })), other, totals };
}

/** An arm's mean objectives over its outcomes in the window. */
export interface ArmMeans {
  armIndex: number;
  outcomes: number;
  quality: number;
  latencyMs: number;
  tokens: number;
  reward: number | null;
}

/** Per arm with at least one outcome: mean quality, latency, tokens (in + out) and reward; by arm index. */
export function armMeans(cells: readonly BucketCell[]): ArmMeans[] {
  const sums = new Map<number, { outcomes: number; quality: number; latency: number; tokens: number; rewarded: number; reward: number }>();
  for (const c of cells) {
    const s = sums.get(c.armIndex) ?? { outcomes: 0, quality: 0, latency: 0, tokens: 0, rewarded: 0, reward: 0 };
    s.outcomes += c.outcomes;
    s.quality += c.qualitySum;
    s.latency += c.latencySum;
    s.tokens += c.tokensSum;
    s.rewarded += c.rewarded;
    s.reward += c.rewardSum;
    sums.set(c.armIndex, s);
  }
  return [...sums.entries()]
    .filter(([, s]) => s.outcomes > 0)
    .sort(([a], [b]) => a - b)
    .map(([armIndex, s]) => ({
      armIndex,
      outcomes: s.outcomes,
      quality: s.quality / s.outcomes,
      latencyMs: s.latency / s.outcomes,
      tokens: s.tokens / s.outcomes,
      reward: s.rewarded > 0 ? s.reward / s.rewarded : null,
    }));
}
