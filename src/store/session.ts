// Opening the store for an editor session: what the extension shows the user about it, in words,
// without importing `vscode` (the extension turns these messages into notifications and log lines).
// A store that cannot be opened is not fatal: the caller keeps serving baseline parameters and
// records nothing until the problem is fixed; nothing on disk is changed by a refused open.
//
// Bundled on its own as dist/decisionLog.js: the extension loads it after activation.
import { StoreLockedError } from './lock';
import type { RetentionSettings } from './retention';
import { StoreVersionError } from './schema';
import { openStore } from './store';
import type { Store, StoreOptions } from './store';

export { defaultWasmDir } from './sqlite';

/** The store settings a user can change. */
export interface StoreUserSettings {
  retention: RetentionSettings;
  includePromptText: boolean;
}

/** Something for the user to read: notifications for warnings and errors, the log for all. */
export interface UserMessage {
  level: 'info' | 'warning' | 'error';
  text: string;
  /**
   * False for what is expected in normal use and needs no action (another window holds the log):
   * logged and shown in the sidebar, but no notification.
   */
  notify?: false;
}

export interface StoreSession {
  /** Undefined when the store could not be opened (see `messages`). */
  store: Store | undefined;
  messages: UserMessage[];
}

const degraded = 'Paramloop keeps serving the baseline parameters and records no decisions until this is resolved.';

/** Retention settings with neither bound are no retention at all (no pass is journaled). */
export function retentionOrNone(retention: RetentionSettings): RetentionSettings | undefined {
  return retention.keepDays === undefined && retention.keepDecisions === undefined ? undefined : retention;
}

/** Opens the store in `dir` with the user's settings; never throws. */
export async function openStoreSession(
  dir: string,
  settings: StoreUserSettings,
  options: Pick<StoreOptions, 'wasmDir' | 'onError' | 'now' | 'compactionWorker'>,
): Promise<StoreSession> {
  try {
    const store = await openStore(dir, { ...options, retention: retentionOrNone(settings.retention), storePromptText: settings.includePromptText });
    const messages = store.notices.map((notice): UserMessage => ({ level: notice.level, text: `Decision log: ${notice.message}` }));
    if (store.staleLock !== undefined) {
      messages.push({ level: 'info', text: `Decision log: the previous session (process ${store.staleLock.pid}) ended without closing it; its acknowledged events were replayed from the journal.` });
    }
    return { store, messages };
  } catch (error) {
    if (error instanceof StoreVersionError) return { store: undefined, messages: [{ level: 'error', text: `Decision log: ${error.message} ${degraded}` }] };
    if (error instanceof StoreLockedError) return { store: undefined, messages: [{ level: 'warning', text: `Decision log: ${error.message} ${degraded}`, notify: false }] };
    const reason = error instanceof Error ? error.message : String(error);
    return { store: undefined, messages: [{ level: 'error', text: `Decision log: the store in ${dir} could not be opened (${reason}). Nothing in it was deleted. ${degraded}` }] };
  }
}
