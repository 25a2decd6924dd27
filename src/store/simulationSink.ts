// The durable store for producers that run in one synchronous loop (the simulator, `paramloop
// simulate --db DIR`): such a loop never yields, so the store's timed batches could not run; instead
// every `syncEvery` outcomes the journal is written and synced in place, and `onCommitted` listeners
// hear of it at once.
import type { Decision, Outcome, RewardReport } from '../core/types';
import type { CommitProgress, StoreEvent } from './events';
import { openStore } from './store';
import type { RecoveryNotice, Store, StoreOptions } from './store';

export interface SimulationSinkOptions extends Omit<StoreOptions, 'readOnly'> {
  /** Sync the journal after this many outcomes (default 1000). */
  syncEvery?: number;
  onCommitted?: (progress: CommitProgress) => void;
}

/** Appends through a Store for a producer that never yields; `close()` syncs the rest and snapshots. */
export class StoreDecisionSink {
  private sinceSync = 0;

  constructor(
    readonly store: Store,
    private readonly syncEvery: number,
  ) {}

  saveDecision(decision: Decision): void {
    this.append({ type: 'decision', record: decision });
  }

  saveOutcome(outcome: Outcome, report: RewardReport): void {
    this.append({ type: 'outcome', record: { outcome, reward: report } });
  }

  /** Appends any event; the journal is synced every `syncEvery` outcomes. */
  append(event: StoreEvent): void {
    this.store.append(event);
    if (event.type === 'outcome' && ++this.sinceSync >= this.syncEvery) {
      this.sinceSync = 0;
      this.store.flushSync();
    }
  }

  get notices(): readonly RecoveryNotice[] {
    return this.store.notices;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** Opens the store in `dir` and wraps it for a synchronous producer. */
export async function openSimulationSink(dir: string, options: SimulationSinkOptions): Promise<StoreDecisionSink> {
  const { syncEvery, onCommitted, ...storeOptions } = options;
  const store = await openStore(dir, storeOptions);
  if (onCommitted !== undefined) store.onCommitted(onCommitted);
  return new StoreDecisionSink(store, Math.max(1, Math.floor(syncEvery ?? 1000)));
}
