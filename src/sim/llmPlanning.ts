/**
 * The built-in LLM-parameter environment (`--env llm-planning`): planning requests whose quality,
 * latency and tokens respond to temperature, top_p and max_tokens differently per task type, with
 * noise, over the arms of the default parameter space. Every mean is computed in closed form, so the
 * best arm of each context, and the regret of any policy, are known exactly.
 *
 * Per task type t (table `tasks` below): best temperature T*_t, best top_p P*_t, the tokens a good
 * plan needs N_t, and the base quality B_t. For a request with prompt-size feature s
 * (features.ts, log-scaled prompt tokens) the plan needs need = N_t · 2^(s − 0.7) tokens, and
 *
 *   quality  = clip(B_t − 1.5 (temp − T*_t)² − 0.8 (topP − P*_t)² − 0.15 (log2(maxTokens/need))² + 0.1 Z, 0, 1)
 *   tokensOut = min(maxTokens, need · (0.8 + 0.6 temp) · e^(0.1 Z − 0.005))     (lognormal, mean 1)
 *   latencyMs = 400 · e^(0.3 Z − 0.045) + 20 · tokensOut + 0.05 · promptTokens
 *
 * with independent standard normals Z. The expectations of the clipped normal and of the capped
 * lognormal have closed forms (below), and the reward is linear in the outcome (reward.ts), so the
 * mean reward of every arm in every context is exact.
 *
 * The flat world (`--env llm-planning-flat`) draws the same requests but gives every arm the baseline
 * arm's outcome distribution: a candidate there has no advantage at all, so the rate at which the
 * promotion gate lets one through is its false promotion rate.
 */
import { contextFeatures, contextFeatureNames } from '../core/features';
import { normalCdf, normalPdf } from '../core/math/normal';
import type { Rng } from '../core/math/random';
import type { RewardSettings } from '../core/reward';
import { buildSpace, type ParameterSpace } from '../core/space';
import type { Arm, Outcome, RequestContext, TaskType } from '../core/types';

interface TaskProfile {
  share: number;
  bestTemperature: number;
  bestTopP: number;
  tokensNeeded: number;
  baseQuality: number;
}

/** The environment's per-task truths. */
export const tasks: Record<TaskType, TaskProfile> = {
  planTask: { share: 0.4, bestTemperature: 0.4, bestTopP: 0.9, tokensNeeded: 1800, baseQuality: 0.85 },
  planSelection: { share: 0.25, bestTemperature: 0.2, bestTopP: 1.0, tokensNeeded: 900, baseQuality: 0.8 },
  breakDownTodo: { share: 0.2, bestTemperature: 0.7, bestTopP: 0.9, tokensNeeded: 700, baseQuality: 0.75 },
  planTests: { share: 0.15, bestTemperature: 0, bestTopP: 1.0, tokensNeeded: 3600, baseQuality: 0.8 },
};

const QUALITY_NOISE = 0.1;
const TOKEN_NOISE = 0.1;
const OVERHEAD_MS = 400;
const OVERHEAD_NOISE = 0.3;
const MS_PER_TOKEN = 20;
const MS_PER_PROMPT_TOKEN = 0.05;
const promptSizeIndex = contextFeatureNames.indexOf('promptSize');
const languages = ['typescript', 'python', 'rust', 'markdown'];

/** Mean outcome of an arm in a context. */
export interface MeanOutcome {
  quality: number;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
}

export interface LlmPlanningEnvironment {
  readonly space: ParameterSpace;
  sampleContext(rng: Rng): RequestContext;
  /** Exact expected outcome; `qualityShift` is added to the quality mean before clipping. */
  meanOutcome(context: RequestContext, arm: Arm, qualityShift?: number): MeanOutcome;
  sampleOutcome(context: RequestContext, arm: Arm, rng: Rng, requestId: string, timestamp: number, qualityShift?: number): Outcome;
  /** Exact expected reward under the given reward settings. */
  meanReward(context: RequestContext, arm: Arm, reward: RewardSettings, qualityShift?: number): number;
  /** The best arm among the eligible ones and its expected reward. */
  optimum(context: RequestContext, reward: RewardSettings, eligible?: Uint8Array): { armIndex: number; reward: number };
}

/** Options of the environment. */
export interface LlmPlanningOptions {
  /**
   * The null world (`--env llm-planning-flat`): every arm behaves as the baseline arm does in the same
   * context (same quality, tokens, latency and noise), so no candidate has any advantage and a gate
   * that promotes one is wrong. Its false promotion rate is measured here.
   */
  flat?: boolean;
}

