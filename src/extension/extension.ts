import * as vscode from 'vscode';
import { join } from 'node:path';
import type * as DecisionLog from '../store/session';
import type { StoreSession, StoreUserSettings, UserMessage, WorkspaceImportResult } from '../store/session';
import { readSettings } from './config';
import type { Settings } from './config';
import { DisposableStore } from './disposable';
import { SidebarViewProvider } from './sidebarView';

const moduleLoadedAt = performance.now();

/** What `activate` returns: read by the integration tests and the benchmark. */
export interface ParamloopApi {
  /** Milliseconds from this module's load to the end of `activate`, measured in the extension host. */
  readonly activationMs: number;
  readonly version: string;
  /** Resolves once the decision log has been opened (or found unavailable). */
  decisionLog(): Promise<DecisionLogStatus>;
}

export interface DecisionLogStatus {
  /** The store's folder: `decision-log` in the extension's global storage, one log per user. */
  dir: string;
  state: 'ready' | 'unavailable';
  decisions: number;
  /** What the user was told while it opened (and while this workspace's earlier log was imported). */
  messages: UserMessage[];
  /** This workspace's earlier, per-workspace log; absent without a workspace. */
  workspaceLog?: WorkspaceLogStatus;
}

/** What became of the log an earlier version kept in this workspace's storage. */
export interface WorkspaceLogStatus {
  /** `decision-log` in the workspace's storage. */
  dir: string;
  /**
   * none: there is no log there; imported: imported now; importedBefore: marked as imported
   * earlier; failed: not imported (see the messages); waiting: another window holds the user's log.
   */
  state: 'none' | 'imported' | 'importedBefore' | 'failed' | 'waiting';
  /** Decisions this activation added to the user's log from it. */
  imported: number;
}

let root: DisposableStore | undefined;
let session: Promise<StoreSession> | undefined;

/**
 * The decision log's bundle (dist/decisionLog.js: the store and sql.js's glue), loaded after
 * activation so that the extension's own bundle stays small.
 */
function loadDecisionLog(): typeof DecisionLog {
  // A path built at run time: esbuild leaves this require to Node.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(__dirname, 'decisionLog.js')) as typeof DecisionLog;
}

function storeSettings(settings: Settings): StoreUserSettings {
  const retention: StoreUserSettings['retention'] = {};
  if (settings.store.keepDays !== undefined) retention.keepDays = settings.store.keepDays;
  if (settings.store.keepDecisions !== undefined) retention.keepDecisions = settings.store.keepDecisions;
  return { retention, includePromptText: settings.store.includePromptText };
}

/**
 * Log lines for everything; a notification (with a way to the log) for warnings and errors, and for
 * information that asks for one.
 */
function tell(log: vscode.LogOutputChannel, messages: readonly UserMessage[]): void {
  for (const message of messages) {
    if (message.level === 'info') log.info(message.text);
    else if (message.level === 'error') log.error(message.text);
    else log.warn(message.text);
    if (!(message.notify ?? message.level !== 'info')) continue;
    const show =
      message.level === 'error' ? vscode.window.showErrorMessage : message.level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(message.text, 'Show log').then((choice) => {
      if (choice === 'Show log') log.show(true);
    });
  }
}

function importedCount(result: WorkspaceImportResult): number {
  return result.state === 'imported' ? result.report.imported : 0;
}

