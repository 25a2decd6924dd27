/**
 * The records that flow through Paramloop (ARCHITECTURE.md §"How a request flows"): what a planning request looks like to the
 * optimizer, what the optimizer decides, and what comes back. The store persists exactly these; the
 * OPE estimators and the safety machinery read them. Pure data: JSON-serialisable, no classes.
 */
import type { ArmParameters, ParameterName } from './parameters';

/** The planning commands a request can come from. */
export const taskTypes = ['planTask', 'planSelection', 'breakDownTodo', 'planTests'] as const;
export type TaskType = (typeof taskTypes)[number];

/** Rollout phases in promotion order (ARCHITECTURE.md §"Statistics"). */
export const rolloutPhases = ['shadow', 'canary', 'guarded', 'general'] as const;
export type RolloutPhase = (typeof rolloutPhases)[number];

// The LLM parameters are declared once, in parameters.ts, and re-exported with the records that carry them.
export { reasoningEfforts } from './parameters';
export type { ArmParameters, ParameterName, ReasoningEffort } from './parameters';

/** An arm of the bandit: a stable id, its index in the parameter space, its parameters. */
export interface Arm {
  id: string;
  index: number;
  params: ArmParameters;
}

/** What the planning command knows about a request, before features are derived from it. */
export interface RequestContext {
  taskType: TaskType;
  languageId: string;
  /** Estimated prompt size in tokens. */
  promptTokens: number;
  selectionLines: number;
  fileLines: number;
  workspaceKind: 'none' | 'folder' | 'multiRoot';
  /** Provider and model family, e.g. "openai-compatible/llama". */
  providerFamily: string;
  /** Hour of day, 0–23, in the user's local time. */
  hour: number;
}

/** Who served a request: the learned policy or the baseline. */
export type ServedBy = 'learned' | 'baseline';

/** What the optimizer answers for one request (ARCHITECTURE.md §"How a request flows", item 2). */
export interface Decision {
  requestId: string;
  /** Milliseconds since the epoch, from the injected clock. */
  timestamp: number;
  /** The numeric context features, in the order of `featureNames`. */
  contextFeatures: number[];
  /** The same array in every decision the optimizer makes (frozen): read it, never change it. */
  featureNames: readonly string[];
  /** Hash of the feature vector: identifies the context without storing prompt text. */
  contextFingerprint: string;
  armIndex: number;
  armId: string;
  /** The parameters requested for this arm. */
  params: ArmParameters;
  /** Probability with which the logging policy actually drew `armIndex` (the mixture when mixed). */
  propensity: number;
  /** The logging policy's probability of every arm of the space (0 for ineligible arms); sums to 1. */
  probabilities: number[];
  policyId: string;
  policyVersion: number;
  phase: RolloutPhase;
  servedBy: ServedBy;
  baselineArmIndex: number;
  /** In shadow mode: what the learned policy would have chosen, with its probability. */
  shadow?: { armIndex: number; propensity: number; probabilities: number[] };
  /** The planning command the request came from (also among the context features, one-hot). */
  taskType?: TaskType;
  /**
   * The random stream the decision drew from (its index under the optimizer's seed): with the seed
   * and the learned state it reproduces the decision, and a restored optimizer continues after it.
   */
  randomStream?: number;
  /** Parameters the provider honoured and dropped (filled in by the provider adapter). */
  honouredParams?: ParameterName[];
  droppedParams?: ParameterName[];
  /** The model the provider actually used, when it says (it may differ from `params.model`). */
  modelUsed?: string;
  /** Ids of the budget waivers that applied to this request. */
  waivers?: string[];
  /**
   * The arms the logging process was allowed to serve for this request (the token budget's
   * eligibility mask), ascending; absent when every arm was eligible. Off-policy evaluation scores a
   * candidate under the same mask, so that it is not credited with arms the log could never show.
   */
  eligibleArms?: number[];
  /**
   * The traffic key of the request's session (the sticky split hashes it). Requests of one session
   * share their serving policy, so interval estimates resample whole sessions.
   */
  sessionKey?: string;
  /** Prompt text, only when the user opted in. */
  promptText?: string;
}

export type FinishReason = 'stop' | 'length' | 'error' | 'cancelled' | 'unknown';
export type Verdict = 'accept' | 'reject' | 'none';

/** What came back for a request (ARCHITECTURE.md §"How a request flows", item 4). */
export interface Outcome {
  requestId: string;
  timestamp: number;
  latencyMs: number;
  timeToFirstTokenMs?: number;
  tokensIn: number;
  tokensOut: number;
  finishReason: FinishReason;
  error?: string;
  /** Quality in [0, 1]: structural checks of the plan and the user's verdict combined. */
  quality: number;
  verdict?: Verdict;
  /** User rating in [1, 5] when given. */
  rating?: number;
  /** Cost in currency units, when the provider reports prices. */
  cost?: number;
  /** True when no outcome arrived within the reward wait time and a default was applied. */
  defaulted?: boolean;
}

/** The scalar reward of an outcome and the hard constraints it broke. */
export interface RewardReport {
  reward: number;
  violations: string[];
}
