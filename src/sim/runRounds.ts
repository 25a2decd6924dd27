import { createPolicy, disjointFeatureMap, type PolicyKind, type PolicySettings } from '../core/policies';
import { createRng } from '../core/math/random';
import type { Rounds } from './roundsFile';

/** What a simulation on a rounds file measured. */
export interface RoundsResult {
  policy: PolicyKind;
  rounds: number;
  /** Σ_t (max_a mu_t(a) − mu_t(chosen)). */
  cumulativeRegret: number;
  /** Mean realised reward of the chosen arms. */
  averageReward: number;
  /** Mean of max_a mu_t(a). */
  optimalAverageReward: number;
  /** recommend + update per second, timed over the decision loop alone (the file is parsed before). */
  decisionsPerSecond: number;
  seed: number;
  /** Smallest logged propensity of a served arm (must be > 0). */
  minPropensity: number;
}

/**
 * Plays a policy through a rounds file: the model is linear in x per arm with an intercept (disjoint
 * feature map), the policy sees the realised reward of the arm it drew, regret is measured on mu.
 */
export function runRounds(rounds: Rounds, kind: PolicyKind, settings: PolicySettings, seed: number, limit = rounds.count): RoundsResult {
  const { contextDim: d, armCount: k } = rounds;
  const map = disjointFeatureMap(k, d);
  const all = Array.from({ length: k }, (_, a) => a);
  const policy = createPolicy(kind, map, { ...settings, featureMap: 'disjoint' }, { baselineArm: 0, trustRegionArms: all });
  const rng = createRng(seed);
  const eligible = new Uint8Array(k).fill(1);
  const n = Math.min(limit, rounds.count);
  let regret = 0;
  let rewardSum = 0;
  let optimalSum = 0;
  let minPropensity = 1;
  const started = performance.now();
  for (let t = 0; t < n; t++) {
    const x = rounds.x.subarray(t * d, (t + 1) * d);
    const choice = policy.recommend(x, eligible, rng);
    const a = choice.armIndex;
    const p = choice.probabilities[a]!;
    if (p < minPropensity) minPropensity = p;
    const reward = rounds.r[t * k + a]!;
    policy.update(x, a, reward);
    let best = -Infinity;
    for (let b = 0; b < k; b++) best = Math.max(best, rounds.mu[t * k + b]!);
    regret += best - rounds.mu[t * k + a]!;
    rewardSum += reward;
    optimalSum += best;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    policy: kind,
    rounds: n,
    cumulativeRegret: regret,
    averageReward: rewardSum / n,
    optimalAverageReward: optimalSum / n,
    decisionsPerSecond: n / seconds,
    seed,
    minPropensity,
  };
}
