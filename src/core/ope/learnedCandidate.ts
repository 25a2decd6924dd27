/**
 * A candidate policy rebuilt from a decision log: a policy of a given kind and settings over the
 * log's parameter space, updated with logged outcomes in the order they were logged — what the
 * optimizer itself does with each outcome (optimizer.ts, recordOutcome). Since the optimizer's
 * state is a function of its log (ARCHITECTURE.md §"Determinism"), the learned policy of a log is this policy trained on
 * every outcome of the log.
 *
 * Scoring a policy on the very rows it learned from flatters it (it has fitted their noise), so
 * {@link splitRows} separates the rows it learns from and the later rows it is scored on.
 */
import { actionFeatures } from '../features';
import { createPolicy, disjointFeatureMap, sharedFeatureMap, type JointFeatureMap, type Policy, type PolicyKind, type PolicySettings } from '../policies';
import type { ParameterSpace } from '../space';

/** One logged outcome to learn from. */
export interface TrainingRow {
  readonly context: ArrayLike<number>;
  readonly armIndex: number;
  readonly reward: number;
}

/** The policy to build. */
export interface LearnedCandidateOptions {
  readonly kind: PolicyKind;
  readonly settings: PolicySettings;
  /** The parameter space the log was written with (its arms, baseline and trust region). */
  readonly space: ParameterSpace;
  /** Number of context features of the log's decisions. */
  readonly contextDim: number;
}

/**
 * The joint feature map the optimizer builds for these settings and space (optimizer.ts does the
 * same): per-arm models, or one model over context × action features.
 */
export function candidateFeatureMap(settings: PolicySettings, space: ParameterSpace, contextDim: number): JointFeatureMap {
  if (settings.featureMap === 'disjoint') return disjointFeatureMap(space.arms.length, contextDim);
  return sharedFeatureMap(contextDim, actionFeatures(space.arms, space.baselineArm).values);
}

/** A row the policy could not learn from (0-based index into the rows given). */
export class TrainingRowError extends Error {
  constructor(
    readonly index: number,
    readonly reason: string,
  ) {
    super(`training row ${index + 1}: ${reason}`);
    this.name = 'TrainingRowError';
  }
}

/** Builds the policy and updates it with `rows` in order; a row it cannot learn from throws a {@link TrainingRowError}. */
export function learnedCandidate(rows: readonly TrainingRow[], options: LearnedCandidateOptions): { policy: Policy; featureMap: JointFeatureMap } {
  const { kind, settings, space, contextDim } = options;
  const featureMap = candidateFeatureMap(settings, space, contextDim);
  const policy = createPolicy(kind, featureMap, settings, { baselineArm: space.baselineArm, trustRegionArms: space.trustRegionArms });
  rows.forEach((row, index) => {
    if (row.context.length !== contextDim) throw new TrainingRowError(index, `has ${row.context.length} context features, the log's first decision ${contextDim}`);
    try {
      policy.update(Float64Array.from(row.context), row.armIndex, row.reward);
    } catch (error) {
      throw new TrainingRowError(index, error instanceof Error ? error.message : String(error));
    }
  });
  return { policy, featureMap };
}

/** How to divide a log in time between learning and scoring. */
export type TimeSplit =
  /** The earliest ⌊share·n⌋ rows train, the rest are scored. */
  | { readonly kind: 'share'; readonly share: number }
  /** Rows logged before `until` (ms since the epoch) train, the rest are scored. */
  | { readonly kind: 'until'; readonly until: number }
  /** Every row trains and every row is scored (in-sample: optimistic). */
  | { readonly kind: 'none' };

/**
 * Splits rows in log order into those the candidate learns from and those it is scored on. With
 * 'until', rows are taken by their timestamps, which may be out of order only if the clock was.
 */
export function splitRows<Row extends { readonly timestamp: number }>(rows: readonly Row[], split: TimeSplit): { train: Row[]; score: Row[] } {
  switch (split.kind) {
    case 'none':
      return { train: [...rows], score: [...rows] };
    case 'share': {
      const cut = Math.floor(split.share * rows.length);
      return { train: rows.slice(0, cut), score: rows.slice(cut) };
    }
    case 'until':
      return { train: rows.filter((row) => row.timestamp < split.until), score: rows.filter((row) => row.timestamp >= split.until) };
  }
}
