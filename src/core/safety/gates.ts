/**
 * Quality gate validator (ARCHITECTURE.md §"Statistics", "Promotion gate"): a candidate moves to the next rollout phase
 * only when every check passes, and the verdict lists each check with the numbers it compared, so a
 * user can see why a candidate is or is not promoted.
 *
 * The gate takes evidence, not estimators: sample counts and the effective sample size of the phase,
 * the arms the candidate uses and a trust-region predicate, a lower confidence bound of quality, the
 * off-policy comparison of a frozen candidate with the baseline arm (the estimate and a lower bound
 * of their difference, on rows the candidate did not learn from), how much of the candidate's
 * probability fell where the log has no support, and the budget state. It stays independent of how
 * those numbers were computed (promotionEvidence.ts computes them for the guarded optimizer).
 *
 * Repeated looks. The gate looks at a phase again and again (daily) until it passes; a test at a
 * fixed level α at every look would pass a candidate with no advantage with probability far above α
 * (a third of daily looks passed in the simulator). The value check's level therefore depends on the
 * look: the first P looks of a phase (`plannedLooks`, default 8) are each tested at α/(2P), and look
 * P + m at (α/2)·P/((P + m)(P + m − 1)), which starts just below α/(2P) and decreases; the levels sum
 * to α (the tail telescopes to α/2), so by the union bound the probability that any look
 * of the phase passes a candidate that is not better than the baseline is at most α, however many
 * looks there are (alpha spending in its simplest form: Bonferroni over an unbounded sequence of
 * looks, which need not be independent). Half of α goes to the planned looks, evenly: they are when a
 * decision is expected, and the guarded optimizer spaces them by evidence (each waits for 1.5 times
 * the rows of the one before), so eight looks reach from a few days to about a month at one
 * developer's traffic; the other half keeps later looks possible.
 */
import { z } from 'zod';
import type { RolloutPhase } from '../types';

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
  /** The lower bound of (candidate − baseline arm) must be at least this (0: the candidate must be better). */
  valueMargin: z.number().default(0),
  /**
   * Probability, over all looks of a phase together, of passing the value check with a candidate
   * that is not better than the baseline arm (one-sided); look j spends α / (j(j + 1)).
   */
  falsePromotionRate: z.number().gt(0).max(0.2).default(0.05),
  /** Looks that share half of the false-promotion rate evenly (see the module comment). */
  plannedLooks: z.number().int().min(1).default(8),
  /**
   * Largest acceptable share of the candidate's probability on arms the logging policy could not
   * serve (its value there comes from the reward model alone, not from the log).
   */
  maxCandidateMassOffSupport: z.number().min(0).max(1).default(0.05),
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

/** An estimate and its lower confidence bound. */
export interface LowerBound {
  estimate: number;
  lower: number;
}

/**
 * The off-policy comparison the value check decides on: a candidate frozen at a split point, scored
 * on the rows logged after it (rows it did not learn from) against the baseline arm on the same rows.
 */
export interface ValueEvidence {
  candidate: LowerBound;
  baseline: LowerBound;
  /** Candidate − baseline arm; `lower` is at the one-sided level `level`. */
  difference: LowerBound;
  /** The look (1, 2, … within the phase) and the one-sided level spent on it. */
  look: number;
  level: number;
  /** Rows the frozen candidate learned from in this phase, and rows it was scored on. */
  trainedOn: number;
  evaluatedOn: number;
  /** Sessions among the scored rows (the bootstrap resamples whole sessions). */
  sessions: number;
}

/** Everything the gate looks at for one promotion decision. */
export interface GateEvidence {
  phase: RolloutPhase;
  /** Samples in the phase: rows with an outcome in shadow, learned-served outcomes after (the rollout manager's count). */
  samples: number;
  minSamples: number;
  /** Effective sample size (Σw)²/Σw² of the candidate's importance weights on the scored rows. */
  effectiveSampleSize: number;
  /** Arms the candidate puts probability on (above a negligible floor). */
  candidateArms: readonly number[];
  trustRegion: TrustRegionMembership;
  /** Quality of the candidate: a lower confidence bound (online or off-policy) and its sample size. */
  quality: { mean: number; lower: number; n: number };
  value: ValueEvidence;
  /** Mean over scored rows of the candidate's probability on arms the logger could not serve. */
  candidateMassOffSupport: number;
  budget: { exhausted: boolean; remaining: number };
  conservative?: ConservativeEvidence;
}

export const gateCheckNames = ['samples', 'effectiveSampleSize', 'trustRegion', 'support', 'qualityFloor', 'value', 'budget', 'conservative'] as const;
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

/**
 * The one-sided level of look j (1, 2, …) of a phase: α/(2P) for the first P planned looks, then
 * (α/2)·P/(j(j − 1)) for j > P; the levels of all looks sum to α.
 */
export function lookLevel(falsePromotionRate: number, look: number, plannedLooks = 8): number {
  if (!Number.isInteger(look) || look < 1) throw new RangeError(`look must be a positive integer, got ${look}`);
  if (look <= plannedLooks) return falsePromotionRate / (2 * plannedLooks);
  return ((falsePromotionRate / 2) * plannedLooks) / (look * (look - 1));
}

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

  const offSupport = evidence.candidateMassOffSupport;
  checks.push({
    name: 'support',
    passed: offSupport <= cfg.maxCandidateMassOffSupport,
    value: offSupport,
    threshold: cfg.maxCandidateMassOffSupport,
    detail: `${f(100 * offSupport, 1)}% of the candidate's probability on arms the log could not serve, at most ${f(100 * cfg.maxCandidateMassOffSupport, 1)}% allowed`,
  });

  checks.push({
    name: 'qualityFloor',
    passed: evidence.quality.lower >= cfg.qualityFloor,
    value: evidence.quality.lower,
    threshold: cfg.qualityFloor,
    detail: `quality lower bound ${f(evidence.quality.lower)} (mean ${f(evidence.quality.mean)}, n ${evidence.quality.n}) vs floor ${f(cfg.qualityFloor)}`,
  });

  const v = evidence.value;
  checks.push({
    name: 'value',
    // Strictly above the margin: a lower bound of exactly 0 is no evidence of an advantage.
    passed: v.difference.lower > cfg.valueMargin,
    value: v.difference.lower,
    threshold: cfg.valueMargin,
    detail:
      `candidate − baseline ${f(v.difference.estimate)} (lower bound ${f(v.difference.lower)} at level ${v.level.toPrecision(2)}, look ${v.look}) ` +
      `must exceed ${f(cfg.valueMargin)}; candidate ${f(v.candidate.estimate)}, baseline arm ${f(v.baseline.estimate)}, ` +
      `scored on ${v.evaluatedOn} rows in ${v.sessions} sessions it did not learn from (trained on ${v.trainedOn})`,
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
