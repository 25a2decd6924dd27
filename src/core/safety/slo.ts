/**
 * SLO monitor (ARCHITECTURE.md §"Statistics", "Rollback"): compares the learned policy's traffic with the baseline's on
 * quality, error rate, latency p95/p99 and token use, with a sequential test that stays valid however
 * often it is checked, and signals a rollback the moment one metric is worse beyond its tolerance.
 *
 * Every metric is reduced to a stream of numbers in [0, 1]:
 * - quality: the outcome's quality (already in [0, 1]);
 * - error rate: the indicator 1{request failed};
 * - latency p95 / p99: the exceedance indicator 1{latency > q}, where q is the baseline's p95 (p99)
 *   frozen from the first `quantileReferenceSize` baseline latencies. A quantile is not a mean, but
 *   "the share of requests slower than the baseline's p95" is: under H0 it is about 5%, and a
 *   candidate that moves the tail moves it up. Freezing q makes it a fixed threshold, so each
 *   indicator is a bounded variable with a well-defined conditional mean;
 * - token use: min(tokensIn + tokensOut, tokenCap) / tokenCap.
 *
 * For bounded variables we need no Gaussian assumption: each stream gets a time-uniform confidence
 * sequence (CS) for its mean built by betting (Waudby-Smith & Ramdas, "Estimating means of bounded
 * random variables by betting", JRSS-B 2024; see `BoundedMeanSequence`). It holds simultaneously for
 * all times with probability ≥ 1 − a, so the test may be checked after every observation. Betting
 * adapts to the observed variance and, unlike Hoeffding or empirical-Bernstein bounds, may bet more
 * than 1 per unit when the candidate mean is far from the range's ends, which matters at low traffic:
 * a quality drop of 0.2 is found in tens of learned requests rather than hundreds. The 0/1 streams
 * (errors, latency exceedances) get a mixture of Bernoulli likelihood ratios instead
 * (`BernoulliMixtureSequence`), which is far tighter at rates of a few percent.
 *
 * Two-sample test: with U_L the learned stream's upper bound and L_B the baseline's lower bound (each
 * one-sided at level α_metric / 2), "learned is worse" for a higher-is-better metric is declared when
 * U_L + tolerance < L_B. Under H0 (learned mean ≥ baseline mean − tolerance) this needs one of the two
 * sequences to miss its mean, so the time-uniform false-alarm probability is ≤ α_metric by the union
 * bound, and ≤ Σ α_metric over the metrics. The learned policy may keep learning: the betting
 * processes stay supermartingales as long as every request's conditional mean satisfies H0, so the
 * guarantee covers a changing candidate that is never worse than the tolerance.
 *
 * The windows: both streams cover the same test epoch. An epoch starts with the monitor and again at
 * every phase change (`restartEpoch`), so within an epoch both policies serve fixed shares of the
 * same stretch of time: a change that hits both alike (a new model version, a harder project) moves
 * both streams alike and is not read as the learned policy's fault. (Comparing the learned policy's
 * last days with the baseline's whole history rolled back an equal candidate in 27 of 30 simulated
 * runs after a common quality drop of 0.3; over the same window, in none.) The one exception is a
 * phase with no baseline traffic (general at 100%): there the baseline's stream of the previous epoch
 * is carried over, as the only comparison there is (a CS is valid at any stopping time), and a common
 * change can then still look like the learned policy's; a general share below 1 keeps a concurrent
 * baseline. Sliding windows of the most recent raw values are kept for display (recent means and
 * percentiles), not for the test: dropping old observations would break the martingale argument that
 * makes the test valid.
 */
import { z } from 'zod';
import { TwoSampleSequentialTest, type MeanBounds, type MeanSequenceState, type StreamKind } from './confidenceSequence';
import { DisplayWindows, type SloWindows } from './sloWindows';
import type { RolloutPhase, ServedBy } from '../types';

export type { SloWindows } from './sloWindows';
export { BernoulliMixtureSequence, BoundedMeanSequence, TwoSampleSequentialTest, type BoundedMeanSequenceState, type MeanBounds, type MeanSequenceState } from './confidenceSequence';

/** The metrics the monitor watches. */
export const sloMetrics = ['quality', 'errorRate', 'latencyP95', 'latencyP99', 'tokens'] as const;
export type SloMetric = (typeof sloMetrics)[number];

const metricSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  /** Time-uniform false-alarm probability spent on this metric per test epoch. */
  alpha: z.number().gt(0).lt(1),
  /** Difference (on the metric's [0, 1] scale) tolerated before a breach is declared. */
  tolerance: z.number().min(0).max(1),
});

/** SLO monitor settings; every field has a default suited to ~30 requests a day. */
export const sloConfigSchema = z.object({
  metrics: z
    .object({
      quality: metricSettingsSchema.prefault({ alpha: 0.02, tolerance: 0.02 }),
      errorRate: metricSettingsSchema.prefault({ alpha: 0.01, tolerance: 0.02 }),
      latencyP95: metricSettingsSchema.prefault({ alpha: 0.01, tolerance: 0.05 }),
      latencyP99: metricSettingsSchema.prefault({ alpha: 0.005, tolerance: 0.02 }),
      tokens: metricSettingsSchema.prefault({ alpha: 0.005, tolerance: 0.05 }),
    })
    .prefault({}),
  /** Minimum-sample guard: no breach before the learned stream of a metric has this many samples. */
  minLearnedSamples: z.number().int().min(1).default(8),
  /** Minimum-sample guard for the baseline stream. */
  minBaselineSamples: z.number().int().min(1).default(30),
  /** Baseline latencies from which the p95/p99 thresholds are frozen. */
  quantileReferenceSize: z.number().int().min(20).default(100),
  /** Token counts above this are clipped: the token stream is min(tokens, cap) / cap. */
  tokenCap: z.number().positive().default(8192),
  /** Size of the display windows (most recent raw values per policy). */
  windowSize: z.number().int().min(1).default(200),
});
export type SloConfig = z.infer<typeof sloConfigSchema>;
export type SloConfigInput = z.input<typeof sloConfigSchema>;

/** Which way is worse for a metric: quality is better when higher, the others when lower. */
export const metricHigherIsBetter: Readonly<Record<SloMetric, boolean>> = {
  quality: true,
  errorRate: false,
  latencyP95: false,
  latencyP99: false,
  tokens: false,
};


/**
 * The stream each metric is tested on: error and exceedance indicators are 0/1 and get the mixture
 * sequence (tight for rare events), quality and token use the betting sequence for values in [0, 1].
 */
export const metricStream: Readonly<Record<SloMetric, StreamKind>> = {
  quality: 'bounded',
  errorRate: 'indicator',
  latencyP95: 'indicator',
  latencyP99: 'indicator',
  tokens: 'bounded',
};

/** What the monitor needs of an outcome; derived from an `Outcome` by `sloObservationOf`. */
export interface SloObservation {
  quality: number;
  latencyMs: number;
  tokens: number;
  failed: boolean;
}

/** The evidence of a breach: which metric, both streams' bounds, the tolerance and level. */
export interface SloBreach {
  metric: SloMetric;
  timestamp: number;
  higherIsBetter: boolean;
  learned: MeanBounds;
  baseline: MeanBounds;
  tolerance: number;
  alpha: number;
  /** For latency metrics: the frozen baseline quantile (ms) the exceedance is measured against. */
  thresholdMs?: number;
  /** Human-readable summary, e.g. for a notification. */
  message: string;
}

/** A recorded rollback caused by an SLO breach, for persistence and the dashboard. */
export interface Incident {
  id: string;
  timestamp: number;
  fromPhase: RolloutPhase;
  toPhase: RolloutPhase;
  breach: SloBreach;
}

/** Persisted state of an `SloMonitor`. */
export interface SloMonitorState {
  sequences: Record<SloMetric, { learned: MeanSequenceState; baseline: MeanSequenceState }>;
  referenceLatencies: number[];
  thresholds?: { p95: number; p99: number };
  windows: SloWindows;
  breach?: SloBreach;
}

/** Display summary of one metric's recent window and its test. */
export interface SloMetricStatus {
  metric: SloMetric;
  enabled: boolean;
  learned: MeanBounds;
  baseline: MeanBounds;
  /** Positive when breached; how close the test is to a breach otherwise. */
  margin: number;
  breached: boolean;
}

/** The q-quantile of a sample (type 7, linear interpolation; the textbook default of R and NumPy). */
export function quantile(sample: readonly number[], q: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((x, y) => x - y);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return a + (h - lo) * (b - a);
}


