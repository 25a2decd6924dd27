/**
 * The dashboard's readings of the learner: off-policy evaluation of the learned policy on the
 * newest logged outcomes (src/core/ope: a candidate trained on the earlier part and scored on the
 * later part, every estimator with its bootstrap interval and the effective sample size), which
 * context features move its choice (its learned weights), and one logged decision explained.
 */
import { checkLoggedChoice, eligibilityMask } from '../core/decisionChecks';
import { contextFeatureNames, contextFeatures } from '../core/features';
import type { GuardedOptimizer } from '../core/guardedOptimizer';
import { defaultMinEffectiveSampleSize } from '../core/guardedOptions';
import { createRng } from '../core/math/random';
import { clusterIndices } from '../core/ope/bootstrap';
import { estimatorNames } from '../core/ope/estimators';
import { evaluateCandidate } from '../core/ope/evaluate';
import { learnedCandidate, splitRows } from '../core/ope/learnedCandidate';
import { nativeLoggedRounds, type NativeRound } from '../core/ope/native';
import { LinearPolicy } from '../core/policies/linearPolicy';
import type { ParameterSpace } from '../core/space';
import type { Decision, RolloutPhase, TaskType } from '../core/types';
import type { DashboardParams, DashboardResult } from '../shared/dashboardProtocol';
import type { LoggedDecision } from '../store/events';
import { finiteOrNull } from './dashboardOverview';
import type { ServiceSettings } from './optimizerService';
import { typicalRequest } from './status';

/** Share of the evaluated rows the candidate learns from (the rest are scored): the CLI's default. */
const trainShare = 0.5;
/** Interval level: 95% two-sided. */
const alpha = 0.05;

/**
 * What an off-policy evaluation needs, as plain data (it runs in a worker thread: see opeWorker.ts):
 * the served space, the phase and the learned policy's kind, the settings a candidate is built
 * with, the rows, the request's params.
 */
export interface OpeInput {
  space: ParameterSpace;
  phase: RolloutPhase;
  policyKind: string;
  candidate: Pick<ServiceSettings, 'policyKind' | 'policySettings'>;
  logged: readonly LoggedDecision[];
  params: DashboardParams<'ope'>;
}

/** The input of an evaluation of `logged` under the learner as it is now. */
export function opeInput(g: GuardedOptimizer, settings: ServiceSettings, logged: readonly LoggedDecision[], params: DashboardParams<'ope'>): OpeInput {
  return { space: g.optimizer.space, phase: g.rollout.phase, policyKind: g.optimizer.learned.kind, candidate: { policyKind: settings.policyKind, policySettings: settings.policySettings }, logged, params };
}

/**
 * Off-policy evaluation of the learned policy's kind and settings on `logged` (the newest rewarded
 * decisions, oldest first): trained on the first half, scored on the second within the trust
 * region, under each row's logged eligibility mask; intervals resample whole sessions. Rows written
 * with another parameter space (another number of arms) are left out and said so.
 */
