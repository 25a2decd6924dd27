/**
 * Feedback held for an outcome still to come, merged into it; and whether an outcome sent again is
 * the one stored (the serving side of the protocol, serving.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import { qualityWithVerdict } from '../core/reward';
import type { Outcome } from '../core/types';
import type { Feedback } from './protocol';

/** The fields of feedback the outcome does not set itself. */
function withoutOwn(feedback: Feedback, outcome: Outcome): Feedback {
  return {
    ...(feedback.verdict !== undefined && outcome.verdict === undefined ? { verdict: feedback.verdict } : {}),
    ...(feedback.rating !== undefined && outcome.rating === undefined ? { rating: feedback.rating } : {}),
  };
}

/**
 * An outcome with the feedback held for it. An outcome without a verdict or rating of its own has
 * the quality of its structural checks: the feedback's verdict and rating then set its quality too.
 */
export function mergeFeedback(outcome: Outcome, held: Feedback): Outcome {
  const extra = withoutOwn(held, outcome);
  if (extra.verdict === undefined && extra.rating === undefined) return outcome;
  const judged = outcome.verdict === undefined && outcome.rating === undefined;
  const merged: Outcome = { ...outcome, ...extra };
  if (judged) merged.quality = qualityWithVerdict(outcome.quality, merged.verdict, merged.rating);
  return merged;
}

/** The stored outcome is this one (sent again), allowing for the feedback merged into it when stored. */
export function sameOutcome(stored: Outcome, sent: Outcome): boolean {
  const a = JSON.parse(JSON.stringify(stored)) as Outcome;
  const b = JSON.parse(JSON.stringify(sent)) as Outcome;
  if (b.verdict === undefined && b.rating === undefined && (a.verdict !== undefined || a.rating !== undefined)) a.quality = b.quality;
  if (b.verdict === undefined) delete a.verdict;
  if (b.rating === undefined) delete a.rating;
  return isDeepStrictEqual(a, b);
}