/**
 * The SLO monitor. Feed it every outcome with who served it; `observe` returns the first breach
 * (if any) so the caller can roll back at once (`RolloutManager.rollbackOnBreach`, whose
 * `rollbackTo` setting says whether to the previous phase or to shadow). Baseline outcomes from shadow mode count: they build
 * the baseline's bounds and latency quantiles before any learned traffic exists.
 */
export class SloMonitor {
  readonly config: SloConfig;
  private readonly tests: Record<SloMetric, TwoSampleSequentialTest>;
  private readonly referenceLatencies: number[] = [];
  private thresholdP95: number | undefined;
  private thresholdP99: number | undefined;
  private readonly windows: DisplayWindows;
  private breachRecorded: SloBreach | undefined;

  constructor(config: SloConfigInput = {}) {
    this.config = sloConfigSchema.parse(config);
    const m = this.config.metrics;
    const make = (metric: SloMetric): TwoSampleSequentialTest =>
      new TwoSampleSequentialTest(m[metric].alpha, m[metric].tolerance, metricHigherIsBetter[metric], metricStream[metric]);
    this.tests = {
      quality: make('quality'),
      errorRate: make('errorRate'),
      latencyP95: make('latencyP95'),
      latencyP99: make('latencyP99'),
      tokens: make('tokens'),
    };
    this.windows = new DisplayWindows(this.config.windowSize);
  }

  /** The frozen baseline latency thresholds (ms), once enough baseline latencies were seen. */
  get latencyThresholds(): { p95: number; p99: number } | undefined {
    return this.thresholdP95 === undefined || this.thresholdP99 === undefined
      ? undefined
      : { p95: this.thresholdP95, p99: this.thresholdP99 };
  }

  /** The breach that ended the current epoch, if any (the monitor stops testing after a breach). */
  get breach(): SloBreach | undefined {
    return this.breachRecorded;
  }

  /**
   * Records one outcome and runs every enabled test. Returns the breach when this observation
   * completes the evidence for one (at most once per epoch), else undefined. O(number of metrics).
   */
  observe(servedBy: ServedBy, obs: SloObservation, timestamp: number): SloBreach | undefined {
    this.windows.push(servedBy, obs.quality, obs.latencyMs, obs.tokens, obs.failed);

    const side = servedBy === 'learned' ? 'learned' : 'baseline';
    const t = this.tests;
    const on = this.config.metrics;
    if (on.quality.enabled) t.quality[side].push(obs.quality);
    if (on.errorRate.enabled) t.errorRate[side].push(obs.failed ? 1 : 0);
    if (on.tokens.enabled) t.tokens[side].push(Math.min(obs.tokens, this.config.tokenCap) / this.config.tokenCap);
    if (this.thresholdP95 !== undefined && this.thresholdP99 !== undefined) {
      if (on.latencyP95.enabled) t.latencyP95[side].push(obs.latencyMs > this.thresholdP95 ? 1 : 0);
      if (on.latencyP99.enabled) t.latencyP99[side].push(obs.latencyMs > this.thresholdP99 ? 1 : 0);
    } else if (servedBy === 'baseline' && !obs.failed) {
      // Reference latencies only come from successful baseline requests; once frozen, the thresholds
      // are fixed for the monitor's life, so the exceedance indicators are well-defined streams.
      this.referenceLatencies.push(obs.latencyMs);
      if (this.referenceLatencies.length >= this.config.quantileReferenceSize) {
        this.thresholdP95 = quantile(this.referenceLatencies, 0.95);
        this.thresholdP99 = quantile(this.referenceLatencies, 0.99);
      }
    }
    if (this.breachRecorded !== undefined) return undefined;
    const found = this.firstBreach(timestamp);
    if (found) this.breachRecorded = found;
    return found;
  }

  /**
   * Starts a new test epoch (at a phase change: the shares change, so both streams start afresh over
   * the same window). With `keepBaseline` the baseline's stream carries over: for a phase where the
   * baseline serves nothing.
   */
  restartEpoch(keepBaseline = false): void {
    for (const metric of sloMetrics) {
      this.tests[metric].restartLearned();
      if (!keepBaseline) this.tests[metric].restartBaseline();
    }
    this.breachRecorded = undefined;
  }

