/**
 * The core's event port written to a store: each event is mapped once (storeRecords.ts) and appended.
 * Producers that never yield (the simulator) append through the store's synchronous writer.
 */
import type { OptimizerEvent, OptimizerEvents } from '../core/events';
import type { StoreEvent } from '../store/events';
import { toStoreEvent } from './storeRecords';

/** What the sink appends to: a Store, or the synchronous writer of a producer that never yields. */
export interface StoreAppender {
  append(event: StoreEvent): unknown;
}

export class StoreEventSink implements OptimizerEvents {
  constructor(private readonly store: StoreAppender) {}

  emit(event: OptimizerEvent): void {
    this.store.append(toStoreEvent(event));
  }
}
