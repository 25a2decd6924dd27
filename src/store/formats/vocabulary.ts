// The closed vocabularies of the core records, as runtime lists for validation. Those the core
// exports are re-exported; the others mirror unions of src/core/types.ts (the `satisfies` checks keep
// the two in step).
import type { FinishReason, ParameterName, Verdict } from '../../core/types';

export { reasoningEfforts, rolloutPhases } from '../../core/types';

export const finishReasons = ['stop', 'length', 'error', 'cancelled', 'unknown'] as const satisfies readonly FinishReason[];
export const verdicts = ['accept', 'reject', 'none'] as const satisfies readonly Verdict[];
export const parameterNames = [
  'temperature',
  'topP',
  'topK',
  'maxTokens',
  'frequencyPenalty',
  'presencePenalty',
  'seed',
  'stop',
  'model',
  'reasoningEffort',
] as const satisfies readonly ParameterName[];
