/**
 * Quality gate validator (DESIGN §3, "Promotion gate"): a candidate moves to the next rollout phase
 * only when every check passes, and the verdict lists each check with the numbers it compared, so a
 * user can see why a candidate is or is not promoted.
 *
 * The gate takes evidence, not estimators: sample counts and the effective sample size of the phase,
 * the arms the candidate uses and a trust-region predicate, a lower confidence bound of quality, the
 * off-policy estimate of the candidate (estimate and interval, from whichever OPE estimator the
 * caller trusts, DR by default) and the baseline's estimate, and the budget state. It stays
 * independent of how those numbers were computed.
 */
import { z } from 'zod';
import type { RolloutPhase } from './types';

/**
 * Which arms lie inside the trust region around the baseline. `spaceTrustRegion` adapts the
 * parameter space's (space.ts); `boxTrustRegion` builds one from per-parameter boxes.
 */
export interface TrustRegionMembership {
  contains(armIndex: number): boolean;
}

/** Membership from a parameter space's precomputed `trustRegionArms`. */
export function spaceTrustRegion(space: { trustRegionArms: readonly number[] }): TrustRegionMembership {
  const inside = new Set(space.trustRegionArms);
  return { contains: (armIndex) => inside.has(armIndex) };
}

/**
 * A trust region given by per-parameter boxes: an arm is inside when each boxed parameter it sets
 * lies within [min, max]. `arms[i]` are the parameters of arm i.
 */
export function boxTrustRegion(
  arms: readonly Readonly<Record<string, unknown>>[],
  boxes: Readonly<Record<string, readonly [number, number]>>,
): TrustRegionMembership {
  const inside = arms.map((params) =>
    Object.entries(boxes).every(([name, [min, max]]) => {
      const v = params[name];
      return typeof v !== 'number' || (v >= min && v <= max);
    }),
  );
  return { contains: (armIndex) => inside[armIndex] === true };
}

/** Gate settings. */
export const gateConfigSchema = z.object({
  /** Lowest acceptable quality (on [0, 1]) for the candidate's lower confidence bound. */
  qualityFloor: z.number().min(0).max(1).default(0.5),
  /** The candidate's value lower bound must beat the baseline's estimate by this much. */
  valueMargin: z.number().default(0),
  /** Minimum effective sample size (Σw)²/Σw² of the importance weights in the phase. */
  minEffectiveSampleSize: z.number().min(0).default(20),
  /** Kazerouni et al. conservative exploration as an extra gate check. */
  conservative: z
    .object({
      enabled: z.boolean().default(false),
      /** Share of the baseline's cumulative reward the candidate may give up. */
      alpha: z.number().gt(0).lt(1).default(0.1),
    })
    .prefault({}),
});
export type GateConfig = z.infer<typeof gateConfigSchema>;
export type GateConfigInput = z.input<typeof gateConfigSchema>;

/** An estimate with a confidence interval. */
export interface IntervalEstimate {
  estimate: number;
  lower: number;
  upper: number;
}

/** Evidence for the conservative-exploration check (see `conservativeExplorationCheck`). */
export interface ConservativeEvidence {
  /** Requests served by the candidate so far. */
  learnedRounds: number;
  /** All requests so far. */
  totalRounds: number;
  /** Upper confidence bound of μ_baseline − μ_candidate (expected reward lost per candidate request). */
  differenceUpper: number;
  /** Lower confidence bound of the baseline's expected reward μ_baseline (rewards ≥ 0). */
  baselineLower: number;
}

/** Everything the gate looks at for one promotion decision. */
export interface GateEvidence {
  phase: RolloutPhase;
  /** Samples in the phase (as the rollout manager counts them) and the phase's minimum. */
  samples: number;
  minSamples: number;
  /** Effective sample size of the OPE weights in the phase. */
  effectiveSampleSize: number;
  /** Arms the candidate puts probability on (above a negligible floor). */
  candidateArms: readonly number[];
  trustRegion: TrustRegionMembership;
  /** Quality of the candidate: a lower confidence bound (online or off-policy) and its sample size. */
  quality: { mean: number; lower: number; n: number };
  /** Off-policy value of the candidate (e.g. DR with a bootstrap CI) and the baseline's estimate. */
  candidateValue: IntervalEstimate;
  baselineValue: number;
  budget: { exhausted: boolean; remaining: number };
  conservative?: ConservativeEvidence;
}

export const gateCheckNames = ['samples', 'effectiveSampleSize', 'trustRegion', 'qualityFloor', 'value', 'budget', 'conservative'] as const;
export type GateCheckName = (typeof gateCheckNames)[number];

/** One check: passed or not, the number compared and its threshold, in words. */
export interface GateCheck {
  name: GateCheckName;
  passed: boolean;
  value: number;
  threshold: number;
  detail: string;
}

/** The gate's verdict: passed only when every check passed. */
export interface GateVerdict {
  phase: RolloutPhase;
  passed: boolean;
  checks: GateCheck[];
  /** The failed checks' details, or "all checks passed". */
  summary: string;
}

