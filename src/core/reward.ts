/**
 * Outcome → scalar reward (ARCHITECTURE.md §"How a request flows", item 5): a weighted sum of quality, latency, tokens and cost,
 * plus a report of the hard constraints the outcome broke. The reward is linear in the outcome so
 * the mean reward of an arm is the reward of its mean outcome, which keeps simulated optima and
 * regret exact; constraint violations are reported, and cost a configurable penalty.
 */
import { z } from 'zod';
import type { Outcome, RewardReport, Verdict } from './types';

export const rewardSettingsSchema = z
  .object({
    weights: z
      .object({
        /** Per unit of quality (quality is in [0, 1]). */
        quality: z.number().min(0).finite().default(1),
        /** Per second of latency. */
        latencyPerSecond: z.number().min(0).finite().default(0.002),
        /** Per 1,000 tokens (prompt + completion). */
        tokensPerThousand: z.number().min(0).finite().default(0.01),
        /** Per currency unit of reported cost. */
        cost: z.number().min(0).finite().default(1),
      })
      .strict()
      .default({ quality: 1, latencyPerSecond: 0.002, tokensPerThousand: 0.01, cost: 1 }),
    constraints: z
      .object({
        maxLatencyMs: z.number().positive().optional(),
        maxTokens: z.number().int().positive().optional(),
        minQuality: z.number().min(0).max(1).optional(),
      })
      .strict()
      .default({}),
    /** Subtracted from the reward for each violated constraint (0: report only). */
    violationPenalty: z.number().min(0).finite().default(0),
  })
  .strict();
export type RewardSettings = z.infer<typeof rewardSettingsSchema>;

/** Parses reward settings, naming the field at fault. */
export function parseRewardSettings(raw: unknown): RewardSettings {
  const result = rewardSettingsSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`paramloop.reward.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** Which fields of an outcome are unusable, by name (empty when all are fine). */
export function outcomeProblems(outcome: Outcome): string[] {
  const problems: string[] = [];
  const finite = (name: string, v: number | undefined, min = 0): void => {
    if (v === undefined) return;
    if (!Number.isFinite(v)) problems.push(`${name} is ${v}, not a finite number`);
    else if (v < min) problems.push(`${name} is ${v}, below ${min}`);
  };
  finite('latencyMs', outcome.latencyMs);
  finite('timeToFirstTokenMs', outcome.timeToFirstTokenMs);
  finite('tokensIn', outcome.tokensIn);
  finite('tokensOut', outcome.tokensOut);
  finite('cost', outcome.cost);
  if (!Number.isFinite(outcome.quality) || outcome.quality < 0 || outcome.quality > 1) problems.push(`quality is ${outcome.quality}, not in [0, 1]`);
  if (outcome.rating !== undefined && (!Number.isFinite(outcome.rating) || outcome.rating < 1 || outcome.rating > 5)) problems.push(`rating is ${outcome.rating}, not in [1, 5]`);
  return problems;
}

/** Scalar reward and the violated constraints of one outcome. Throws, naming the field, on unusable outcomes. */
export function computeReward(outcome: Outcome, settings: RewardSettings): RewardReport {
  const problems = outcomeProblems(outcome);
  if (problems.length > 0) throw new RangeError(`outcome ${outcome.requestId}: ${problems.join('; ')}`);
  const w = settings.weights;
  const tokens = outcome.tokensIn + outcome.tokensOut;
  let reward = w.quality * outcome.quality - w.latencyPerSecond * (outcome.latencyMs / 1000) - w.tokensPerThousand * (tokens / 1000) - w.cost * (outcome.cost ?? 0);
  const violations: string[] = [];
  const c = settings.constraints;
  if (c.maxLatencyMs !== undefined && outcome.latencyMs > c.maxLatencyMs) violations.push(`latency ${Math.round(outcome.latencyMs)} ms > max ${c.maxLatencyMs} ms`);
  if (c.maxTokens !== undefined && tokens > c.maxTokens) violations.push(`tokens ${tokens} > max ${c.maxTokens}`);
  if (c.minQuality !== undefined && outcome.quality < c.minQuality) violations.push(`quality ${outcome.quality.toFixed(3)} < min ${c.minQuality}`);
  if (outcome.finishReason === 'error') violations.push(`error: ${outcome.error ?? 'unknown'}`);
  reward -= settings.violationPenalty * violations.length;
  return { reward, violations };
}

/** A reward relative to the baseline's (positive: better than the baseline). */
export function relativeToBaseline(reward: number, baselineReward: number): number {
  return reward - baselineReward;
}

/**
 * The quality of an outcome once the user has judged it, from the quality its structural checks
 * gave (`checked`, in [0, 1]): a rating decides alone ((rating − 1) / 4: 1 → 0, 5 → 1); an accepted
 * plan is worth 0.7 plus 0.3 of its checks, a rejected one 0.3 of its checks, so that the verdict
 * dominates while two accepted plans still differ by their structure; no verdict leaves the checks.
 */
export function qualityWithVerdict(checked: number, verdict: Verdict | undefined, rating?: number): number {
  const q = Math.min(1, Math.max(0, checked));
  if (rating !== undefined && Number.isFinite(rating)) return Math.min(1, Math.max(0, (rating - 1) / 4));
  if (verdict === 'accept') return 0.7 + 0.3 * q;
  if (verdict === 'reject') return 0.3 * q;
  return q;
}
