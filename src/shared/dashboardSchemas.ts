/**
 * The records the dashboard's requests answer with, as zod schemas (dashboardProtocol.ts pairs each
 * request with one of them). Every number is finite: JSON has no NaN or Infinity, so a figure that
 * is not known (a mean over no rows, an unlimited budget) is `null`. Series are columnar (one array
 * per field, aligned on `bucketStarts`), the shape the webview's charts draw without reshaping.
 */
import { z } from 'zod';

import { rolloutPhases, taskTypes } from '../core/types';

const count = z.number().int().nonnegative();
const finite = z.number();
/** A figure that may be unknown (no data) or unbounded (an unlimited budget). */
const maybe = finite.nullable();
const text = (max: number): z.ZodString => z.string().max(max);
const phase = z.enum(rolloutPhases);
const servedBy = z.enum(['learned', 'baseline']);

/** Arm parameters as the dashboard shows them (names of src/core/parameters.ts, values as set). */
export const armParamsSchema = z.record(z.string().max(40), z.union([finite, z.string().max(200), z.array(z.string().max(200)).max(8)]));

/** An arm of the parameter space. */
export const armSchema = z.strictObject({
  armIndex: count,
  armId: text(200),
  params: armParamsSchema,
  isBaseline: z.boolean(),
  inTrustRegion: z.boolean(),
});

/** A mean with its confidence bounds over `n` observations. */
export const boundsSchema = z.strictObject({ n: count, mean: maybe, lower: maybe, upper: maybe });

/** One check of a gate verdict, with the number compared and its threshold. */
export const gateCheckSchema = z.strictObject({ name: text(40), passed: z.boolean(), value: maybe, threshold: maybe, detail: text(2000) });

/** A gate verdict: passed only when every check passed. */
export const gateVerdictSchema = z.strictObject({ phase, passed: z.boolean(), summary: text(4000), checks: z.array(gateCheckSchema).max(20) });

/** The rollout: where it stands, what the next gate needs, and what happens next in words. */
export const rolloutOverviewSchema = z.strictObject({
  phase,
  status: text(40),
  phaseStartedAt: finite,
  /** The learned policy's share of traffic in this phase. */
  learnedShare: finite,
  progress: z.strictObject({ samples: count, minSamples: count, days: finite, minDays: finite, deadlineDays: finite }),
  /** Effective sample size of the last gate look's evidence, and the phase's minimum (null before a look). */
  effectiveSampleSize: maybe,
  minEffectiveSampleSize: maybe,
  /** E.g. "canary: 4 of 10 learned outcomes, 2 of 3 days; next gate in about 4 days". */
  next: text(1000),
  lastVerdict: gateVerdictSchema.optional(),
});

export const sloStatusSchema = z.strictObject({
  metric: text(40),
  enabled: z.boolean(),
  breached: z.boolean(),
  /** Positive when breached; how close the test is to a breach otherwise. */
  margin: maybe,
  learned: boundsSchema,
  baseline: boundsSchema,
});

export const budgetStatusSchema = z.strictObject({
  taskType: z.enum(taskTypes),
  daySpent: finite,
  dayLimit: maybe,
  weekSpent: finite,
  weekLimit: maybe,
  /** Tokens left: the smaller of the two periods (null: unlimited). */
  remaining: maybe,
  exhausted: z.boolean(),
});

export const waiverViewSchema = z.strictObject({
  id: text(200),
  status: text(40),
  taskType: text(40),
  period: text(10),
  delta: finite,
  reason: text(60),
  note: text(2000),
  requestedBy: text(200),
  approver: text(200).optional(),
  expiresAt: finite,
});

export const driftViewSchema = z.strictObject({
  warnings: z.array(text(4000)).max(20),
  pausePromotion: z.boolean(),
  /** Expected PSI with no shift at all, for the current window sizes (null while windows fill). */
  noiseLevel: maybe,
  features: z.array(z.strictObject({ name: text(80), psi: maybe, level: z.enum(['none', 'moderate', 'major']) })).max(64),
  rewardAlarm: z.strictObject({ direction: z.enum(['increase', 'decrease']), timestamp: finite, samples: count }).optional(),
});