export function offPolicyEvaluation(input: OpeInput): DashboardResult<'ope'> {
  const { space, phase, policyKind, candidate: settings, logged, params: p } = input;
  const k = space.arms.length;
  const minEss = defaultMinEffectiveSampleSize[phase];
  const fits = logged.filter((l) => l.reward !== undefined && l.decision.probabilities.length === k && l.decision.contextFeatures.length === contextFeatureNames.length && checkLoggedChoice(l.decision).length === 0);
  const leftOut = logged.length - fits.length;
  const base: DashboardResult<'ope'> = {
    available: false,
    summary: '',
    policyKind,
    trainedOn: 0,
    scoredOn: 0,
    sessions: null,
    effectiveSampleSize: null,
    minEffectiveSampleSize: minEss,
    massOffSupport: null,
    loggedMean: null,
    level: alpha,
    estimators: [],
  };
  const { train, score } = splitRows(
    fits.map((l) => ({ l, timestamp: l.decision.timestamp })),
    { kind: 'share', share: trainShare },
  );
  const omitted = leftOut > 0 ? ` (${leftOut} logged with another parameter space or not usable were left out)` : '';
  if (train.length < 10 || score.length < 10) {
    return { ...base, summary: `Too few rewarded decisions to evaluate: ${fits.length}, at least 20 are needed${omitted}.`.slice(0, 2000) };
  }
  const round = (l: LoggedDecision): NativeRound => {
    const mask = eligibilityMask(l.decision.eligibleArms, k);
    return { context: l.decision.contextFeatures, armIndex: l.decision.armIndex, propensity: l.decision.propensity, loggingProbabilities: l.decision.probabilities, reward: l.reward!.reward, ...(mask ? { eligible: mask } : {}) };
  };
  const { policy, featureMap } = learnedCandidate(
    train.map(({ l }) => ({ context: l.decision.contextFeatures, armIndex: l.decision.armIndex, reward: l.reward!.reward })),
    { kind: settings.policyKind, settings: settings.policySettings, space, contextDim: contextFeatureNames.length },
  );
  const trust = new Uint8Array(k);
  for (const a of space.trustRegionArms) trust[a] = 1;
  const scored = score.map(({ l }) => round(l));
  const native = nativeLoggedRounds(scored, {
    policy,
    featureMap,
    rng: createRng((p.seed ^ 0x5bd1e995) >>> 0),
    rewardModel: { lambda: 1, folds: 5, alsoFitOn: train.map(({ l }) => round(l)) },
    eligible: trust,
  });
  const keys = score.map(({ l }) => l.decision.sessionKey);
  const clusters = keys.some((key) => key !== undefined) ? clusterIndices(keys) : undefined;
  const evaluation = evaluateCandidate(native.rounds, {
    estimators: estimatorNames,
    ...(p.resamples > 0 ? { bootstrap: { resamples: p.resamples, alpha, rng: createRng(p.seed), ...(clusters ? { clusters } : {}) } } : {}),
  });
  const ess = evaluation.diagnostics.effectiveSampleSize;
  const sessions = clusters ? clusters.reduce((m, c) => Math.max(m, c + 1), 0) : null;
  const loggedMean = scored.reduce((s, r) => s + r.reward, 0) / scored.length;
  const result: DashboardResult<'ope'> = {
    ...base,
    available: true,
    summary:
      `The learned policy (${policyKind}), trained on ${train.length} earlier rewarded decisions and scored on the ${score.length} newest` +
      `${sessions !== null ? ` (${sessions} sessions)` : ''}, within the trust region${omitted}.`,
    trainedOn: train.length,
    scoredOn: score.length,
    sessions,
    effectiveSampleSize: finiteOrNull(ess),
    massOffSupport: finiteOrNull(native.candidateMassOffSupport),
    loggedMean: finiteOrNull(loggedMean),
    estimators: evaluation.results.map((r) => ({ name: r.name, estimate: finiteOrNull(r.estimate), lower: finiteOrNull(r.interval?.lower), upper: finiteOrNull(r.interval?.upper) })),
  };
  const thin: string[] = [];
  if (!(ess >= minEss)) thin.push(`the effective sample size is ${Number.isFinite(ess) ? ess.toFixed(1) : 'undefined'}, below the ${minEss} the ${phase} gate asks for`);
  if (native.candidateMassOffSupport > 0.05) thin.push(`${(native.candidateMassOffSupport * 100).toFixed(0)}% of the policy's choices fall on arms the log never served in those requests`);
  if (thin.length > 0) result.supportWarning = `Too little support to decide: ${thin.join('; ')}. The estimates above say little until more requests explore those arms.`;
  return result;
}

/**
 * Which context features move the learned policy's choice for a typical request of `taskType`: the
 * policy is linear in the context features, so the change of an arm's posterior mean when feature f
 * goes from its typical value to that value plus 1 is the learned weight of f for that arm (all
 * interactions included). The spread of those weights over the trust region is how much f can
 * change which arm wins.
 */
export function featureAttribution(g: GuardedOptimizer, taskType: TaskType): DashboardResult<'attribution'> {
  const space = g.optimizer.space;
  const learned = g.optimizer.learned;
  const baselineArm = space.baselineArm;
  const empty = { policyKind: learned.kind, taskType, baselineArm, features: [] };
  if (!(learned instanceof LinearPolicy)) return { ...empty, available: false, summary: `The ${learned.kind} policy learns no weights on the context.`, favouredArm: null };
  const trust = new Uint8Array(space.arms.length);
  for (const a of space.trustRegionArms) trust[a] = 1;
  const x = contextFeatures(typicalRequest(taskType));
  const at = learned.posterior(x, trust).means;
  let favoured = baselineArm;
  for (const a of space.trustRegionArms) if (at[a]! > at[favoured]!) favoured = a;
  const features = contextFeatureNames.map((name, f) => {
    const moved = Float64Array.from(x);
    moved[f] = moved[f]! + 1;
    const after = learned.posterior(moved, trust).means;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const a of space.trustRegionArms) {
      const effect = after[a]! - at[a]!;
      lo = Math.min(lo, effect);
      hi = Math.max(hi, effect);
    }
    return { name, spread: hi - lo, favoured: finiteOrNull(after[favoured]! - at[favoured]!), baseline: after[baselineArm]! - at[baselineArm]! };
  });
  features.sort((a, b) => b.spread - a.spread);
  const top = features.filter((f) => f.spread > 1e-9).slice(0, 3);
  const summary =
    learned.version === 0
      ? 'The learned policy has not learned from any outcome yet: its weights are its prior.'
      : top.length === 0
        ? 'No context feature changes which arm the learned policy prefers.'
        : `${top.map((f) => `${f.name} (${f.spread.toFixed(3)})`).join(', ')} move the choice most, for a typical ${taskType} request.`;
  return { ...empty, available: true, summary, favouredArm: favoured, features };
}

