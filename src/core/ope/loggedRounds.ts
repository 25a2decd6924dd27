import { probabilityTolerance } from '../decisionChecks';

/**
 * Logged bandit rounds in the column layout every estimator reads. Both input modes produce this:
 * the `obp` JSONL reader fills it from the file; the native adapter fills it from decision logs, a
 * candidate policy's action probabilities and a reward model's predictions. Row-major flat arrays
 * keep one round's K values next to each other, so a pass over the rounds reads memory in order.
 */
export interface LoggedRounds {
  /** Number of rounds n. */
  readonly n: number;
  /** Number of actions K. */
  readonly k: number;
  /** Logged action a_i in 0..K−1, length n. */
  readonly actions: Int32Array;
  /** Observed reward r_i, length n. */
  readonly rewards: Float64Array;
  /** Logging propensity π_b(a_i | x_i) in (0, 1], length n. */
  readonly pscores: Float64Array;
  /** Candidate policy π_e(a | x_i) for every action, row-major n × K. */
  readonly actionDist: Float64Array;
  /** Reward model prediction q̂(x_i, a) for every action, row-major n × K. */
  readonly estimatedRewards: Float64Array;
}

/** Tolerance on |Σ_a π_e(a|x) − 1| (the `obp` format's contract): the one every logged distribution gets. */
export const distributionTolerance = probabilityTolerance;

/**
 * Checks the shapes and the contract of `rounds` (the same checks the `obp` reader makes per line):
 * returns a description of the first violation, or undefined when the rounds are valid.
 */
export function validateLoggedRounds(rounds: LoggedRounds): string | undefined {
  const { n, k, actions, rewards, pscores, actionDist, estimatedRewards } = rounds;
  if (!Number.isInteger(n) || n < 0) return `n must be a non-negative integer, got ${n}`;
  if (!Number.isInteger(k) || k < 1) return `k must be a positive integer, got ${k}`;
  if (actions.length !== n || rewards.length !== n || pscores.length !== n) return 'actions, rewards and pscores must have length n';
  if (actionDist.length !== n * k || estimatedRewards.length !== n * k) return 'actionDist and estimatedRewards must have length n·K';
  for (let i = 0; i < n; i++) {
    const a = actions[i] ?? -1;
    if (a < 0 || a >= k) return `round ${i}: action ${a} outside 0..${k - 1}`;
    const p = pscores[i] ?? Number.NaN;
    if (!(p > 0 && p <= 1)) return `round ${i}: pscore ${p} not in (0, 1]`;
    if (!Number.isFinite(rewards[i] ?? Number.NaN)) return `round ${i}: reward is not finite`;
    let sum = 0;
    for (let j = i * k; j < i * k + k; j++) {
      const pe = actionDist[j] ?? Number.NaN;
      if (!(pe >= 0 && pe <= 1)) return `round ${i}: action_dist entry ${pe} not in [0, 1]`;
      sum += pe;
      if (!Number.isFinite(estimatedRewards[j] ?? Number.NaN)) return `round ${i}: estimated reward is not finite`;
    }
    if (Math.abs(sum - 1) > distributionTolerance) return `round ${i}: action_dist sums to ${sum}, not 1`;
  }
  return undefined;
}
