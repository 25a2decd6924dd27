import * as vscode from 'vscode';
import { readSettings } from './config';
import { DisposableStore } from './disposable';
import { SidebarViewProvider } from './sidebarView';

const moduleLoadedAt = performance.now();

/** What `activate` returns: read by the integration tests and the benchmark. */
export interface ParamloopApi {
  /** Milliseconds from this module's load to the end of `activate`, measured in the extension host. */
  readonly activationMs: number;
  readonly version: string;
}

let root: DisposableStore | undefined;

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

  const sidebar = root.register(
    new SidebarViewProvider(context.extensionUri, log, () => ({
      extensionVersion: version,
      phase: 'shadow',
      decisionsLogged: 0,
      note: 'No planning requests logged yet. Until the learned policy earns promotion, requests are served with the baseline parameters.',
    })),
  );
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
      sidebar.refresh();
    }),
  );

  const activationMs = performance.now() - moduleLoadedAt;
  log.info(`Paramloop ${version} activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, version };
}

export function deactivate(): Promise<void> {
  root?.dispose();
  root = undefined;
  return Promise.resolve();
}