  private firstBreach(timestamp: number): SloBreach | undefined {
    for (const metric of sloMetrics) {
      const settings = this.config.metrics[metric];
      if (!settings.enabled) continue;
      const test = this.tests[metric];
      if (test.learned.count < this.config.minLearnedSamples) continue;
      if (test.baseline.count < this.config.minBaselineSamples) continue;
      if (!test.worse()) continue;
      const learned = test.learned.bounds();
      const baseline = test.baseline.bounds();
      const thresholdMs = metric === 'latencyP95' ? this.thresholdP95 : metric === 'latencyP99' ? this.thresholdP99 : undefined;
      const breach: SloBreach = {
        metric,
        timestamp,
        higherIsBetter: test.higherIsBetter,
        learned,
        baseline,
        tolerance: settings.tolerance,
        alpha: settings.alpha,
        message: describeBreach(metric, learned, baseline, settings.tolerance, thresholdMs),
      };
      if (thresholdMs !== undefined) breach.thresholdMs = thresholdMs;
      return breach;
    }
    return undefined;
  }

  /** The monitor's whole state as plain data, for persistence across restarts. */
  toJSON(): SloMonitorState {
    const sequences = {} as SloMonitorState['sequences'];
    for (const metric of sloMetrics) {
      sequences[metric] = { learned: this.tests[metric].learned.toJSON(), baseline: this.tests[metric].baseline.toJSON() };
    }
    const state: SloMonitorState = { sequences, referenceLatencies: [...this.referenceLatencies], windows: this.recentWindows() };
    const thresholds = this.latencyThresholds;
    if (thresholds) state.thresholds = thresholds;
    if (this.breachRecorded) state.breach = structuredClone(this.breachRecorded);
    return state;
  }

  /** Restores a state produced by `toJSON` under the same settings. */
  restore(state: SloMonitorState): void {
    for (const metric of sloMetrics) {
      const saved = state.sequences[metric];
      this.tests[metric].learned.restore(saved.learned);
      this.tests[metric].baseline.restore(saved.baseline);
    }
    this.referenceLatencies.length = 0;
    this.referenceLatencies.push(...state.referenceLatencies);
    this.thresholdP95 = state.thresholds?.p95;
    this.thresholdP99 = state.thresholds?.p99;
    this.windows.restore(state.windows);
    this.breachRecorded = state.breach ? structuredClone(state.breach) : undefined;
  }

  /** Per-metric bounds and margins, for the dashboard. */
  status(): SloMetricStatus[] {
    return sloMetrics.map((metric) => {
      const test = this.tests[metric];
      const margin = test.margin();
      return {
        metric,
        enabled: this.config.metrics[metric].enabled,
        learned: test.learned.bounds(),
        baseline: test.baseline.bounds(),
        margin,
        breached: this.breachRecorded?.metric === metric,
      };
    });
  }

  /** Recent raw values per policy (the sliding display windows). */
  recentWindows(): SloWindows {
    return this.windows.toJSON();
  }
}

const metricLabels: Record<SloMetric, string> = {
  quality: 'quality',
  errorRate: 'error rate',
  latencyP95: 'share of requests slower than the baseline p95',
  latencyP99: 'share of requests slower than the baseline p99',
  tokens: 'token use (share of the token cap)',
};

function describeBreach(metric: SloMetric, learned: MeanBounds, baseline: MeanBounds, tolerance: number, thresholdMs?: number): string {
  const f = (x: number): string => x.toFixed(3);
  const dir = metricHigherIsBetter[metric] ? 'below' : 'above';
  const where = thresholdMs === undefined ? '' : ` (threshold ${Math.round(thresholdMs)} ms)`;
  return (
    `${metricLabels[metric]}${where}: learned ${f(learned.mean)} over ${learned.n} requests ` +
    `(bound ${f(metricHigherIsBetter[metric] ? learned.upper : learned.lower)}) is ${dir} baseline ${f(baseline.mean)} ` +
    `over ${baseline.n} (bound ${f(metricHigherIsBetter[metric] ? baseline.lower : baseline.upper)}) by more than ${f(tolerance)}`
  );
}

/** The SLO view of an outcome: failed when it errored; tokens are in + out. */
export function sloObservationOf(outcome: {
  quality: number;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  finishReason: string;
  error?: string;
}): SloObservation {
  return {
    quality: outcome.quality,
    latencyMs: outcome.latencyMs,
    tokens: outcome.tokensIn + outcome.tokensOut,
    failed: outcome.finishReason === 'error' || outcome.error !== undefined,
  };
}
