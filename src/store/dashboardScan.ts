// The dashboard's bucket scan over the whole log without holding the event loop. Counts, sums and
// sums of squares add up across slices and with the retention summaries, so the merged cells are
// exactly what one query over the whole log would give (sums up to floating-point rounding). Two
// ways to read the log:
// - From the rollup (rollup.ts), when the buckets are whole hours or days: rollup rows a slice of
//   periods at a time, in proportion to periods × served-by × arms whatever the number of decisions.
//   The rollup is always the log as it stands, so a slice read before later appends is brought up
//   to the scan's end from the raw rows that came after it (as a refresh does), and a scan during
//   which retention folded rows is done again.
// - Raw, for finer buckets: the decisions in slices of their sequence numbers, each one SQL
//   aggregate (dashboardReads.ts), sized so a slice takes a few milliseconds, with the event loop
//   given back between slices. Rows appended while the scan runs are left to the next scan: a scan
//   is the log as of one sequence number (its mark).
// A refresh adds what came after the mark (new decisions, and outcomes of decisions the scan had
// counted) without reading the rest again, unless retention moved rows meanwhile.
import type { BucketCell, Bucketing, LogExtent, TimeRange } from './dashboardReads';
import { rollupGrainFor } from './rollup';
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
  /** The newest event's sequence number. */
  readonly lastSeq: number;
  dashboardExtent(): LogExtent;
  dashboardBucketCells(bucketing: Bucketing, after: number, upTo: number, outcomesUpTo?: number, range?: TimeRange): BucketCell[];
  dashboardLateOutcomeCells(bucketing: Bucketing, outcomesAfter: number, outcomesUpTo: number, decisionsUpTo: number, range?: TimeRange): BucketCell[];
  dashboardSummaryCells(bucketing: Bucketing): BucketCell[];
  dashboardRollupCells(bucketing: Bucketing, grain: number, range: TimeRange): BucketCell[];
  dashboardWindowSeqs(bucketing: Bucketing): { first: number; last: number } | undefined;
}

/** What a scan saw: its decisions up to `maxSeq`, outcomes up to `lastSeq`, the raw and summarised counts. */
export interface ScanMark {
  maxSeq: number;
  lastSeq: number;
  raw: number;
  summarised: number;
}

/** The cells of a window as of a mark. */
export interface BucketScan {
  bucketing: Bucketing;
  mark: ScanMark;
  cells: BucketCell[];
}

/** The log's mark now. */
export function scanMark(source: BucketScanSource): ScanMark {
  const extent = source.dashboardExtent();
  return { maxSeq: extent.maxSeq, lastSeq: source.lastSeq, raw: extent.raw, summarised: extent.summarised };
}

/** How a scan slices the log. */
export interface BucketScanOptions {
  /** Target time of one slice, ms (default 6). */
  sliceMs?: number;
  /** Sequence numbers in the first slice (default 4,000, about 5 ms); later slices adapt to the time they take. */
  firstSliceSeqs?: number;
  /** The fewest sequence numbers in a slice (default 500). */
  minSliceSeqs?: number;
  /** Periods of the rollup's grain in the first slice (default 256); later slices adapt to the time they take. */
  firstSlicePeriods?: number;
  /** The fewest periods in a slice (default 16). */
  minSlicePeriods?: number;
  /** Read the rollup when the buckets allow it (default true); false: always the raw rows. */
  rollup?: boolean;
  /** Gives the event loop back (default: setImmediate). */
  yieldToLoop?: () => Promise<void>;
}

/** Adds `cell`'s counts and sums into the cell of the same bucket, served-by and arm. */
function mergeCell(into: Map<string, BucketCell>, cell: BucketCell): void {
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
  return (await scanBucketsMarked(source, bucketing, options)).cells;
}

/** `scanBuckets` with the mark the cells are as of. */
export async function scanBucketsMarked(source: BucketScanSource, bucketing: Bucketing, options: BucketScanOptions = {}): Promise<BucketScan> {
  const grain = options.rollup === false ? undefined : rollupGrainFor(bucketing);
  return grain === undefined ? scanRaw(source, bucketing, options) : scanRollup(source, bucketing, grain, options);
}

/** The next slice's size for the target time: at most 4× larger or smaller than the last one's. */
function nextSliceSize(size: number, took: number, sliceMs: number, least: number): number {
  return Math.max(least, Math.round(size * Math.min(4, Math.max(0.25, sliceMs / Math.max(0.05, took)))));
}

/**
 * The raw decisions in slices of sequence numbers, as of the mark at the start: those from the
 * first to the last decision of the window (a window of a long log holds a short run of them).
 */
async function scanRaw(source: BucketScanSource, bucketing: Bucketing, options: BucketScanOptions): Promise<BucketScan> {
  const sliceMs = options.sliceMs ?? 6;
  const slicer = new TimeSlicer(sliceMs);
  const pause = options.yieldToLoop ?? (() => slicer.pause());
  const cells = new Map<string, BucketCell>();
  const mark = scanMark(source);
  // In the mark's turn: no decision after the mark's is in the span.
  const span = source.dashboardWindowSeqs(bucketing);
  for (const cell of source.dashboardSummaryCells(bucketing)) mergeCell(cells, cell);
  const upTo = span?.last ?? 0;
  let width = Math.max(1, Math.floor(options.firstSliceSeqs ?? 4_000));
  for (let after = span === undefined ? 0 : span.first - 1; after < upTo; ) {
    const end = Math.min(upTo, after + width);
    const started = performance.now();
    for (const cell of source.dashboardBucketCells(bucketing, after, end, mark.lastSeq)) mergeCell(cells, cell);
    after = end;
    width = nextSliceSize(width, performance.now() - started, sliceMs, options.minSliceSeqs ?? 500);
    if (after < upTo) await pause();
  }
  return { bucketing, mark, cells: ordered(cells, bucketing) };
}