/** What the dashboard opens on: the rollout, the counts, SLOs, budgets, waivers, drift. */
export const overviewSchema = z.strictObject({
  at: finite,
  policy: z.strictObject({ kind: text(40), version: count }),
  rollout: rolloutOverviewSchema,
  counts: z.strictObject({ decisions: count, rawDecisions: count, outcomes: count, pending: count, incidents: count }),
  slo: z.array(sloStatusSchema).max(10),
  budgets: z.array(budgetStatusSchema).max(taskTypes.length),
  waivers: z.array(waiverViewSchema).max(100),
  drift: driftViewSchema,
  notices: z.array(z.strictObject({ level: z.enum(['info', 'warning', 'error']), message: text(4000) })).max(50),
});

/** Per traffic kind, per bucket: rewarded outcomes, mean reward and a 95% normal interval. */
export const rewardSeriesSchema = z.strictObject({
  n: z.array(count),
  mean: z.array(maybe),
  lower: z.array(maybe),
  upper: z.array(maybe),
});

/** The time axis of a bucketed series: bucket starts (ms since the epoch) and their width. */
const axis = { bucketStarts: z.array(finite).max(200), bucketMs: finite.positive() };

export const rewardOverTimeSchema = z.strictObject({
  ...axis,
  /** Decisions per bucket (with or without an outcome yet). */
  decisions: z.array(count),
  learned: rewardSeriesSchema,
  baseline: rewardSeriesSchema,
});

/** A posterior estimate of an arm's expected reward for a typical request of a task type. */
export const armEstimateSchema = z.strictObject({ armIndex: count, mean: maybe, sd: maybe });

export const armsSchema = z.strictObject({
  arms: z.array(armSchema).max(1000),
  policyKind: text(40),
  /** Per task type, the posterior of each trust-region arm (empty for a policy without one). */
  posterior: z.array(z.strictObject({ taskType: z.enum(taskTypes), arms: z.array(armEstimateSchema).max(1000) })).max(taskTypes.length),
  /** Per task type, the arm the learned policy favours and the baseline arm. */
  favoured: z.array(z.strictObject({ taskType: z.enum(taskTypes), favoured: armEstimateSchema, baseline: armEstimateSchema })).max(taskTypes.length),
  /** Selection counts over time: the most served arms each, the rest as `other`. */
  share: z.strictObject({
    ...axis,
    series: z.array(z.strictObject({ armIndex: count, counts: z.array(count) })).max(16),
    other: z.array(count),
    totals: z.array(count),
  }),
});

export const paretoPointSchema = z.strictObject({
  armIndex: count,
  armId: text(200),
  outcomes: count,
  quality: finite,
  latencyMs: finite,
  tokens: finite,
  reward: maybe,
  isBaseline: z.boolean(),
  /** True when another arm is at least as good on quality, latency and tokens, and better on one. */
  dominated: z.boolean(),
  /** Arms that dominate this one (at most 8 listed). */
  dominatedBy: z.array(count).max(8),
});

export const paretoSchema = z.strictObject({ points: z.array(paretoPointSchema).max(1000) });

export const opeEstimateSchema = z.strictObject({ name: text(20), estimate: maybe, lower: maybe, upper: maybe });

export const opeSchema = z.strictObject({
  available: z.boolean(),
  /** In words: what was evaluated on what, or why nothing could be. */
  summary: text(2000),
  /** Set when the importance weights' support is too thin to decide on. */
  supportWarning: text(2000).optional(),
  policyKind: text(40),
  trainedOn: count,
  scoredOn: count,
  sessions: count.nullable(),
  effectiveSampleSize: maybe,
  minEffectiveSampleSize: maybe,
  massOffSupport: maybe,
  /** Mean reward of the scored rows as logged (the logging policy's own value). */
  loggedMean: maybe,
  level: finite,
  estimators: z.array(opeEstimateSchema).max(10),
});