/** Builds the environment over a space (the default parameter space unless given). */
export function createLlmPlanningEnvironment(space: ParameterSpace = buildSpace({}), options: LlmPlanningOptions = {}): LlmPlanningEnvironment {
  const baselineArm = space.arms[space.baselineArm]!;
  // In the flat world the parameters that shape the outcome are always the baseline arm's.
  const acting = options.flat ? (): Arm => baselineArm : (arm: Arm): Arm => arm;
  const features = new Float64Array(contextFeatureNames.length);
  const need = (context: RequestContext): number => {
    contextFeatures(context, features);
    return tasks[context.taskType].tokensNeeded * 2 ** (features[promptSizeIndex]! - 0.7);
  };
  const qualityMean = (context: RequestContext, arm: Arm, shift: number): number => {
    const task = tasks[context.taskType];
    const t = arm.params.temperature ?? 1;
    const p = arm.params.topP ?? 1;
    const m = arm.params.maxTokens ?? 4096;
    return task.baseQuality - 1.5 * (t - task.bestTemperature) ** 2 - 0.8 * (p - task.bestTopP) ** 2 - 0.15 * Math.log2(m / need(context)) ** 2 + shift;
  };
  const tokensScale = (context: RequestContext, arm: Arm): number => need(context) * (0.8 + 0.6 * (arm.params.temperature ?? 1));

  const meanOutcome = (context: RequestContext, chosen: Arm, shift = 0): MeanOutcome => {
    const arm = acting(chosen);
    const cap = arm.params.maxTokens ?? 4096;
    const tokensOut = cappedLognormalMean(tokensScale(context, arm), TOKEN_NOISE, cap);
    return {
      quality: clippedNormalMean(qualityMean(context, arm, shift), QUALITY_NOISE),
      tokensIn: context.promptTokens,
      tokensOut,
      latencyMs: OVERHEAD_MS + MS_PER_TOKEN * tokensOut + MS_PER_PROMPT_TOKEN * context.promptTokens,
    };
  };

  const meanReward = (context: RequestContext, arm: Arm, reward: RewardSettings, shift = 0): number => {
    const o = meanOutcome(context, arm, shift);
    const w = reward.weights;
    return w.quality * o.quality - w.latencyPerSecond * (o.latencyMs / 1000) - w.tokensPerThousand * ((o.tokensIn + o.tokensOut) / 1000);
  };

  return {
    space,
    sampleContext(rng) {
      const u = rng.next();
      let taskType: TaskType = 'planTask';
      let cumulative = 0;
      for (const [name, profile] of Object.entries(tasks) as Array<[TaskType, TaskProfile]>) {
        cumulative += profile.share;
        if (u < cumulative) {
          taskType = name;
          break;
        }
      }
      const promptTokens = Math.round(Math.min(30_000, Math.max(100, 1500 * Math.exp(0.9 * rng.normal()))));
      return {
        taskType,
        languageId: languages[Math.floor(rng.next() * languages.length)]!,
        promptTokens,
        selectionLines: taskType === 'planSelection' ? Math.round(5 + 200 * rng.next()) : 0,
        fileLines: Math.round(50 + 2000 * rng.next()),
        workspaceKind: 'folder',
        providerFamily: 'openai-compatible/sim',
        hour: Math.floor(rng.next() * 24),
      };
    },
    meanOutcome,
    sampleOutcome(context, chosen, rng, requestId, timestamp, shift = 0) {
      const arm = acting(chosen);
      const quality = Math.min(1, Math.max(0, qualityMean(context, arm, shift) + QUALITY_NOISE * rng.normal()));
      const cap = arm.params.maxTokens ?? 4096;
      const tokensOut = Math.min(cap, tokensScale(context, arm) * Math.exp(TOKEN_NOISE * rng.normal() - (TOKEN_NOISE * TOKEN_NOISE) / 2));
      const overhead = OVERHEAD_MS * Math.exp(OVERHEAD_NOISE * rng.normal() - (OVERHEAD_NOISE * OVERHEAD_NOISE) / 2);
      return {
        requestId,
        timestamp,
        latencyMs: overhead + MS_PER_TOKEN * tokensOut + MS_PER_PROMPT_TOKEN * context.promptTokens,
        timeToFirstTokenMs: overhead,
        tokensIn: context.promptTokens,
        tokensOut,
        finishReason: tokensOut >= cap ? 'length' : 'stop',
        quality,
      };
    },
    meanReward,
    optimum(context, reward, eligible) {
      let best = -1;
      let bestReward = -Infinity;
      for (const arm of space.arms) {
        if (eligible && !eligible[arm.index]) continue;
        const r = meanReward(context, arm, reward);
        if (r > bestReward) {
          bestReward = r;
          best = arm.index;
        }
      }
      return { armIndex: best, reward: bestReward };
    },
  };
}

/** E[clip(μ + σZ, 0, 1)] = μ(Φ(b) − Φ(a)) + σ(φ(a) − φ(b)) + (1 − Φ(b)), a = −μ/σ, b = (1 − μ)/σ. */
export function clippedNormalMean(mu: number, sigma: number): number {
  const a = -mu / sigma;
  const b = (1 - mu) / sigma;
  return mu * (normalCdf(b) - normalCdf(a)) + sigma * (normalPdf(a) - normalPdf(b)) + (1 - normalCdf(b));
}

/**
 * E[min(c·e^(σZ − σ²/2), M)] = c·Φ((ln(M/c) − σ²/2)/σ) + M·(1 − Φ((ln(M/c) + σ²/2)/σ)): the capped
 * lognormal with mean c.
 */
export function cappedLognormalMean(c: number, sigma: number, cap: number): number {
  const l = Math.log(cap / c);
  return c * normalCdf((l - (sigma * sigma) / 2) / sigma) + cap * (1 - normalCdf((l + (sigma * sigma) / 2) / sigma));
}
