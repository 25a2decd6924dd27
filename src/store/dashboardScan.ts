// The dashboard's bucket scan over the whole log without holding the event loop: the decisions are
// read in slices of their sequence numbers, each one SQL aggregate (dashboardReads.ts), sized so a
// slice takes a few milliseconds, with the event loop given back between slices. Counts, sums and
// sums of squares add up across slices and with the retention summaries, so the merged cells are
// exactly what one query over the whole log would give. Rows appended while the scan runs are left
// to the next scan (the upper sequence number is fixed at the start).
import type { BucketCell, Bucketing } from './dashboardReads';
import { TimeSlicer } from './slicer';

/** Time buckets of a window, at most `maxCount`, with a width people read easily. */
export function chooseBucketing(since: number, until: number, maxCount: number): Bucketing {
  const span = Math.max(1, until - since);
  const count = Math.max(1, Math.floor(maxCount));
  const minute = 60_000;
  const steps = [1, 5, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10_080, 20_160, 43_200].map((m) => m * minute);
  let width = steps.find((w) => Math.floor((until - 1) / w) - Math.floor(since / w) + 1 <= count);
  // Beyond 30-day buckets: whole multiples of 30 days.
  width ??= Math.ceil(span / (count - 1 || 1) / (43_200 * minute)) * 43_200 * minute;
  const start = Math.floor(since / width) * width;
  return { start, width, count: Math.min(count, Math.floor((until - 1 - start) / width) + 1) };
}

/** What a scan reads (the store's dashboard reads). */
export interface BucketScanSource {
  dashboardExtent(): { maxSeq: number };
  dashboardBucketCells(bucketing: Bucketing, after: number, upTo: number): BucketCell[];
  dashboardSummaryCells(bucketing: Bucketing): BucketCell[];
}

/** How a scan slices the log. */
export interface BucketScanOptions {
  /** Target time of one slice, ms (default 6). */
  sliceMs?: number;
  /** Sequence numbers in the first slice (default 20,000); later slices adapt to the time they take. */
  firstSliceSeqs?: number;
  /** The fewest sequence numbers in a slice (default 500). */
  minSliceSeqs?: number;
  /** Gives the event loop back (default: setImmediate). */
  yieldToLoop?: () => Promise<void>;
}

/** Adds `cell`'s counts and sums into the cell of the same bucket, served-by and arm. */
function merge(into: Map<string, BucketCell>, cell: BucketCell): void {
  const key = `${cell.bucket}|${cell.servedBy}|${cell.armIndex}`;
  const known = into.get(key);
  if (known === undefined) {
    into.set(key, { ...cell });
    return;
  }
  known.decisions += cell.decisions;
  known.outcomes += cell.outcomes;
  known.rewarded += cell.rewarded;
  known.rewardSum += cell.rewardSum;
  known.rewardSqSum += cell.rewardSqSum;
  known.qualitySum += cell.qualitySum;
  known.latencySum += cell.latencySum;
  known.tokensSum += cell.tokensSum;
}

/**
 * Every (bucket, served-by, arm) cell of the window, raw rows and summaries merged, ordered by
 * bucket, served-by, arm. At most buckets × 2 × arms cells, whatever the log's size.
 */
export async function scanBuckets(source: BucketScanSource, bucketing: Bucketing, options: BucketScanOptions = {}): Promise<BucketCell[]> {
  const sliceMs = options.sliceMs ?? 6;
  const slicer = new TimeSlicer(sliceMs);
  const pause = options.yieldToLoop ?? (() => slicer.pause());
  const cells = new Map<string, BucketCell>();
  for (const cell of source.dashboardSummaryCells(bucketing)) merge(cells, cell);
  const upTo = source.dashboardExtent().maxSeq;
  let width = Math.max(1, Math.floor(options.firstSliceSeqs ?? 20_000));
  for (let after = 0; after < upTo; ) {
    const end = Math.min(upTo, after + width);
    const started = performance.now();
    for (const cell of source.dashboardBucketCells(bucketing, after, end)) merge(cells, cell);
    const took = performance.now() - started;
    after = end;
    // The next slice sized for the target time (at most 4× larger or smaller than this one).
    width = Math.max(options.minSliceSeqs ?? 500, Math.round(width * Math.min(4, Math.max(0.25, sliceMs / Math.max(0.05, took)))));
    if (after < upTo) await pause();
  }
  return [...cells.values()].filter((c) => c.bucket >= 0 && c.bucket < bucketing.count).sort((a, b) => a.bucket - b.bucket || a.servedBy.localeCompare(b.servedBy) || a.armIndex - b.armIndex);
}
