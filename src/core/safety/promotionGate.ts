/**
 * The promotion gate's runs inside the guarded optimizer: when a look is due (the phase's minimums
 * met, a day since the last look and the evidence grown by half), the evidence of a frozen candidate
 * (promotionEvidence.ts) judged by the gate (gates.ts); a drift pause instead when drift stands; the
 * phase declared inconclusive at its deadline meanwhile. Each look and each rollout event goes out
 * through the callbacks, so the guarded optimizer logs them and applies them as a replay would.
 */
import { evaluateGate, gateConfigSchema, lookLevel, spaceTrustRegion, type GateEvidence, type GateVerdict } from './gates';
import type { GateBook, GateLook } from '../guardedState';
import type { GuardedOptions } from '../guardedOptions';
import { defaultCandidateTrainFraction } from '../guardedOptions';
import { streamRng } from '../math/random';
import type { LLMParameterOptimizer } from '../optimizer';
import type { BudgetTracker } from './budget';
import type { DriftDetector } from './drift';
import { frozenCandidateEvidence } from './promotionEvidence';
import type { RolloutEvent, RolloutManager } from './rollout';
import type { RolloutPhase } from '../types';

/** Salt of the gate's random streams, apart from the decisions'. */
const gateStreamSalt = 0x6a7e5eed;

/** What a gate run reads and how it reports. */
export interface GateParts {
  readonly rollout: RolloutManager;
  readonly book: GateBook;
  readonly drift: DriftDetector;
  readonly budget: BudgetTracker;
  readonly optimizer: LLMParameterOptimizer;
  readonly options: GuardedOptions;
  readonly minEss: Record<RolloutPhase, number>;
  readonly trustMask: Uint8Array;
  /** Logs and applies a look. */
  look(look: GateLook): void;
  /** Logs a rollout event the manager just made and applies its other effects. */
  rolloutEvent(event: RolloutEvent): RolloutEvent;
}

/**
 * Runs the gate when the phase's minimum samples and duration are met and the interval has passed.
 * With the drift setting `pausePromotion`, a gate that falls due while a major population shift or
 * a reward alarm stands pauses the rollout instead (a verdict computed on one population says
 * little about another); at each later interval the pause ends by itself once the drift has
 * cleared, or when a person resumes.
 */
export function runGateIfDue(p: GateParts, now: number): { verdict?: GateVerdict; event?: RolloutEvent } | undefined {
  const phase = p.rollout.phase;
  const interval = p.options.gateIntervalMs ?? 86_400_000;
  const book = p.book;
  if (book.pausedByDrift && p.rollout.status === 'paused') {
    if (now - book.lastGateAt < interval) return undefined;
    p.look({ timestamp: now, phase, kind: 'driftCheck', rows: book.rowsSeen });
    if (p.drift.report().pausePromotion) return undefined;
    return { event: p.rolloutEvent(p.rollout.resume('drift', 'the drift that paused promotion has cleared', now)) };
  }
  if (phase === 'general' || p.rollout.status === 'paused' || p.rollout.status === 'rolledBack') return undefined;
  const settings = p.rollout.config.phases[phase];
  const startedAt = p.rollout.toJSON().phaseStartedAt;
  const timeMet = now - startedAt >= settings.minDurationDays * 86_400_000;
  const samplesMet = p.rollout.samplesInPhase >= settings.minSamples;
  if (!timeMet || !samplesMet) {
    // Without the gate the manager can still declare the phase inconclusive at its deadline.
    const event = p.rollout.evaluate(now, undefined);
    return event ? { verdict: { phase, passed: false, checks: [], summary: 'minimums not met' }, event: p.rolloutEvent(event) } : undefined;
  }
  // Each look spends part of the false-promotion rate, so looks are spaced by evidence, not by
  // days: the next one waits until the phase's rows have grown by the growth factor. Meanwhile the
  // phase can still be declared inconclusive at its deadline.
  if (now - book.lastGateAt < interval || book.rowsSeen < book.rowsAtLastLook * (p.options.gateLookGrowth ?? 1.5)) {
    const event = p.rollout.status === 'running' ? p.rollout.evaluate(now, undefined) : undefined;
    return event ? { event: p.rolloutEvent(event) } : undefined;
  }
  const drift = p.drift.report();
  if (drift.pausePromotion) {
    p.look({ timestamp: now, phase, kind: 'driftCheck', rows: book.rowsSeen });
    return { event: p.rolloutEvent(p.rollout.pause('drift', `promotion paused: ${drift.warnings.join(' ')}`, now)) };
  }
  const evidence = gateEvidence(p, now, book.looks + 1);
  const verdict = evaluateGate(evidence, { ...p.options.gate, minEffectiveSampleSize: p.minEss[phase] });
  p.look({ timestamp: now, phase, kind: 'look', rows: book.rowsSeen, verdict });
  const event = p.rollout.evaluate(now, verdict);
  return event ? { verdict, event: p.rolloutEvent(event) } : { verdict };
}

/**
 * The gate's evidence from the current phase's rows: a candidate frozen at a time split and scored
 * on the later rows against the baseline arm (promotionEvidence.ts), at the level look `look`
 * spends; quality from a DR bound in shadow and from the learned-served outcomes' time-uniform bound
 * after. Its randomness is the look's own stream.
 */
export function gateEvidence(p: GateParts, now: number, look = Math.max(1, p.book.looks)): GateEvidence {
  const phase = p.rollout.phase;
  const o = p.options;
  const gate = gateConfigSchema.parse(o.gate ?? {});
  const level = lookLevel(gate.falsePromotionRate, look, gate.plannedLooks);
  const scored = frozenCandidateEvidence(p.book.rows, {
    phaseStart: p.book.phaseStart.snapshot(),
    copyPolicy: (snapshot) => p.optimizer.learnedCopy(snapshot),
    featureMap: p.optimizer.map,
    trustMask: p.trustMask,
    baselineArm: o.space.baselineArm,
    rng: streamRng(o.seed ^ gateStreamSalt, p.book.totalLooks),
    level,
    qualityLevel: o.offPolicyQualityLevel ?? 0.05,
    trainFraction: { ...defaultCandidateTrainFraction, ...o.candidateTrainFraction }[phase],
    maxEvaluatedRows: o.maxOpeRows ?? 600,
  });
  let quality: GateEvidence['quality'];
  if (phase === 'shadow') {
    // No learned outcome yet: the frozen candidate's off-policy quality bound.
    quality = scored.quality;
  } else {
    const b = p.book.onlineQuality.bounds();
    quality = { mean: b.mean, lower: b.n > 0 ? b.lower : Number.NEGATIVE_INFINITY, n: b.n };
  }
  const budget = p.budget.status(p.book.lastTaskType, now);
  return {
    phase,
    samples: p.rollout.samplesInPhase,
    minSamples: p.rollout.config.phases[phase].minSamples,
    effectiveSampleSize: scored.effectiveSampleSize,
    candidateArms: scored.candidateArms,
    trustRegion: spaceTrustRegion(o.space),
    quality,
    value: { ...scored.value, look },
    candidateMassOffSupport: scored.candidateMassOffSupport,
    budget: { exhausted: budget.exhausted, remaining: budget.remaining },
  };
}

