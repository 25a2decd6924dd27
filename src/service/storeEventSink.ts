/**
 * The core's event port written to a store: each event is mapped once (storeRecords.ts) and appended.
 * Producers that never yield (the simulator) append through the store's synchronous writer.
 */
import type { OptimizerEvent, OptimizerEvents } from '../core/events';
import type { StoreEvent } from '../store/events';
import type { StoredCheckpoint } from '../store/eventReads';
import { checkpointSlots, toStoreEvent } from './storeRecords';

/** What the sink appends to: a Store, or the synchronous writer of a producer that never yields. */
export interface StoreAppender {
  append(event: StoreEvent): unknown;
}

export class StoreEventSink implements OptimizerEvents {
  /** The slot the next checkpoint goes to. */
  private nextSlot: string;

  /** `existing`: the checkpoints already stored (newest first), so that slots are filled in turn. */
  constructor(
    private readonly store: StoreAppender,
    existing: readonly Pick<StoredCheckpoint, 'slot'>[] = [],
  ) {
    const slots = existing.map((c) => c.slot);
    if (!slots.includes(checkpointSlots.genesis)) this.nextSlot = checkpointSlots.genesis;
    else this.nextSlot = slots.find((s) => s === checkpointSlots.a || s === checkpointSlots.b) === checkpointSlots.a ? checkpointSlots.b : checkpointSlots.a;
  }

  emit(event: OptimizerEvent): void {
    if (event.type !== 'checkpoint') {
      this.store.append(toStoreEvent(event));
      return;
    }
    this.store.append(toStoreEvent(event, this.nextSlot));
    this.nextSlot = this.nextSlot === checkpointSlots.a ? checkpointSlots.b : checkpointSlots.a;
  }
}