/** Scans of the rollup begun again because retention folded rows meanwhile, before giving up on it. */
const rollupAttempts = 3;

/**
 * The rollup's periods of `grain` in slices, each read as the log stood then (every event up to
 * the source's `lastSeq` at that moment), then each brought up to the mark at the end.
 */
async function scanRollup(source: BucketScanSource, bucketing: Bucketing, grain: number, options: BucketScanOptions): Promise<BucketScan> {
  const sliceMs = options.sliceMs ?? 6;
  const slicer = new TimeSlicer(sliceMs);
  const pause = options.yieldToLoop ?? (() => slicer.pause());
  const end = bucketing.start + bucketing.width * bucketing.count;
  for (let attempt = 1; ; attempt++) {
    const cells = new Map<string, BucketCell>();
    const first = scanMark(source);
    for (const cell of source.dashboardSummaryCells(bucketing)) mergeCell(cells, cell);
    /** Ranges read, each with the last event it saw (consecutive ranges that saw the same one merged). */
    const read: { range: TimeRange; lastSeq: number }[] = [];
    let periods = Math.max(1, Math.floor(options.firstSlicePeriods ?? 256));
    for (let from = bucketing.start; from < end; ) {
      const range = { from, to: Math.min(end, from + periods * grain) };
      const started = performance.now();
      for (const cell of source.dashboardRollupCells(bucketing, grain, range)) mergeCell(cells, cell);
      // Read in the same turn as the cells: the rollup held every event up to it.
      const lastSeq = source.lastSeq;
      const previous = read[read.length - 1];
      if (previous !== undefined && previous.lastSeq === lastSeq) previous.range.to = range.to;
      else read.push({ range, lastSeq });
      from = range.to;
      periods = nextSliceSize(periods, performance.now() - started, sliceMs, options.minSlicePeriods ?? 16);
      if (from < end) await pause();
    }
    const mark = scanMark(source);
    // Retention folded rows while the slices were read: the summaries and the rollup both moved.
    if (mark.summarised !== first.summarised) {
      if (attempt < rollupAttempts) continue;
      return scanRaw(source, bucketing, options);
    }
    for (const { range, lastSeq } of read) {
      if (lastSeq === mark.lastSeq) continue;
      // What came after this range was read: its new decisions with their outcomes, and the
      // outcomes of the decisions it had counted (lastSeq bounds both: every event up to it was in).
      for (const cell of source.dashboardBucketCells(bucketing, lastSeq, mark.maxSeq, mark.lastSeq, range)) mergeCell(cells, cell);
      for (const cell of source.dashboardLateOutcomeCells(bucketing, lastSeq, mark.lastSeq, lastSeq, range)) mergeCell(cells, cell);
    }
    return { bucketing, mark, cells: ordered(cells, bucketing) };
  }
}

function ordered(cells: Map<string, BucketCell>, bucketing: Bucketing): BucketCell[] {
  return [...cells.values()].filter((c) => c.bucket >= 0 && c.bucket < bucketing.count).sort((a, b) => a.bucket - b.bucket || a.servedBy.localeCompare(b.servedBy) || a.armIndex - b.armIndex);
}

/** The most sequence numbers a refresh reads in one go. */
const maxRefreshSeqs = 20_000;

/**
 * `previous` brought up to the log's present in `bucketing` (the same start and width; as many
 * buckets or more, when the window grew with the log): the decisions after its mark with their
 * outcomes, plus the outcomes that came since for decisions it had counted. Undefined when
 * retention has folded rows meanwhile (the counts moved between raw rows and summaries), much was
 * appended at once, or the buckets differ: then scan again.
 */
export function refreshBuckets(source: BucketScanSource, previous: BucketScan, bucketing: Bucketing): BucketScan | undefined {
  const before = previous.bucketing;
  if (before.start !== bucketing.start || before.width !== bucketing.width || bucketing.count < before.count) return undefined;
  const mark = scanMark(source);
  if (mark.summarised !== previous.mark.summarised || mark.raw < previous.mark.raw || mark.maxSeq < previous.mark.maxSeq) return undefined;
  // Much appended at once (an import): a sliced scan, not one long read.
  if (mark.lastSeq - previous.mark.lastSeq > maxRefreshSeqs) return undefined;
  const cells = new Map<string, BucketCell>();
  for (const cell of previous.cells) mergeCell(cells, cell);
  for (const cell of source.dashboardBucketCells(bucketing, previous.mark.maxSeq, mark.maxSeq, mark.lastSeq)) mergeCell(cells, cell);
  for (const cell of source.dashboardLateOutcomeCells(bucketing, previous.mark.lastSeq, mark.lastSeq, previous.mark.maxSeq)) mergeCell(cells, cell);
  return { bucketing, mark, cells: ordered(cells, bucketing) };
}