export function activate(context: vscode.ExtensionContext): ParamloopApi {
  root = new DisposableStore();
  context.subscriptions.push(root);
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');

  const log = root.register(vscode.window.createOutputChannel('Paramloop', { log: true }));
  let { settings, problems } = readSettings();
  problems.forEach((problem) => log.warn(problem));

  const statusBar = root.register(vscode.window.createStatusBarItem('paramloop.phase', vscode.StatusBarAlignment.Right, 100));
  statusBar.name = 'Paramloop rollout phase';
  statusBar.text = '$(beaker) Paramloop: shadow';
  statusBar.tooltip = 'Paramloop serves the baseline parameters while it learns (shadow phase). Click to open the sidebar.';
  statusBar.command = 'paramloop.openDashboard';
  const applyStatusBar = (): void => (settings.statusBar.enabled ? statusBar.show() : statusBar.hide());
  applyStatusBar();

  // One decision log per user, in the global storage: the workspace is a context feature, so what
  // differs between projects is still learned. It opens off the activation path (sql.js compiles
  // its WebAssembly first).
  const storeDir = join(context.globalStorageUri.fsPath, 'decision-log');
  // Where earlier versions kept a log per workspace: imported into the user's log once.
  const workspaceLogDir = context.storageUri === undefined ? undefined : join(context.storageUri.fsPath, 'decision-log');
  let workspaceLog: WorkspaceLogStatus | undefined = workspaceLogDir === undefined ? undefined : { dir: workspaceLogDir, state: 'none', imported: 0 };
  let opened: StoreSession | undefined;
  let decisionLog: typeof DecisionLog | undefined;
  session = new Promise<void>((resolve) => setImmediate(resolve)).then(async (): Promise<StoreSession> => {
    try {
      decisionLog = loadDecisionLog();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const text = `Decision log: its module could not be loaded (${reason}); reinstalling Paramloop should fix this. Paramloop keeps serving the baseline parameters and records no decisions.`;
      return { store: undefined, messages: [{ level: 'error', text }] };
    }
    const wasmDir = decisionLog.defaultWasmDir(__dirname);
    const result = await decisionLog.openStoreSession(storeDir, storeSettings(settings), {
      wasmDir,
      onError: (error) => log.error(`Decision log: ${error.message}`),
    });
    if (workspaceLogDir === undefined) return result;
    if (result.store === undefined) {
      // Only a window holding the user's log can import into it; the one that does will.
      const waiting = await decisionLog.waitingWorkspaceLogMessages(workspaceLogDir);
      if (waiting.length > 0) workspaceLog = { dir: workspaceLogDir, state: 'waiting', imported: 0 };
      return { store: undefined, messages: [...result.messages, ...waiting] };
    }
    const imported = await decisionLog.importWorkspaceLogSession(result.store, workspaceLogDir, { wasmDir });
    workspaceLog = { dir: workspaceLogDir, state: imported.result.state, imported: importedCount(imported.result) };
    return { store: result.store, messages: [...result.messages, ...imported.messages] };
  });
  const storeStatus = (): { state: 'opening' | 'ready' | 'unavailable'; detail: string } => {
    if (opened === undefined) return { state: 'opening', detail: '' };
    if (opened.store === undefined) return { state: 'unavailable', detail: opened.messages.map((m) => m.text).join(' ') };
    return { state: 'ready', detail: '' };
  };

  const decisionsLogged = (): number => {
    try {
      return opened?.store?.decisionCount() ?? 0;
    } catch {
      return 0; // closing (deactivation) or failed: the state says so
    }
  };

  const sidebar = root.register(
    new SidebarViewProvider(context.extensionUri, log, () => ({
      extensionVersion: version,
      phase: 'shadow',
      decisionsLogged: decisionsLogged(),
      store: storeStatus(),
      note: 'No planning requests logged yet. Until the learned policy earns promotion, requests are served with the baseline parameters.',
    })),
  );
  const ready = session.then((result) => {
    opened = result;
    tell(log, result.messages);
    if (result.store !== undefined) log.info(`Decision log open in ${storeDir} (${result.store.decisionCount()} decisions)`);
    sidebar.refresh();
    return result;
  });
  root.register(vscode.window.registerWebviewViewProvider(SidebarViewProvider.viewId, sidebar));

  root.register(vscode.commands.registerCommand('paramloop.showLog', () => log.show(true)));
  root.register(
    vscode.commands.registerCommand('paramloop.openSettings', () =>
      vscode.commands.executeCommand('workbench.action.openSettings', '@ext:paramloop.paramloop'),
    ),
  );
  root.register(
    vscode.commands.registerCommand('paramloop.openDashboard', () =>
      vscode.commands.executeCommand(`${SidebarViewProvider.viewId}.focus`),
    ),
  );

  root.register(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration('paramloop')) return;
      ({ settings, problems } = readSettings());
      problems.forEach((problem) => log.warn(problem));
      applyStatusBar();
      const { retention, includePromptText } = storeSettings(settings);
      if (decisionLog !== undefined) opened?.store?.updateSettings({ retention: decisionLog.retentionOrNone(retention), storePromptText: includePromptText });
      sidebar.refresh();
    }),
  );

  const activationMs = performance.now() - moduleLoadedAt;
  log.info(`Paramloop ${version} activated in ${activationMs.toFixed(1)} ms`);
  return {
    activationMs,
    version,
    decisionLog: async () => {
      const result = await ready;
      const status: DecisionLogStatus = {
        dir: storeDir,
        state: result.store === undefined ? 'unavailable' : 'ready',
        decisions: result.store?.decisionCount() ?? 0,
        messages: result.messages,
      };
      if (workspaceLog !== undefined) status.workspaceLog = workspaceLog;
      return status;
    },
  };
}

/** Closes the decision log (its last events are flushed and folded into a snapshot). */
export async function deactivate(): Promise<void> {
  const pending = session;
  session = undefined;
  try {
    await (await pending)?.store?.close();
  } finally {
    root?.dispose();
    root = undefined;
  }
}
