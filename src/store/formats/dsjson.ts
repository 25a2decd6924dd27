// Vowpal Wabbit's decision-service JSON (DSJSON), one line per decision that has an outcome, for
// `vw --cb_explore_adf --dsjson` and the tools that read the same logs. Each line carries exactly
// the fields VW's DSJSON reader uses:
//   _label_cost         the cost VW minimises: the negated reward (−reward); when an outcome has no
//                       reward recorded, the negated quality (−quality)
//   _label_probability  the logging policy's probability of the chosen action (our propensity)
//   _label_Action       the chosen action's id, 1-based (arm index + 1)
//   _labelIndex         the chosen action's position in `_multi`, 0-based (arm index)
//   Timestamp           decision time, ISO 8601 UTC;  Version  "1";  EventId  our request id
//   a                   action ids (1-based), the chosen one first, then the others in arm order
//   p                   probabilities aligned with `a`
//   c                   shared features in namespace "Context" (feature name -> value), and
//                       `_multi`: one object per arm, in arm order, with namespace "Arm": the arm id
//                       (a string feature) and its numeric parameters
// Decisions without an outcome have no label and are left out (the export reports how many).
// Neither `eligibleArms` nor `sessionKey` has a DSJSON field: an arm the budget excluded already
// shows as probability 0 in `p` (every arm stays in `_multi`, so action ids remain arm index + 1),
// and VW has no notion of a session. The JSONL and CSV exports carry both.
import { categoricalParameters, numericParameters } from '../../core/parameters';
import type { ArmParameters } from '../../core/types';
import type { LoggedDecision } from '../events';

/** What an arm looks like to VW: its id and parameters, by arm index. */
export type ArmCatalog = ReadonlyMap<number, { armId: string; params: ArmParameters }>;

type Feature = string | number;

/**
 * The parameters that tell arms apart (src/core/parameters.ts): the numeric ones, then the
 * categorical ones. Those every arm shares (seed, stop) say nothing about the action.
 */
const featureParameters = [...numericParameters, ...categoricalParameters];

function armFeatures(armIndex: number, catalog: ArmCatalog): Record<string, Feature> {
  const arm = catalog.get(armIndex);
  const features: Record<string, Feature> = { id: arm?.armId ?? `arm${armIndex}` };
  const p = arm?.params ?? {};
  for (const key of featureParameters) {
    const value = p[key];
    if (value !== undefined) features[key] = value;
  }
  return features;
}

/** The DSJSON object for one decision, or undefined when it has no outcome (no label). */
export function dsjsonObject(logged: LoggedDecision, catalog: ArmCatalog): Record<string, unknown> | undefined {
  const { decision: d, outcome, reward } = logged;
  if (outcome === undefined) return undefined;
  const arms = d.probabilities.length;
  const order = [d.armIndex, ...Array.from({ length: arms }, (_, i) => i).filter((i) => i !== d.armIndex)];
  const context: Record<string, number> = {};
  d.featureNames.forEach((name, i) => (context[name] = d.contextFeatures[i] ?? 0));
  const cost = -(reward?.reward ?? outcome.quality);
  return {
    _label_cost: cost === 0 ? 0 : cost,
    _label_probability: d.propensity,
    _label_Action: d.armIndex + 1,
    _labelIndex: d.armIndex,
    Timestamp: new Date(d.timestamp).toISOString(),
    Version: '1',
    EventId: d.requestId,
    a: order.map((i) => i + 1),
    c: {
      Context: context,
      _multi: Array.from({ length: arms }, (_, i) => ({ Arm: armFeatures(i, catalog) })),
    },
    p: order.map((i) => (i === d.armIndex ? d.propensity : (d.probabilities[i] ?? 0))),
  };
}

/** DSJSON lines (without newlines) for every decision with an outcome; counts those left out. */
export function* dsjsonLines(records: Iterable<LoggedDecision>, catalog: ArmCatalog, skipped: { unlabelled: number } = { unlabelled: 0 }): Generator<string> {
  for (const logged of records) {
    const object = dsjsonObject(logged, catalog);
    if (object === undefined) skipped.unlabelled++;
    else yield JSON.stringify(object);
  }
}
