/**
 * The off-policy evidence of the promotion gate (gates.ts), from the current phase's logged rows.
 *
 * Scoring the live learned policy on the rows it learned from flatters it: its choices are tuned to
 * those rows' noise, and in the simulator its DR value was biased up by about +0.05 (on rows it
 * never saw, −0.004), enough to promote a candidate with no advantage. So the gate splits the phase's
 * rows by time: a candidate is rebuilt from the learned policy as it was when the phase began, updated
 * with the earlier rows only, then frozen and scored on the later rows, which it never saw. The split
 * falls on a session boundary (a session's requests share their serving policy and their outcomes
 * move together), and the candidate is seen through the trust region and, row by row, through the
 * eligibility mask the logger had (a token budget), i.e. as it would have served those requests.
 *
 * On the scored rows it is compared with the baseline arm (the user's own parameters), not with the
 * baseline policy's traffic, which includes that policy's exploration: the estimate and a lower bound
 * of the difference of their DR values, per row, resampling whole sessions (ope/armComparison.ts).
 * Evaluating on fewer rows than the phase holds costs power; the gate looks again daily, so each
 * look's candidate has learned from more rows and is scored on more.
 */
import type { LowerBound, ValueEvidence } from './gates';
import { compareWithArm } from '../ope/armComparison';
import { clusterIndices } from '../ope/bootstrap';
import { weightDiagnostics } from '../ope/estimators';
import type { LoggedRounds } from '../ope/loggedRounds';
import { jointRewardFeatures, nativeLoggedRounds, rewardSamples, type NativeRound } from '../ope/native';
import { rewardModelPredictions } from '../ope/rewardModel';
import type { JointFeatureMap, Policy, PolicySnapshot } from '../policies';
import type { Rng } from '../math/random';
import type { ServedBy, TaskType } from '../types';

/** A logged row of the current phase with its outcome: what the gate scores. */
export interface PhaseRow extends NativeRound {
  readonly quality: number;
  readonly servedBy: ServedBy;
  readonly taskType: TaskType;
  /** The request's traffic key (its session); rows without one are sessions of their own. */
  readonly sessionKey?: string;
}

/** What the evidence needs besides the rows. */
export interface FrozenCandidateOptions {
  /** The learned policy's state when the phase began. */
  readonly phaseStart: PolicySnapshot;
  /** A new policy of the learned policy's kind and settings, restored to a snapshot. */
  readonly copyPolicy: (snapshot: PolicySnapshot) => Policy;
  readonly featureMap: JointFeatureMap;
  /** The trust region (1 = inside): the candidate serves only there. */
  readonly trustMask: Uint8Array;
  readonly baselineArm: number;
  readonly rng: Rng;
  /** One-sided level of the difference's lower bound (the gate's level for this look). */
  readonly level: number;
  /** One-sided level of the candidate's off-policy quality bound. */
  readonly qualityLevel: number;
  /** Share of the phase's rows the candidate learns from before it is frozen (default 0.5). */
  readonly trainFraction?: number;
  /** At most this many of the latest rows are scored (default 300: the cost of a look stays bounded). */
  readonly maxEvaluatedRows?: number;
}

/** The evidence of one look, for the gate. */
export interface FrozenCandidateEvidence {
  readonly value: Omit<ValueEvidence, 'look' | 'level'> & { readonly level: number };
  /** The candidate's off-policy quality on the scored rows, with its lower bound. */
  readonly quality: { readonly mean: number; readonly lower: number; readonly n: number };
  readonly effectiveSampleSize: number;
  readonly candidateMassOffSupport: number;
  readonly candidateArms: number[];
  /** The frozen candidate's policy version (updates applied). */
  readonly candidateVersion: number;
}

/** The first row to score: after `trainFraction` of the rows, at most `maxEvaluated` from the end, moved forward to a session boundary. */
export function evaluationStart(rows: readonly PhaseRow[], trainFraction: number, maxEvaluated: number): number {
  const n = rows.length;
  let start = Math.max(Math.floor(n * trainFraction), n - maxEvaluated, 1);
  while (start < n && rows[start]!.sessionKey !== undefined && rows[start]!.sessionKey === rows[start - 1]!.sessionKey) start++;
  return Math.min(start, n);
}

