/**
 * Drift detector (ARCHITECTURE.md §"Statistics", "Non-stationarity"): the population stability index of each context
 * feature between a reference window and the recent window, and a Page-Hinkley test on the reward
 * stream. Warnings name the features; a setting lets drift pause promotion, because a gate verdict
 * computed on one population says little about another.
 *
 * PSI binning: B bins (default 10) cut at the reference window's quantiles q_{1/B}, …, q_{(B−1)/B}
 * (type-7 interpolation), with repeated cut points merged, so discrete or one-hot features get one
 * bin per observed level instead of empty duplicates. Bins are (−∞, c₁], (c₁, c₂], …, (c_last, ∞).
 * A bin empty in one window would make ln(c/r) infinite, so each proportion is floored at ε
 * (default 1e-4) before the sum PSI = Σ (c_i − r_i) · ln(c_i / r_i); bins empty in both windows then
 * contribute 0. Textbook reading: < 0.1 no significant shift, 0.1–0.25 moderate, ≥ 0.25 major
 * (Siddiqi, "Credit Risk Scorecards", 2006; Yurdakul 2018).
 *
 * Those thresholds assume large samples. With no shift at all, PSI between samples of sizes R and M
 * is ≈ (1/R + 1/M) · χ²_{B−1}, so its expected value is (B − 1)(1/R + 1/M): 0.135 for 10 bins and
 * windows of 200 and 100, already "moderate". Hence the defaults of 500 reference and 300 recent
 * contexts (noise ≈ 0.048, about 10 days of one developer's requests), and the report carries that
 * noise level so a reader can tell a shift from sampling noise.
 */
import { z } from 'zod';
import { quantile } from './slo';

/** Drift settings. */
export const driftConfigSchema = z.object({
  /** Contexts forming the reference window (the first ones seen, or set by `resetReference`). */
  referenceSize: z.number().int().min(10).default(500),
  /** Most recent contexts compared with the reference. */
  recentSize: z.number().int().min(10).default(300),
  /** No PSI is reported before the recent window holds this many contexts. */
  minRecent: z.number().int().min(1).default(100),
  bins: z.number().int().min(2).default(10),
  epsilon: z.number().positive().default(1e-4),
  moderate: z.number().positive().default(0.1),
  major: z.number().positive().default(0.25),
  pageHinkley: z
    .object({
      /** Change in mean tolerated (reward units). */
      delta: z.number().min(0).default(0.05),
      /** Alarm threshold on the cumulative deviation. */
      lambda: z.number().positive().default(8),
      /** No alarm before this many rewards. */
      minSamples: z.number().int().min(1).default(30),
    })
    .prefault({}),
  /** Pause promotion while a major feature shift or a reward alarm stands. */
  pausePromotion: z.boolean().default(false),
});
export type DriftConfig = z.infer<typeof driftConfigSchema>;
export type DriftConfigInput = z.input<typeof driftConfigSchema>;

/** Interior cut points: the reference's quantiles at k/B, repeated values merged. */
export function psiCutPoints(reference: ArrayLike<number>, bins: number): number[] {
  const sample = Array.from(reference);
  const cuts: number[] = [];
  for (let k = 1; k < bins; k++) {
    const c = quantile(sample, k / bins);
    if (cuts.length === 0 || c > (cuts[cuts.length - 1] as number)) cuts.push(c);
  }
  return cuts;
}

