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
import { importWorkspaceLog, workspaceLogState } from './workspaceImport';
import type { WorkspaceImportOptions, WorkspaceImportResult } from './workspaceImport';

export { defaultWasmDir } from './sqlite';
export type { WorkspaceImportResult } from './workspaceImport';

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
   * Whether to show a notification. Default: for warnings and errors, not for information. False
   * for what is expected in normal use and needs no action (another window holds the log): logged
   * and shown in the sidebar only. True for information the user should see once (an import).
   */
  notify?: boolean;
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

/** What importing a workspace's earlier log did, and what the user is told about it. */
export interface WorkspaceImportSession {
  result: WorkspaceImportResult;
  messages: UserMessage[];
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The user's words for an import result (`into`: the user's log). */
export function workspaceImportMessages(result: WorkspaceImportResult, into: string): UserMessage[] {
  switch (result.state) {
    case 'none':
    case 'importedBefore':
      return [];
    case 'failed':
      return [
        {
          level: 'error',
          text: `Decision log: this workspace's earlier decision log in ${result.from} could not be imported into your log in ${into}: ${result.reason}. Nothing of it was imported and the folder was left as it was. Paramloop keeps working with your log and tries the import again at the next start.`,
        },
      ];
    case 'imported': {
      const { imported, alreadyStored, outcomesAdded } = result.report;
      const skipped = alreadyStored > 0 ? ` (${plural(alreadyStored, 'decision was', 'decisions were')} already in it and skipped${outcomesAdded > 0 ? `, ${plural(outcomesAdded, 'outcome')} added to them` : ''})` : '';
      const summarised = result.summarisedDecisions > 0 ? ` ${plural(result.summarisedDecisions, 'older decision')} that it held only as daily summaries stay there.` : '';
      const text =
        `Decision log: imported ${plural(imported, 'decision')} from this workspace's earlier log (${result.from}) into your log (${into})${skipped}.${summarised} ` +
        'The old folder is kept, read-only: Paramloop no longer writes to it.';
      // An empty old log (the extension kept a log before it logged decisions) is not worth a notification.
      const messages: UserMessage[] = [{ level: 'info', text, notify: imported + alreadyStored + result.summarisedDecisions > 0 }];
      if (result.markerProblem !== undefined) {
        messages.push({ level: 'warning', text: `Decision log: ${result.markerProblem}; the import is checked again at the next start (nothing is imported twice).` });
      }
      return messages;
    }
  }
}

/**
 * Imports this workspace's earlier log in `from` into the user's `store` once (see
 * workspaceImport.ts); never throws.
 */
export async function importWorkspaceLogSession(store: Store, from: string, options: WorkspaceImportOptions): Promise<WorkspaceImportSession> {
  const result = await importWorkspaceLog(store, from, options);
  return { result, messages: workspaceImportMessages(result, store.dir) };
}

/**
 * Without the user's log (another window holds it), this workspace's earlier log cannot be imported
 * yet: a line for the log when there is one waiting; never throws.
 */
export async function waitingWorkspaceLogMessages(from: string): Promise<UserMessage[]> {
  const state = await workspaceLogState(from).catch(() => 'none' as const);
  if (state !== 'pending') return [];
  return [{ level: 'info', text: `Decision log: this workspace's earlier decision log in ${from} will be imported into your log when this window opens it.` }];
}
