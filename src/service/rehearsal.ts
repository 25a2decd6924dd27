/**
 * A client's rehearsal of a takeover, run once in the background after it connects: the store is
 * opened read-only (no lock taken, nothing written), a learner is restored from its newest
 * checkpoint and a few hundred of the events after it, decides one request (logged nowhere), and
 * everything is let go.
 *
 * Why: a process that has never opened a store spends most of its first open compiling (the
 * database engine's WebAssembly and the JavaScript of replay and restore). Measured on a log of
 * 321 decisions: a first open and restore took 1.1 s + 0.5 s, a second 0.2 s + 0.1 s. A client
 * that rehearsed takes over in the time of the second. The restore is applied in slices of a few
 * milliseconds, so the rehearsal never holds the client's event loop for long.
 */
import { GuardedOptimizer } from '../core/guardedOptimizer';
import type { GuardedOptions } from '../core/guardedOptions';
import { taskTypes } from '../core/types';
import { openStore } from '../store/store';
import type { OpenServiceOptions, ServiceSettings } from './optimizerService';
import { toOptimizerEvent } from './restore';
import { checkpointOf, checkpointSlots } from './storeRecords';

/** Events applied after the checkpoint: enough for the hot paths to be compiled. */
const rehearsedEvents = 300;

const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Rehearses opening the store in `dir` and restoring its learner; never throws. */
export async function rehearseTakeover(dir: string, settings: ServiceSettings, open: OpenServiceOptions): Promise<void> {
  let store;
  try {
    store = await openStore(dir, { ...open.store, readOnly: true, refuseLoss: false, compactionWorker: false });
  } catch {
    // The folder changed under the read (a snapshot replaced, a segment deleted): nothing to rehearse.
    return;
  }
  try {
    // Newest first: the checkpoint a takeover's restore begins from.
    const found = store.checkpoints().find((c) => c.slot === checkpointSlots.a || c.slot === checkpointSlots.b);
    const state = found === undefined ? undefined : checkpointOf(found.payload);
    if (found === undefined || state === undefined) return;
    const options: GuardedOptions = {
      ...settings.guarded,
      space: settings.space,
      policyKind: settings.policyKind,
      policySettings: settings.policySettings,
      rewardSettings: settings.rewardSettings,
      clock: open.clock,
      keepAuditEntries: false,
      seed: state.seed,
    };
    const guarded = new GuardedOptimizer(options, state);
    let sliceStart = performance.now();
    for (const stored of store.eventsAfter(found.seq).slice(0, rehearsedEvents)) {
      const event = toOptimizerEvent(stored);
      if (event !== undefined) guarded.apply(event);
      if (performance.now() - sliceStart > 4) {
        await yieldTurn();
        sliceStart = performance.now();
      }
    }
    guarded.recommend(
      { taskType: taskTypes[0], languageId: 'typescript', promptTokens: 1000, selectionLines: 0, fileLines: 200, workspaceKind: 'folder', providerFamily: 'openai-compatible', hour: 12 },
      'rehearsal',
    );
  } catch {
    // A rehearsal that fails costs the takeover only its speed.
  } finally {
    await store.close().catch(() => undefined);
  }
}