/** Proportion of values in each bin defined by the cut points (length cuts.length + 1). */
export function binProportions(values: ArrayLike<number>, cuts: readonly number[]): number[] {
  const counts = new Array<number>(cuts.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    // First bin whose upper cut is ≥ v (binary search), else the last bin.
    let lo = 0;
    let hi = cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v <= (cuts[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    counts[lo] = (counts[lo] as number) + 1;
  }
  return counts.map((c) => (values.length === 0 ? 0 : c / values.length));
}

/** PSI = Σ (c_i − r_i) ln(c_i / r_i) with both proportions floored at ε. */
export function populationStabilityIndex(reference: readonly number[], current: readonly number[], epsilon = 1e-4): number {
  if (reference.length !== current.length) throw new Error('PSI needs the same bins on both sides');
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i] as number, epsilon);
    const c = Math.max(current[i] as number, epsilon);
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/** PSI of one feature between two samples, binned on the reference's quantiles. */
export function featurePsi(reference: ArrayLike<number>, current: ArrayLike<number>, bins = 10, epsilon = 1e-4): number {
  const cuts = psiCutPoints(reference, bins);
  return populationStabilityIndex(binProportions(reference, cuts), binProportions(current, cuts), epsilon);
}

/**
 * Page-Hinkley test (Page 1954; as in Gama et al., "A survey on concept drift adaptation", 2014) in
 * both directions. With x̄_T the running mean,
 *   up:   m_T = Σ (x_t − x̄_t − δ), alarm when m_T − min_{t≤T} m_t > λ   (mean increased);
 *   down: n_T = Σ (x_t − x̄_t + δ), alarm when max_{t≤T} n_t − n_T > λ   (mean decreased).
 * O(1) per observation. After an alarm the test restarts from the next observation.
 */
export class PageHinkley {
  private n = 0;
  private mean = 0;
  private up = 0;
  private upMin = 0;
  private down = 0;
  private downMax = 0;

  constructor(
    readonly delta: number,
    readonly lambda: number,
    readonly minSamples: number,
  ) {}

  /** Adds an observation; returns the direction of a detected change, or undefined. */
  push(x: number): 'increase' | 'decrease' | undefined {
    this.n++;
    this.mean += (x - this.mean) / this.n;
    this.up += x - this.mean - this.delta;
    if (this.up < this.upMin) this.upMin = this.up;
    this.down += x - this.mean + this.delta;
    if (this.down > this.downMax) this.downMax = this.down;
    if (this.n < this.minSamples) return undefined;
    const change = this.down < this.downMax - this.lambda ? 'decrease' : this.up > this.upMin + this.lambda ? 'increase' : undefined;
    if (change) this.reset();
    return change;
  }

  get count(): number {
    return this.n;
  }

  toJSON(): PageHinkleyState {
    return { n: this.n, mean: this.mean, up: this.up, upMin: this.upMin, down: this.down, downMax: this.downMax };
  }

  restore(state: PageHinkleyState): void {
    ({ n: this.n, mean: this.mean, up: this.up, upMin: this.upMin, down: this.down, downMax: this.downMax } = state);
  }

  reset(): void {
    this.n = 0;
    this.mean = 0;
    this.up = 0;
    this.upMin = 0;
    this.down = 0;
    this.downMax = 0;
  }
}

/** Persisted state of a `PageHinkley` test. */
export interface PageHinkleyState {
  n: number;
  mean: number;
  up: number;
  upMin: number;
  down: number;
  downMax: number;
}

/** Persisted state of a `DriftDetector`: windows feature-major, the recent one oldest first. */
export interface DriftState {
  reference: number[][];
  recent: number[][];
  pageHinkley: PageHinkleyState;
  rewardAlarm?: { direction: 'increase' | 'decrease'; timestamp: number; samples: number };
}

export type DriftLevel = 'none' | 'moderate' | 'major';

/** PSI of one feature and its reading. */
export interface FeatureDrift {
  name: string;
  psi: number;
  level: DriftLevel;
}

/** What the detector reports. */
export interface DriftReport {
  /** Per feature, or empty before the windows are full enough. */
  features: FeatureDrift[];
  /** The last reward alarm since the last `acknowledgeRewardAlarm`, if any. */
  rewardAlarm?: { direction: 'increase' | 'decrease'; timestamp: number; samples: number };
  /** Expected PSI with no shift at all, (B − 1)(1/R + 1/M), for the current window sizes. */
  noiseLevel: number;
  /** Human-readable warnings naming the features. */
  warnings: string[];
  /** True when the setting is on and a major shift or a reward alarm stands. */
  pausePromotion: boolean;
}

/** Feature-wise PSI and reward Page-Hinkley over the optimizer's stream. */
export class DriftDetector {
  readonly config: DriftConfig;
  private readonly reference: Float64Array[];
  private readonly recent: Float64Array[];
  private referenceCount = 0;
  private recentCount = 0;
  private recentNext = 0;
  private readonly ph: PageHinkley;
  private alarm: DriftReport['rewardAlarm'];

  constructor(
    readonly featureNames: readonly string[],
    config: DriftConfigInput = {},
  ) {
    this.config = driftConfigSchema.parse(config);
    this.reference = featureNames.map(() => new Float64Array(this.config.referenceSize));
    this.recent = featureNames.map(() => new Float64Array(this.config.recentSize));
    const p = this.config.pageHinkley;
    this.ph = new PageHinkley(p.delta, p.lambda, p.minSamples);
  }

  /** Adds a context's feature vector (in `featureNames` order): to the reference until full, then to the recent window. */
  observeContext(features: ArrayLike<number>): void {
    if (this.referenceCount < this.config.referenceSize) {
      for (let f = 0; f < this.reference.length; f++) (this.reference[f] as Float64Array)[this.referenceCount] = features[f] ?? 0;
      this.referenceCount++;
      return;
    }
    for (let f = 0; f < this.recent.length; f++) (this.recent[f] as Float64Array)[this.recentNext] = features[f] ?? 0;
    this.recentNext = (this.recentNext + 1) % this.config.recentSize;
    if (this.recentCount < this.config.recentSize) this.recentCount++;
  }

  /** Adds a reward; returns the alarm when Page-Hinkley fires. */
  observeReward(reward: number, timestamp: number): DriftReport['rewardAlarm'] {
    const samples = this.ph.count + 1;
    const direction = this.ph.push(reward);
    if (!direction) return undefined;
    this.alarm = { direction, timestamp, samples };
    return this.alarm;
  }

  /** Clears a standing reward alarm (someone looked at it, or a new reference was set). */
  acknowledgeRewardAlarm(): void {
    this.alarm = undefined;
  }

  /** Makes the recent window the new reference (e.g. after a person accepted the new population). */
  resetReference(): void {
    const n = this.recentCount;
    for (let f = 0; f < this.reference.length; f++) {
      const ref = this.reference[f] as Float64Array;
      const rec = this.recent[f] as Float64Array;
      for (let i = 0; i < n; i++) ref[i] = rec[i] as number;
    }
    this.referenceCount = n;
    this.recentCount = 0;
    this.recentNext = 0;
    this.alarm = undefined;
  }

  toJSON(): DriftState {
    const full = this.recentCount === this.config.recentSize;
    const recent = this.recent.map((r) => {
      const values = Array.from(r.subarray(0, this.recentCount));
      return full ? [...values.slice(this.recentNext), ...values.slice(0, this.recentNext)] : values;
    });
    const state: DriftState = {
      reference: this.reference.map((r) => Array.from(r.subarray(0, this.referenceCount))),
      recent,
      pageHinkley: this.ph.toJSON(),
    };
    if (this.alarm) state.rewardAlarm = { ...this.alarm };
    return state;
  }

  /** Restores a state produced by `toJSON` (same feature names and window sizes). */
  restore(state: DriftState): void {
    if (state.reference.length !== this.featureNames.length) throw new Error('drift state has a different number of features');
    this.referenceCount = Math.min(state.reference[0]?.length ?? 0, this.config.referenceSize);
    state.reference.forEach((values, f) => (this.reference[f] as Float64Array).set(values.slice(0, this.referenceCount)));
    const n = Math.min(state.recent[0]?.length ?? 0, this.config.recentSize);
    state.recent.forEach((values, f) => (this.recent[f] as Float64Array).set(values.slice(values.length - n)));
    this.recentCount = n;
    this.recentNext = n % this.config.recentSize;
    this.ph.restore(state.pageHinkley);
    this.alarm = state.rewardAlarm ? { ...state.rewardAlarm } : undefined;
  }

  /** PSI of every feature, the reward alarm and the warnings. O(features × window · log window). */
  report(): DriftReport {
    const c = this.config;
    const features: FeatureDrift[] = [];
    let noiseLevel = Number.NaN;
    if (this.referenceCount >= Math.min(c.referenceSize, c.minRecent) && this.recentCount >= c.minRecent) {
      noiseLevel = (c.bins - 1) * (1 / this.referenceCount + 1 / this.recentCount);
      for (let f = 0; f < this.featureNames.length; f++) {
        const ref = (this.reference[f] as Float64Array).subarray(0, this.referenceCount);
        const rec = (this.recent[f] as Float64Array).subarray(0, this.recentCount);
        const psi = featurePsi(ref, rec, c.bins, c.epsilon);
        features.push({ name: this.featureNames[f] as string, psi, level: psi >= c.major ? 'major' : psi >= c.moderate ? 'moderate' : 'none' });
      }
    }
    const warnings: string[] = [];
    const major = features.filter((x) => x.level === 'major');
    const moderate = features.filter((x) => x.level === 'moderate');
    const list = (xs: FeatureDrift[]): string => xs.map((x) => `${x.name} (PSI ${x.psi.toFixed(2)})`).join(', ');
    if (major.length > 0) warnings.push(`Major shift in the request population: ${list(major)}.`);
    if (moderate.length > 0) warnings.push(`Moderate shift: ${list(moderate)}.`);
    if (this.alarm) warnings.push(`Reward ${this.alarm.direction}d (Page-Hinkley, after ${this.alarm.samples} rewards).`);
    const report: DriftReport = { features, noiseLevel, warnings, pausePromotion: c.pausePromotion && (major.length > 0 || this.alarm !== undefined) };
    if (this.alarm) report.rewardAlarm = this.alarm;
    return report;
  }
}