export const attributionSchema = z.strictObject({
  available: z.boolean(),
  summary: text(2000),
  policyKind: text(40),
  taskType: z.enum(taskTypes),
  favouredArm: count.nullable(),
  baselineArm: count,
  /**
   * Per context feature, the change in each arm's learned expected reward when the feature goes
   * from 0 to 1 (features are scaled to about [0, 1]): `spread` is the largest minus the smallest
   * over the trust region (how much the feature can change which arm is best), `favoured` and
   * `baseline` the effects on those two arms. Sorted by spread, largest first.
   */
  features: z.array(z.strictObject({ name: text(80), spread: finite, favoured: maybe, baseline: finite })).max(64),
});

export const decisionRowSchema = z.strictObject({
  seq: count,
  requestId: text(200),
  timestamp: finite,
  taskType: text(40).nullable(),
  phase,
  servedBy,
  armIndex: count,
  armId: text(200),
  propensity: finite,
  reward: maybe,
  quality: maybe,
  latencyMs: maybe,
  tokens: maybe,
  verdict: text(20).nullable(),
  defaulted: z.boolean(),
  error: z.boolean(),
});

export const recentDecisionsSchema = z.strictObject({
  rows: z.array(decisionRowSchema).max(200),
  /** Pass as `before` for the next (older) page; null when this page reached the oldest row. */
  nextBefore: count.nullable(),
});

export const explainedDecisionSchema = z.strictObject({
  requestId: text(200),
  timestamp: finite,
  taskType: text(40).nullable(),
  context: z.array(z.strictObject({ name: text(80), value: finite })).max(256),
  contextFingerprint: text(200),
  policyId: text(200),
  policyVersion: count,
  phase,
  servedBy,
  /** Who served and why, in words. */
  why: text(2000),
  armIndex: count,
  armId: text(200),
  baselineArmIndex: count,
  params: armParamsSchema,
  /** The probability with which the logging process drew the served arm. */
  propensity: finite,
  /** Every arm the logging process could have drawn, with its probability (0 left out). */
  probabilities: z.array(z.strictObject({ armIndex: count, armId: text(200), probability: finite })).max(1000),
  shadow: z.strictObject({ armIndex: count, armId: text(200), propensity: finite }).optional(),
  honoured: z.array(text(40)).max(40).nullable(),
  dropped: z.array(text(40)).max(40).nullable(),
  modelUsed: text(200).nullable(),
  waivers: z.array(text(200)).max(100),
  eligibleArms: z.array(count).max(1000).nullable(),
  outcome: z
    .strictObject({
      timestamp: finite,
      latencyMs: finite,
      timeToFirstTokenMs: maybe,
      tokensIn: finite,
      tokensOut: finite,
      finishReason: text(20),
      error: text(2000).nullable(),
      quality: finite,
      verdict: text(20).nullable(),
      rating: maybe,
      defaulted: z.boolean(),
    })
    .nullable(),
  reward: z.strictObject({ reward: finite, violations: z.array(text(200)).max(20) }).nullable(),
});

export const explainDecisionSchema = z.discriminatedUnion('found', [
  z.strictObject({ found: z.literal(false), requestId: text(200) }),
  z.strictObject({ found: z.literal(true), decision: explainedDecisionSchema }),
]);

export const historyEntrySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('rollout'),
    seq: count,
    timestamp: finite,
    event: text(40),
    from: phase,
    to: phase,
    status: text(40),
    actor: text(200),
    reason: text(4000),
  }),
  z.strictObject({ kind: z.literal('incident'), seq: count, timestamp: finite, metric: text(40), from: phase, to: phase, message: text(4000) }),
  z.strictObject({ kind: z.literal('gateLook'), seq: count, timestamp: finite, phase, look: text(20), rows: count, verdict: gateVerdictSchema.optional() }),
]);

export const historySchema = z.strictObject({
  /** Newest first. */
  entries: z.array(historyEntrySchema).max(500),
  nextBefore: count.nullable(),
});
