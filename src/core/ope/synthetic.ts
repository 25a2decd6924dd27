/**
 * A synthetic contextual bandit whose candidate value is known exactly, to test the estimators
 * against ground truth and to benchmark them. The design follows ../shared/bench/make_data.py:
 *
 * - M contexts x_m ~ N(0, I_d), drawn once; each round draws one of them uniformly, so the context
 *   distribution is finite and the population value is an exact finite sum;
 * - true mean reward q(x, a) = x·θ_a + b_a (linear), observed reward q + N(0, σ²);
 * - logging policy π_b(·|x) = softmax(β_b · x W_b) with W_b unrelated to q;
 * - candidate π_e(·|x) = softmax(β_e · q(x, ·)) (prefers the actions that are truly better);
 * - true value V(π_e) = (1/M) Σ_m Σ_a π_e(a|x_m) q(x_m, a).
 */
import type { UniformSource } from './bootstrap';
import type { LoggedRounds } from './loggedRounds';

/** Uniform and standard-normal draws (the core's seeded Rng satisfies this). */
export interface GaussianSource extends UniformSource {
  normal(): number;
}

/** Shape of a synthetic bandit. */
export interface SyntheticBanditConfig {
  /** Number of distinct contexts M. */
  readonly contexts: number;
  /** Context dimension d. */
  readonly dim: number;
  /** Number of actions K. */
  readonly actions: number;
  /** Inverse temperature of the logging softmax β_b (0: uniform logging). */
  readonly loggingBeta: number;
  /** Inverse temperature of the candidate softmax β_e. */
  readonly candidateBeta: number;
  /** Reward noise standard deviation σ. */
  readonly noiseSd: number;
}

/** The environment: contexts, true mean rewards, both policies (all row-major M × ·), true value. */
export interface SyntheticBandit {
  readonly config: SyntheticBanditConfig;
  /** x_m, M × d. */
  readonly contexts: Float64Array;
  /** θ, K × d (row a is θ_a). */
  readonly theta: Float64Array;
  /** b, length K. */
  readonly bias: Float64Array;
  /** q(x_m, a), M × K. */
  readonly meanReward: Float64Array;
  /** π_b(a|x_m), M × K. */
  readonly logging: Float64Array;
  /** π_e(a|x_m), M × K. */
  readonly candidate: Float64Array;
  /** V(π_e), exact. */
  readonly trueValue: number;
}

/** Logged rounds drawn from a synthetic bandit, with the context index of each round. */
export interface SyntheticLog {
  /** Rounds with `estimatedRewards` all 0: fill them with a reward model's predictions. */
  readonly rounds: LoggedRounds;
  /** Index m of the context of each round. */
  readonly contextIndex: Int32Array;
}

/** Draws a synthetic bandit environment. */
export function makeSyntheticBandit(config: SyntheticBanditConfig, rng: GaussianSource): SyntheticBandit {
  const { contexts: m, dim: d, actions: k, loggingBeta, candidateBeta } = config;
  const contexts = new Float64Array(m * d);
  for (let j = 0; j < contexts.length; j++) contexts[j] = rng.normal();
  const theta = new Float64Array(k * d);
  for (let j = 0; j < theta.length; j++) theta[j] = rng.normal() / Math.sqrt(d);
  const bias = new Float64Array(k);
  for (let a = 0; a < k; a++) bias[a] = 0.5 * rng.normal();
  const loggingWeights = new Float64Array(k * d);
  for (let j = 0; j < loggingWeights.length; j++) loggingWeights[j] = rng.normal() / Math.sqrt(d);
  const meanReward = new Float64Array(m * k);
  const loggingScores = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let a = 0; a < k; a++) {
      let q = bias[a] ?? 0;
      let s = 0;
      for (let j = 0; j < d; j++) {
        const x = contexts[i * d + j] ?? 0;
        q += x * (theta[a * d + j] ?? 0);
        s += x * (loggingWeights[a * d + j] ?? 0);
      }
      meanReward[i * k + a] = q;
      loggingScores[i * k + a] = loggingBeta * s;
    }
  }
  const logging = softmaxRows(loggingScores, m, k, 1);
  const candidate = softmaxRows(meanReward, m, k, candidateBeta);
  let value = 0;
  for (let j = 0; j < m * k; j++) value += (candidate[j] ?? 0) * (meanReward[j] ?? 0);
  return { config, contexts, theta, bias, meanReward, logging, candidate, trueValue: value / m };
}

/** Draws n logged rounds: context uniform over the M contexts, action from π_b, reward q + noise. */
export function sampleSyntheticLog(bandit: SyntheticBandit, n: number, rng: GaussianSource): SyntheticLog {
  const { contexts: m, actions: k, noiseSd } = bandit.config;
  const actions = new Int32Array(n);
  const rewards = new Float64Array(n);
  const pscores = new Float64Array(n);
  const actionDist = new Float64Array(n * k);
  const contextIndex = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.min(m - 1, Math.floor(rng.next() * m));
    contextIndex[i] = c;
    const u = rng.next();
    let cumulative = 0;
    let a = k - 1;
    for (let b = 0; b < k; b++) {
      cumulative += bandit.logging[c * k + b] ?? 0;
      if (u < cumulative) {
        a = b;
        break;
      }
    }
    actions[i] = a;
    pscores[i] = bandit.logging[c * k + a] ?? 0;
    rewards[i] = (bandit.meanReward[c * k + a] ?? 0) + noiseSd * rng.normal();
    actionDist.set(bandit.candidate.subarray(c * k, c * k + k), i * k);
  }
  return { rounds: { n, k, actions, rewards, pscores, actionDist, estimatedRewards: new Float64Array(n * k) }, contextIndex };
}

function softmaxRows(scores: Float64Array, rows: number, k: number, beta: number): Float64Array {
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < k; a++) max = Math.max(max, beta * (scores[i * k + a] ?? 0));
    let total = 0;
    for (let a = 0; a < k; a++) {
      const e = Math.exp(beta * (scores[i * k + a] ?? 0) - max);
      out[i * k + a] = e;
      total += e;
    }
    for (let a = 0; a < k; a++) out[i * k + a] = (out[i * k + a] ?? 0) / total;
  }
  return out;
}