/** The candidate seen through the trust region: what it would serve in production. */
function confined(policy: Policy, mask: Uint8Array): Policy {
  const both = new Uint8Array(mask.length);
  return {
    kind: policy.kind,
    armCount: policy.armCount,
    contextDim: policy.contextDim,
    get version() {
      return policy.version;
    },
    probabilities(context, eligible, rng, out) {
      let any = false;
      for (let a = 0; a < mask.length; a++) {
        both[a] = eligible[a] && mask[a] ? 1 : 0;
        if (both[a]) any = true;
      }
      policy.probabilities(context, any ? both : eligible, rng, out);
    },
    recommend: (context, eligible, rng) => policy.recommend(context, eligible, rng),
    update: (context, armIndex, reward) => policy.update(context, armIndex, reward),
    snapshot: () => policy.snapshot(),
    restore: (snapshot) => policy.restore(snapshot),
  };
}

/** The arms a mask allows, ascending (a decision's `eligibleArms`); undefined when it allows every arm. */
export function armsOfMask(mask: Uint8Array): number[] | undefined {
  const arms: number[] = [];
  for (let a = 0; a < mask.length; a++) if (mask[a]) arms.push(a);
  return arms.length === mask.length ? undefined : arms;
}

/** The mask (1 = allowed) of a list of arms out of k. */
export function maskOfArms(arms: readonly number[], k: number): Uint8Array {
  const mask = new Uint8Array(k);
  for (const a of arms) mask[a] = 1;
  return mask;
}

const unknown: LowerBound = { estimate: Number.NaN, lower: Number.NEGATIVE_INFINITY };

/** Trains the candidate on the earlier rows, freezes it and scores it on the later ones. */
export function frozenCandidateEvidence(rows: readonly PhaseRow[], o: FrozenCandidateOptions): FrozenCandidateEvidence {
  const start = evaluationStart(rows, o.trainFraction ?? 0.5, o.maxEvaluatedRows ?? 300);
  const candidate = o.copyPolicy(o.phaseStart);
  for (let i = 0; i < start; i++) {
    const row = rows[i]!;
    candidate.update(Float64Array.from(row.context), row.armIndex, row.reward);
  }
  const scored = rows.slice(start);
  const sessions = clusterIndices(scored.map((r) => r.sessionKey));
  const sessionCount = scored.length === 0 ? 0 : Math.max(...sessions) + 1;
  const base = { trainedOn: start, evaluatedOn: scored.length, sessions: sessionCount, level: o.level };
  if (scored.length < 2) {
    return {
      value: { ...base, candidate: unknown, baseline: unknown, difference: unknown },
      quality: { mean: Number.NaN, lower: Number.NEGATIVE_INFINITY, n: scored.length },
      effectiveSampleSize: 0,
      candidateMassOffSupport: Number.NaN,
      candidateArms: [],
      candidateVersion: candidate.version,
    };
  }
  // The reward models are also fitted on the rows the candidate learned from: those rows are not
  // scored, and more data for q̂ means smaller residuals, hence a tighter bound.
  const trained = rows.slice(0, start);
  const rewardModel = { lambda: 1, folds: 2, alsoFitOn: trained };
  const native = nativeLoggedRounds(scored, { policy: confined(candidate, o.trustMask), featureMap: o.featureMap, rng: o.rng, rewardModel });
  const rounds = native.rounds;
  const logging = new Float64Array(rounds.n * rounds.k);
  scored.forEach((row, i) => logging.set(row.loggingProbabilities, i * rounds.k));
  const value = compareWithArm(rounds, o.baselineArm, { level: o.level, clusters: sessions, logging });
  // Quality: the same candidate distribution, quality as the reward, its own reward model.
  const qualityRewards = Float64Array.from(scored, (r) => r.quality);
  const qualityRounds: LoggedRounds = {
    ...rounds,
    rewards: qualityRewards,
    estimatedRewards: rewardModelPredictions(
      { contexts: scored.map((r) => Float64Array.from(r.context)), actions: rounds.actions, rewards: qualityRewards },
      rounds.k,
      jointRewardFeatures(o.featureMap),
      { lambda: 1, folds: 2, alsoFitOn: rewardSamples(trained.map((r) => ({ ...r, reward: r.quality }))) },
    ),
  };
  const quality = compareWithArm(qualityRounds, o.baselineArm, { level: o.qualityLevel, clusters: sessions, logging });
  const k = rounds.k;
  const candidateArms: number[] = [];
  for (let a = 0; a < k; a++) {
    for (let i = 0; i < rounds.n; i++) {
      if (rounds.actionDist[i * k + a]! > 1e-9) {
        candidateArms.push(a);
        break;
      }
    }
  }
  return {
    value: { ...base, candidate: value.candidate, baseline: value.arm, difference: value.difference },
    quality: { mean: quality.candidate.estimate, lower: quality.candidate.lower, n: scored.length },
    effectiveSampleSize: weightDiagnostics(rounds).effectiveSampleSize,
    candidateMassOffSupport: native.candidateMassOffSupport,
    candidateArms,
    candidateVersion: candidate.version,
  };
}
