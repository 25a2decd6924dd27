// What an import adds to a store that may already hold part of it. An import is one journaled
// unit (all of it or none of it survives a crash), and running the same import again finishes
// what is missing: a record already stored exactly as the file has it is skipped, an outcome the
// store lacks for a stored decision is added, and a record stored differently under the same
// request id is a conflict that refuses the whole import (a stored record is never replaced).
import type { LoggedDecision, StoreEvent } from './events';
import { ImportError } from './formats/jsonl';
import type { ImportIssue } from './formats/jsonl';

/** The events an import appends, and how its records compare with the store. */
export interface ImportPlan {
  events: StoreEvent[];
  /** Decisions the store did not hold. */
  imported: number;
  /** Decisions the store already held exactly as the file has them. */
  alreadyStored: number;
  /** Outcomes added to decisions the store already held without one. */
  outcomesAdded: number;
}

/** JSON with object keys sorted: equal for equal records whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * Plans the import of `records` (line `firstLine + i` of the file holds record i). `stored` looks a
 * request id up in the store; `keepsPromptText` says whether the store keeps prompt text (if not,
 * a record's prompt text is not part of the comparison: the store never had it). Throws an
 * ImportError naming each conflicting line; nothing is appended then.
 */
export function planImport(
  records: readonly LoggedDecision[],
  stored: (requestId: string) => LoggedDecision | undefined,
  keepsPromptText: boolean,
  firstLine = 2,
): ImportPlan {
  const plan: ImportPlan = { events: [], imported: 0, alreadyStored: 0, outcomesAdded: 0 };
  const issues: ImportIssue[] = [];
  records.forEach((record, i) => {
    const line = firstLine + i;
    const id = record.decision.requestId;
    const existing = stored(id);
    if (existing === undefined) {
      plan.events.push({ type: 'decision', record: record.decision });
      if (record.outcome !== undefined) plan.events.push({ type: 'outcome', record: record.reward === undefined ? { outcome: record.outcome } : { outcome: record.outcome, reward: record.reward } });
      plan.imported++;
      return;
    }
    const { promptText: _prompt, ...withoutPrompt } = record.decision;
    const decision = keepsPromptText ? record.decision : withoutPrompt;
    if (canonical(decision) !== canonical(existing.decision)) {
      issues.push({ line, field: 'decision', message: `request id '${id}' is already in the store with a different decision (a stored decision is never replaced)` });
      return;
    }
    plan.alreadyStored++;
    if (record.outcome === undefined) return;
    if (existing.outcome === undefined) {
      plan.events.push({ type: 'outcome', record: record.reward === undefined ? { outcome: record.outcome } : { outcome: record.outcome, reward: record.reward } });
      plan.outcomesAdded++;
    } else if (canonical({ outcome: record.outcome, reward: record.reward }) !== canonical({ outcome: existing.outcome, reward: existing.reward })) {
      issues.push({ line, field: 'outcome', message: `request id '${id}' already has a different outcome in the store (a stored outcome is never replaced)` });
    }
  });
  if (issues.length > 0) throw new ImportError(issues);
  return plan;
}
