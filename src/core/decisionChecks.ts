/**
 * The invariants of a logged choice, checked wherever logged records are read (the JSONL import
 * format, the inputs of off-policy evaluation, rows read back from a store): a record that breaks
 * one would silently bias every estimate made from it, so it is refused, naming the field.
 *
 * - The logging distribution: every entry a probability, summing to 1.
 * - The served arm: inside the distribution, drawn with positive probability, and its logged
 *   propensity equal to the distribution's entry for it.
 * - The eligibility mask, when logged: ascending arm indices, the served arm among them, no
 *   probability outside them.
 * - Rewards: finite and of a sane magnitude (sums of ±1e308 overflow to ∞).
 *
 * "Equal" and "sums to 1" allow {@link probabilityTolerance}: float rounding of a mixture passes,
 * a wrong record does not.
 */

/** Tolerance of |Σ p − 1| and |propensity − p[armIndex]|: far above float rounding, far below any real error. */
export const probabilityTolerance = 1e-6;

/**
 * Largest reward magnitude accepted for evaluation. Rewards are scalarised outcomes of order 1
 * (reward.ts); one beyond 1e12 is a unit or encoding mistake, and at 1e308 the estimators' sums
 * overflow to ∞ and every interval becomes undefined.
 */
export const maxAbsReward = 1e12;

/** One broken invariant: the field (relative to the record checked, dotted) and what is wrong. */
export interface RecordIssue {
  readonly field: string;
  readonly message: string;
}

/** What is wrong with a probability vector (each entry in [0, 1], Σ = 1), or undefined. */
export function checkDistribution(probabilities: ArrayLike<number>): string | undefined {
  if (probabilities.length === 0) return 'is empty';
  let sum = 0;
  for (let a = 0; a < probabilities.length; a++) {
    const p = probabilities[a] ?? Number.NaN;
    if (!(p >= 0 && p <= 1)) return `entry ${a} is ${p}, not a probability in [0, 1]`;
    sum += p;
  }
  if (Math.abs(sum - 1) > probabilityTolerance) return `sums to ${sum}, not 1 (tolerance ${probabilityTolerance})`;
  return undefined;
}

/** What is wrong with a reward (finite, |r| ≤ {@link maxAbsReward}), or undefined. */
export function checkReward(reward: number): string | undefined {
  if (!Number.isFinite(reward)) return `must be a finite number, got ${reward}`;
  if (Math.abs(reward) > maxAbsReward) return `is ${reward}; rewards beyond ±${maxAbsReward.toExponential()} are refused (a unit mistake, and sums of them overflow)`;
  return undefined;
}

/** A logged choice: the served arm, its propensity, the logging distribution and (when logged) the mask. */
export interface LoggedChoice {
  readonly armIndex: number;
  readonly propensity: number;
  readonly probabilities: ArrayLike<number>;
  readonly eligibleArms?: readonly number[];
}

/**
 * Checks a logged choice's invariants; returns every issue found (empty when it is sound). Field
 * names are those of a Decision ("propensity", "probabilities", "armIndex", "eligibleArms").
 */
export function checkLoggedChoice(choice: LoggedChoice): RecordIssue[] {
  const issues: RecordIssue[] = [];
  const { armIndex, propensity, probabilities, eligibleArms } = choice;
  const k = probabilities.length;
  const distribution = checkDistribution(probabilities);
  if (distribution !== undefined) issues.push({ field: 'probabilities', message: distribution });
  if (!(propensity > 0 && propensity <= 1)) {
    issues.push({ field: 'propensity', message: `must be in (0, 1]: the served arm was drawn with positive probability, got ${propensity}` });
  }
  if (!Number.isInteger(armIndex) || armIndex < 0 || armIndex >= k) {
    issues.push({ field: 'armIndex', message: `${armIndex} is outside the ${k} arms of probabilities (0..${k - 1})` });
  } else {
    const logged = probabilities[armIndex] ?? Number.NaN;
    if (!(Math.abs(propensity - logged) <= probabilityTolerance)) {
      issues.push({ field: 'propensity', message: `is ${propensity}, but probabilities[${armIndex}], the probability of arm ${armIndex}, is ${logged}` });
    }
  }
  if (eligibleArms !== undefined) {
    const mask = checkEligibleArms(eligibleArms, k);
    if (mask !== undefined) {
      issues.push({ field: 'eligibleArms', message: mask });
    } else {
      const allowed = new Set(eligibleArms);
      if (Number.isInteger(armIndex) && !allowed.has(armIndex)) issues.push({ field: 'eligibleArms', message: `does not include the served arm ${armIndex}` });
      for (let a = 0; a < k; a++) {
        const p = probabilities[a] ?? 0;
        if (!allowed.has(a) && p > probabilityTolerance) {
          issues.push({ field: 'probabilities', message: `entry ${a} is ${p}, but arm ${a} is not in eligibleArms` });
          break;
        }
      }
    }
  }
  return issues;
}

/** What is wrong with an eligibility mask given as arm indices (ascending, distinct, in 0..k−1, not empty), or undefined. */
export function checkEligibleArms(eligibleArms: readonly number[], k: number): string | undefined {
  if (eligibleArms.length === 0) return 'is empty: no arm was eligible';
  let previous = -1;
  for (const a of eligibleArms) {
    if (!Number.isInteger(a) || a < 0 || a >= k) return `holds ${a}, outside the ${k} arms (0..${k - 1})`;
    if (a <= previous) return `must be ascending arm indices without repeats (${previous} then ${a})`;
    previous = a;
  }
  return undefined;
}

/** An eligibility mask (1 = allowed) of `k` flags from arm indices; undefined (every arm) when absent. */
export function eligibilityMask(eligibleArms: readonly number[] | undefined, k: number): Uint8Array | undefined {
  if (eligibleArms === undefined) return undefined;
  const mask = new Uint8Array(k);
  for (const a of eligibleArms) if (a >= 0 && a < k) mask[a] = 1;
  return mask;
}
