/**
 * One call that evaluates a candidate on logged rounds: point estimates of the chosen estimators,
 * their percentile bootstrap intervals (all estimators share the same resamples), and the
 * importance-weight diagnostics. Both input modes end here once they have filled a LoggedRounds.
 */
import { bootstrapIntervals, type BootstrapInterval, type UniformSource } from './bootstrap';
import { buildEstimatorTerms, defaultEstimatorParams, estimatorDefinitions, weightDiagnostics, type EstimatorName, type EstimatorParams, type WeightDiagnostics } from './estimators';
import type { LoggedRounds } from './loggedRounds';
import { centredTerms, pointEstimates } from './termTable';

/** What to estimate and how. */
export interface EvaluationOptions {
  readonly estimators: readonly EstimatorName[];
  readonly params?: EstimatorParams;
  /** Bootstrap settings; absent or 0 resamples: point estimates only. */
  readonly bootstrap?: { readonly resamples: number; readonly alpha: number; readonly rng: UniformSource; readonly clusters?: Int32Array };
}

/** One estimator's result. */
export interface EstimatorResult {
  readonly name: EstimatorName;
  readonly estimate: number;
  /** Present when a bootstrap was run. */
  readonly interval?: BootstrapInterval;
}

/** The evaluation of a candidate on logged rounds. */
export interface Evaluation {
  readonly n: number;
  readonly k: number;
  readonly diagnostics: WeightDiagnostics;
  readonly results: readonly EstimatorResult[];
}

/** Estimates the candidate's value with each requested estimator (in the order requested). */
export function evaluateCandidate(rounds: LoggedRounds, options: EvaluationOptions): Evaluation {
  // Centred, so that the point estimate and the bootstrap replicates carry the same (small) rounding.
  const { table, estimators: definitions } = centredTerms(
    buildEstimatorTerms(rounds, options.params ?? defaultEstimatorParams),
    options.estimators.map((name) => estimatorDefinitions[name]),
    { inPlace: true },
  );
  const estimates = pointEstimates(table, definitions);
  const bootstrap = options.bootstrap;
  const intervals = bootstrap !== undefined && bootstrap.resamples > 0 && rounds.n > 0 ? bootstrapIntervals(table, definitions, bootstrap) : undefined;
  const results = options.estimators.map((name, e): EstimatorResult => {
    const interval = intervals?.[e];
    const estimate = estimates[e] ?? Number.NaN;
    return interval === undefined ? { name, estimate } : { name, estimate, interval };
  });
  return { n: rounds.n, k: rounds.k, diagnostics: weightDiagnostics(rounds), results };
}