/**
 * Conservative exploration (Kazerouni, Ghavamzadeh, Abbasi-Yadkori & Van Roy, "Conservative
 * Contextual Linear Bandits", NeurIPS 2017): the cumulative reward must stay above (1 − α) times what
 * the baseline alone would have earned, Σ_t r_t ≥ (1 − α) Σ_t r_{b_t}. The paper's CLUCB plays the
 * learner's action only when that constraint holds with the learner's rewards replaced by a lower
 * confidence bound, including the round about to be played. In expectation, with n_L candidate
 * rounds out of t, the constraint reads n_L μ_L + (t − n_L) μ_B ≥ (1 − α) t μ_B, i.e.
 * n_L (μ_B − μ_L) ≤ α t μ_B. Our baseline's reward is itself estimated, so we use the upper bound
 * of the loss μ_B − μ_L and the lower bound of μ_B, and count the next round:
 *   (n_L + 1) · UCB(μ_B − μ_L) ≤ α · (t + 1) · LCB(μ_B).
 * O(1): the optimizer may call it before every candidate-served request.
 */
export function conservativeExplorationCheck(e: ConservativeEvidence, alpha: number): { allowed: boolean; loss: number; allowance: number } {
  const loss = (e.learnedRounds + 1) * e.differenceUpper;
  const allowance = alpha * (e.totalRounds + 1) * Math.max(0, e.baselineLower);
  return { allowed: loss <= allowance, loss, allowance };
}

const f = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** Runs every check on the evidence. */
export function evaluateGate(evidence: GateEvidence, config: GateConfigInput = {}): GateVerdict {
  const cfg = gateConfigSchema.parse(config);
  const checks: GateCheck[] = [];

  checks.push({
    name: 'samples',
    passed: evidence.samples >= evidence.minSamples,
    value: evidence.samples,
    threshold: evidence.minSamples,
    detail: `${evidence.samples} samples in ${evidence.phase}, ${evidence.minSamples} required`,
  });

  checks.push({
    name: 'effectiveSampleSize',
    passed: evidence.effectiveSampleSize >= cfg.minEffectiveSampleSize,
    value: evidence.effectiveSampleSize,
    threshold: cfg.minEffectiveSampleSize,
    detail: `effective sample size ${f(evidence.effectiveSampleSize, 1)}, ${cfg.minEffectiveSampleSize} required`,
  });

  const outside = evidence.candidateArms.filter((a) => !evidence.trustRegion.contains(a));
  checks.push({
    name: 'trustRegion',
    passed: outside.length === 0,
    value: outside.length,
    threshold: 0,
    detail:
      outside.length === 0
        ? `all ${evidence.candidateArms.length} candidate arms inside the trust region`
        : `arms ${outside.join(', ')} outside the trust region`,
  });

  checks.push({
    name: 'qualityFloor',
    passed: evidence.quality.lower >= cfg.qualityFloor,
    value: evidence.quality.lower,
    threshold: cfg.qualityFloor,
    detail: `quality lower bound ${f(evidence.quality.lower)} (mean ${f(evidence.quality.mean)}, n ${evidence.quality.n}) vs floor ${f(cfg.qualityFloor)}`,
  });

  const valueThreshold = evidence.baselineValue + cfg.valueMargin;
  checks.push({
    name: 'value',
    passed: evidence.candidateValue.lower >= valueThreshold,
    value: evidence.candidateValue.lower,
    threshold: valueThreshold,
    detail:
      `candidate value lower bound ${f(evidence.candidateValue.lower)} (estimate ${f(evidence.candidateValue.estimate)}) ` +
      `vs baseline ${f(evidence.baselineValue)} + margin ${f(cfg.valueMargin)}`,
  });

  checks.push({
    name: 'budget',
    passed: !evidence.budget.exhausted,
    value: evidence.budget.remaining,
    threshold: 0,
    detail: evidence.budget.exhausted ? 'token budget exhausted' : `${evidence.budget.remaining} tokens left in the budget`,
  });

  if (cfg.conservative.enabled) {
    const e = evidence.conservative;
    if (!e) {
      checks.push({ name: 'conservative', passed: false, value: Number.NaN, threshold: 0, detail: 'conservative exploration is on but no evidence was given' });
    } else {
      const c = conservativeExplorationCheck(e, cfg.conservative.alpha);
      checks.push({
        name: 'conservative',
        passed: c.allowed,
        value: c.loss,
        threshold: c.allowance,
        detail: `reward at risk ${f(c.loss)} vs allowance α·(t+1)·LCB(μ_B) = ${f(c.allowance)} (α ${cfg.conservative.alpha})`,
      });
    }
  }

  const failed = checks.filter((c) => !c.passed);
  return {
    phase: evidence.phase,
    passed: failed.length === 0,
    checks,
    summary: failed.length === 0 ? 'all checks passed' : failed.map((c) => c.detail).join('; '),
  };
}
