import type { OptimizerEvents } from '../core/events';
import { LLMParameterOptimizer } from '../core/optimizer';
import type { PolicyKind, PolicySettings } from '../core/policies';
import { createRng } from '../core/math/random';
import type { RewardSettings } from '../core/reward';
import type { RolloutPhase } from '../core/types';
import type { LlmPlanningEnvironment } from './llmPlanning';

/** Options of a simulation in the LLM-planning environment. */
export interface LlmRunOptions {
  environment: LlmPlanningEnvironment;
  policy: PolicyKind;
  policySettings: PolicySettings;
  rewardSettings: RewardSettings;
  rounds: number;
  seed: number;
  /** Simulated traffic: requests per day (one developer: 30). */
  requestsPerDay?: number;
  /** Simulated start time, ms since the epoch. */
  startTime?: number;
  /** Phase the optimizer serves in (default: general, the learned policy serves everything). */
  phase?: RolloutPhase;
  /** Where the decisions and outcomes go (e.g. a store). */
  events?: OptimizerEvents;
  /**
   * Prefix of every request id (a fresh nonce per run), so that two runs with the same seed logging
   * into one store generate different ids.
   */
  requestIdNonce?: string;
  /** Called after each round with the optimizer, e.g. to drive a rollout manager. */
  onRound?: (round: number, optimizer: LLMParameterOptimizer) => void;
}

/** What a simulation in the LLM-planning environment measured. */
export interface LlmRunResult {
  policy: PolicyKind;
  rounds: number;
  cumulativeRegret: number;
  averageReward: number;
  optimalAverageReward: number;
  decisionsPerSecond: number;
  seed: number;
  /** Simulated days the rounds span. */
  simulatedDays: number;
  minPropensity: number;
}

/**
 * Runs the real optimizer against the environment: a context, a decision, a sampled outcome
 * recorded back. Regret is measured on the environment's exact mean rewards against the best arm of
 * each context. Timestamps advance by exponential gaps averaging a day / requestsPerDay.
 */
export function runLlmPlanning(options: LlmRunOptions): { result: LlmRunResult; optimizer: LLMParameterOptimizer } {
  const { environment: env, rounds, seed } = options;
  const perDay = options.requestsPerDay ?? 30;
  let now = options.startTime ?? Date.UTC(2026, 0, 5, 9);
  const start = now;
  const worldRng = createRng(seed ^ 0x5eed);
  const optimizer = new LLMParameterOptimizer({
    space: env.space,
    policyKind: options.policy,
    policySettings: options.policySettings,
    rewardSettings: options.rewardSettings,
    ...(options.events ? { events: options.events } : {}),
    clock: { now: () => now },
    seed,
    phase: options.phase ?? 'general',
    requestIdNonce: options.requestIdNonce,
  });
  let regret = 0;
  let rewardSum = 0;
  let optimalSum = 0;
  let minPropensity = 1;
  const started = performance.now();
  for (let t = 0; t < rounds; t++) {
    now += Math.round((-Math.log(1 - worldRng.next()) * 86_400_000) / perDay);
    const context = env.sampleContext(worldRng);
    const decision = optimizer.recommend(context);
    optimizer.logDecision(decision.requestId);
    minPropensity = Math.min(minPropensity, decision.propensity);
    const arm = env.space.arms[decision.armIndex]!;
    const outcome = env.sampleOutcome(context, arm, worldRng, decision.requestId, now);
    const { report } = optimizer.recordOutcome(decision.requestId, outcome);
    const best = env.optimum(context, options.rewardSettings);
    regret += best.reward - env.meanReward(context, arm, options.rewardSettings);
    rewardSum += report.reward;
    optimalSum += best.reward;
    options.onRound?.(t, optimizer);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    optimizer,
    result: {
      policy: options.policy,
      rounds,
      cumulativeRegret: regret,
      averageReward: rewardSum / rounds,
      optimalAverageReward: optimalSum / rounds,
      decisionsPerSecond: rounds / seconds,
      seed,
      simulatedDays: (now - start) / 86_400_000,
      minPropensity,
    },
  };
}
