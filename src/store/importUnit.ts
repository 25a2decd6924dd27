// Units and imports (ARCHITECTURE.md §"Store"). A unit is a `unitBegin` event, its events (each
// journal line marked with the begin's sequence number) and a `unitCommit`; replay keeps a unit's
// events only once its commit is read, so after a crash the store holds all of a unit or none of
// it. An import is one unit: what a JSONL export holds that the store lacks (importPlan.ts), so
// that running an import again finishes it.
import type { LoggedDecision, StoreEvent } from './events';
import type { ArmCatalog } from './formats/dsjson';
import { parseJsonl } from './formats/jsonl';
import { planImport } from './importPlan';
import { checkDecision, checkOutcome } from './records';
import type { WritePath } from './writePath';

/** What `importJsonl` did. */
export interface ImportReport {
  /** Decisions added (with their outcomes). */
  imported: number;
  /** Decisions the store already held exactly as the file has them (an import run again). */
  alreadyStored: number;
  /** Outcomes added to decisions already stored without one. */
  outcomesAdded: number;
}

/**
 * Appends `events` as one unit of `kind`, each checked first: one refused (malformed, or a request
 * id the store or the unit already has) refuses the whole unit, with nothing journaled.
 * `now` stamps the begin and commit events.
 */
export function appendUnit(writes: WritePath, kind: string, events: readonly StoreEvent[], now: () => number): void {
  const decisions = new Set<string>();
  const outcomes = new Set<string>();
  for (const event of events) {
    if (event.type === 'decision') {
      checkDecision(event.record);
      writes.refuseDuplicate('decision', event.record.requestId);
      if (decisions.has(event.record.requestId)) throw new Error(`the unit holds two decisions for request id '${event.record.requestId}'`);
      decisions.add(event.record.requestId);
    } else if (event.type === 'outcome') {
      checkOutcome(event.record.outcome);
      writes.refuseDuplicate('outcome', event.record.outcome.requestId);
      if (outcomes.has(event.record.outcome.requestId)) throw new Error(`the unit holds two outcomes for request id '${event.record.outcome.requestId}'`);
      outcomes.add(event.record.outcome.requestId);
    } else if (event.type === 'unitBegin' || event.type === 'unitCommit') {
      throw new Error('units do not nest');
    }
  }
  const begin = writes.append({ type: 'unitBegin', record: { timestamp: now(), kind, events: events.length } }, undefined);
  for (const event of events) writes.append(event, begin);
  writes.append({ type: 'unitCommit', record: { timestamp: now() } }, begin);
}

/** The store as an import sees it. */
export interface ImportTarget {
  armCatalog(): ArmCatalog;
  loggedByRequestId(requestId: string): LoggedDecision | undefined;
  appendUnit(kind: string, events: readonly StoreEvent[]): void;
  flush(): Promise<number>;
}

/**
 * Imports a JSONL export into `store`: validates every line first (an ImportError naming each bad
 * line and field, with nothing imported), then appends what the store lacks as one unit and waits
 * until it is durable. Records the store already holds identically are skipped; a request id stored
 * with different content is an ImportError. `storePromptText`: whether the store keeps prompt text.
 */
export async function importJsonl(store: ImportTarget, text: string, storePromptText: boolean): Promise<ImportReport> {
  // Request ids already stored are not problems here: planImport compares their records.
  const records = parseJsonl(text, () => false, { arms: store.armCatalog() });
  const plan = planImport(records, (requestId) => store.loggedByRequestId(requestId), storePromptText);
  if (plan.events.length > 0) store.appendUnit('import', plan.events);
  await store.flush();
  return { imported: plan.imported, alreadyStored: plan.alreadyStored, outcomesAdded: plan.outcomesAdded };
}
