/**
 * Replay evaluation (Li, Chu, Langford & Wang 2011, "Unbiased offline evaluation of
 * contextual-bandit-based news article recommendation algorithms") of a deterministic candidate:
 * keep the rounds where the logged action equals the candidate's action and average their rewards,
 *
 *   V_replay = Σ 1{a_i = π_e(x_i)} r_i / Σ 1{a_i = π_e(x_i)}.
 *
 * It is unbiased only when the logging policy was uniform over the K actions: otherwise the kept
 * rounds over-represent contexts where the logger already favoured the candidate's action, and the
 * average is biased. We therefore also report the propensity-weighted replay
 *
 *   V_weighted = Σ 1{match} r_i / π_b(a_i|x_i) / Σ 1{match} / π_b(a_i|x_i),
 *
 * which weights each kept round by the inverse of its chance of being kept (the rejection-sampling
 * correction); it is consistent under any logging policy that gives the candidate's actions positive
 * probability, and equals plain replay under uniform logging. For a deterministic candidate it is
 * the same number as SNIPS. OBP's ReplayMethod returns 0 when no round matches; we return NaN with
 * `matches = 0`, since there is nothing to average.
 */
import type { LoggedRounds } from './loggedRounds';
import type { RatioEstimator, TermTable } from './termTable';
import { pointEstimates } from './termTable';

/** Result of replay evaluation. */
export interface ReplayResult {
  /** Li et al.'s replay average (unbiased under uniform logging only). */
  estimate: number;
  /** Propensity-weighted replay (consistent under any logging with support). */
  weightedEstimate: number;
  /** Rounds where the logged action equals the candidate's. */
  matches: number;
  n: number;
  /** True when every logged propensity is 1/K (within 1e-9): the case where plain replay is unbiased. */
  loggingUniform: boolean;
}

/** Replay estimators over the table built by {@link buildReplayTerms}. */
export const replayEstimators: readonly RatioEstimator<'replay' | 'replay_weighted'>[] = [
  { name: 'replay', parts: [{ numerator: 0, denominator: 1 }] },
  { name: 'replay_weighted', parts: [{ numerator: 2, denominator: 3 }] },
];

/**
 * The candidate's action per round when it is deterministic (some action has probability 1 in every
 * round, within `tolerance`), else undefined.
 */
export function deterministicCandidateActions(rounds: LoggedRounds, tolerance = 1e-9): Int32Array | undefined {
  const { n, k, actionDist } = rounds;
  const chosen = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let found = -1;
    for (let a = 0; a < k; a++) {
      if (Math.abs((actionDist[i * k + a] ?? 0) - 1) <= tolerance) {
        found = a;
        break;
      }
    }
    if (found < 0) return undefined;
    chosen[i] = found;
  }
  return chosen;
}

/** Per-round replay terms: [1{match}·r, 1{match}, 1{match}·r/p, 1{match}/p]. */
export function buildReplayTerms(rounds: Pick<LoggedRounds, 'n' | 'actions' | 'rewards' | 'pscores'>, candidateActions: Int32Array): TermTable {
  const { n, actions, rewards, pscores } = rounds;
  if (candidateActions.length !== n) throw new RangeError(`candidateActions has length ${candidateActions.length}, expected n = ${n}`);
  const width = 4;
  const values = new Float64Array(n * width);
  for (let i = 0; i < n; i++) {
    if (actions[i] !== candidateActions[i]) continue;
    const r = rewards[i] ?? 0;
    const inverse = 1 / (pscores[i] ?? 1);
    const base = i * width;
    values[base] = r;
    values[base + 1] = 1;
    values[base + 2] = r * inverse;
    values[base + 3] = inverse;
  }
  return { n, width, values };
}

/** Replay evaluation of a deterministic candidate given its action in every logged round. */
export function replayEvaluation(rounds: Pick<LoggedRounds, 'n' | 'k' | 'actions' | 'rewards' | 'pscores'>, candidateActions: Int32Array): ReplayResult {
  const table = buildReplayTerms(rounds, candidateActions);
  const [estimate = Number.NaN, weightedEstimate = Number.NaN] = pointEstimates(table, replayEstimators);
  let matches = 0;
  for (let i = 0; i < rounds.n; i++) if (rounds.actions[i] === candidateActions[i]) matches++;
  const uniform = 1 / rounds.k;
  let loggingUniform = rounds.n > 0;
  for (let i = 0; i < rounds.n && loggingUniform; i++) loggingUniform = Math.abs((rounds.pscores[i] ?? 0) - uniform) <= 1e-9 * uniform;
  return { estimate, weightedEstimate, matches, n: rounds.n, loggingUniform };
}
