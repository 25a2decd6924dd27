/**
 * Live updates for the dashboard: each time the log's appends become durable the store says so
 * (`onCommitted`, several times a second under load); the dashboard hears of it at most once per
 * interval, after the last change of the interval (a trailing throttle), with the log's decision
 * count, and asks again for what it shows.
 */
import type { DashboardChangedEvent } from '../shared/dashboardProtocol';

/** What the feed watches: the store of the serving process. */
export interface ChangeSource {
  /** `decisions`: decisions durably stored in total (the store's `CommitProgress`). */
  onCommitted(listener: (progress: { decisions: number }) => void): () => void;
}

/** Sends `changed` events to `emit`, at most one per `minIntervalMs` (default 1 s); `dispose` stops. */
export function watchDashboardChanges(source: ChangeSource, emit: (event: DashboardChangedEvent) => void, options: { minIntervalMs?: number; now?: () => number } = {}): { dispose(): void } {
  const interval = options.minIntervalMs ?? 1000;
  const now = options.now ?? Date.now;
  let last = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  let decisions = 0;
  const fire = (): void => {
    timer = undefined;
    if (disposed) return;
    last = now();
    try {
      emit({ type: 'event', name: 'changed', at: last, decisions });
    } catch {
      // A view that went away or a store that closed: the next change tries again.
    }
  };
  const stop = source.onCommitted((progress) => {
    decisions = progress.decisions;
    if (disposed || timer !== undefined) return;
    timer = setTimeout(fire, Math.max(0, last + interval - now()));
  });
  return {
    dispose() {
      disposed = true;
      stop();
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
