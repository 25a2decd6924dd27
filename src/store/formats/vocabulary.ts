// The closed vocabularies of the core records, as runtime lists for validation. Those the core
// exports are re-exported; the others mirror unions of src/core/types.ts (the `satisfies` checks keep
// the two in step).
import type { FinishReason, Verdict } from '../../core/types';

export { parameterNames } from '../../core/parameters';
export { rolloutPhases } from '../../core/types';

export const finishReasons = ['stop', 'length', 'error', 'cancelled', 'unknown'] as const satisfies readonly FinishReason[];
export const verdicts = ['accept', 'reject', 'none'] as const satisfies readonly Verdict[];