/** Who served a decision and why, in words. */
export function whyServed(decision: Decision, share: number, armCount: number): string {
  const pct = `${Math.round(share * 1000) / 10}%`;
  const p = (x: number): string => x.toFixed(3);
  let who: string;
  if (decision.phase === 'shadow') {
    who = 'In shadow the baseline serves every request (the learned policy only says what it would have chosen)';
  } else if (decision.phase === 'general') {
    who = 'In general the learned policy serves every request';
  } else if (decision.servedBy === 'learned') {
    who = `In ${decision.phase} the learned policy serves the sessions whose traffic bucket falls in its ${pct} share, and this request's session does`;
  } else {
    who = `In ${decision.phase} the learned policy serves the sessions whose traffic bucket falls in its ${pct} share; this request's session does not, so the baseline served it`;
  }
  const mixed = decision.phase === 'canary' || decision.phase === 'guarded';
  let text = `${who}. Arm ${decision.armId} was drawn with probability ${p(decision.propensity)}${mixed ? `, the mixture (1 − ${pct})·baseline + ${pct}·learned logged as its propensity` : ''}.`;
  if (decision.eligibleArms !== undefined) text += ` Only ${decision.eligibleArms.length} of ${armCount} arms were allowed (the token budget or the model).`;
  if (decision.waivers !== undefined && decision.waivers.length > 0) text += ` Waivers applied: ${decision.waivers.join(', ')}.`;
  return text.slice(0, 2000);
}

/** One logged decision with its outcome, explained. */
export function explainDecision(logged: LoggedDecision, armIds: readonly string[], shareOf: (phase: Decision['phase']) => number): DashboardResult<'explainDecision'> {
  const d = logged.decision;
  const armId = (a: number): string => armIds[a] ?? (a === d.armIndex ? d.armId : `arm ${a}`);
  const o = logged.outcome;
  return {
    found: true,
    decision: {
      requestId: d.requestId,
      timestamp: d.timestamp,
      taskType: d.taskType ?? null,
      context: d.featureNames.map((name, i) => ({ name, value: finiteOrNull(d.contextFeatures[i]) ?? 0 })),
      contextFingerprint: d.contextFingerprint,
      policyId: d.policyId,
      policyVersion: d.policyVersion,
      phase: d.phase,
      servedBy: d.servedBy,
      why: whyServed(d, shareOf(d.phase), d.probabilities.length),
      armIndex: d.armIndex,
      armId: d.armId,
      baselineArmIndex: d.baselineArmIndex,
      params: { ...d.params },
      propensity: d.propensity,
      probabilities: d.probabilities.flatMap((probability, armIndex) => (probability > 0 ? [{ armIndex, armId: armId(armIndex), probability }] : [])),
      ...(d.shadow ? { shadow: { armIndex: d.shadow.armIndex, armId: armId(d.shadow.armIndex), propensity: d.shadow.propensity } } : {}),
      honoured: d.honouredParams ? [...d.honouredParams] : null,
      dropped: d.droppedParams ? [...d.droppedParams] : null,
      modelUsed: d.modelUsed ?? null,
      waivers: d.waivers ? [...d.waivers] : [],
      eligibleArms: d.eligibleArms ? [...d.eligibleArms] : null,
      outcome: o
        ? {
            timestamp: o.timestamp,
            latencyMs: o.latencyMs,
            timeToFirstTokenMs: finiteOrNull(o.timeToFirstTokenMs),
            tokensIn: o.tokensIn,
            tokensOut: o.tokensOut,
            finishReason: o.finishReason,
            error: o.error?.slice(0, 2000) ?? null,
            quality: o.quality,
            verdict: o.verdict ?? null,
            rating: finiteOrNull(o.rating),
            defaulted: o.defaulted === true,
          }
        : null,
      reward: logged.reward ? { reward: logged.reward.reward, violations: logged.reward.violations.slice(0, 20) } : null,
    },
  };
}
