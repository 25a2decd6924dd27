import * as vscode from 'vscode';
import type * as LearnerModule from '../service/session';
import type { ServiceConnection, UserMessage } from '../service/session';
import type { DashboardCommand, DashboardEvent } from '../shared/dashboardProtocol';
import type { DashboardHandlers } from '../shared/dashboardRpc';
import { webviewHtml } from '../shared/webviewHtml';
import { createDashboardMessageHandler, unavailableDashboardHandlers } from './dashboardMessages';
import { DisposableStore } from './disposable';

/** Where the dashboard's answers come from: the serving learner's handlers or the forwarding ones. */
export interface DashboardBackend {
  handlers: DashboardHandlers;
  /** Scans the log ahead of the first paint (only where this window serves the learner). */
  warm?: () => Promise<void>;
  /** Calls `emit` (throttled) when the log has grown; returns the function that stops. */
  watch?: (emit: (event: DashboardEvent) => void) => () => void;
}

/**
 * The "Paramloop Dashboard" editor panel: one at a time, revealed when opened again. The webview
 * keeps no data (`retainContextWhenHidden` off): it asks again each time it is shown. Every message
 * it posts is answered through the dashboard protocol's dispatcher (dashboardMessages.ts).
 */
export class DashboardPanel implements vscode.Disposable {
  static readonly viewType = 'paramloop.dashboard';
  private static current: DashboardPanel | undefined;
  private readonly disposables = new DisposableStore();

  /** Opens the panel, or reveals it if it is open. */
  static show(extensionUri: vscode.Uri, log: vscode.LogOutputChannel, backend: () => Promise<DashboardBackend>): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      return DashboardPanel.current;
    }
    const webviewRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, 'Paramloop Dashboard', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [webviewRoot],
      retainContextWhenHidden: false,
    });
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'paramloop.svg');
    DashboardPanel.current = new DashboardPanel(panel, webviewRoot, log, backend);
    return DashboardPanel.current;
  }

  /** The open panel, if any (the integration tests look at it). */
  static get open(): DashboardPanel | undefined {
    return DashboardPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    webviewRoot: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    backend: () => Promise<DashboardBackend>,
  ) {
    panel.webview.html = renderHtml(panel.webview, webviewRoot);
    const handle = createDashboardMessageHandler(async () => (await backend()).handlers, (reply) => panel.webview.postMessage(reply), log);
    this.disposables.register(
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        // The page has loaded (its first request): what was asked of it before goes now.
        this.loaded = true;
        if (this.explaining !== undefined) this.postExplain();
        void handle(raw);
      }),
    );
    // Hidden, the page is gone (its context is not retained); shown again, it loads anew.
    this.disposables.register(panel.onDidChangeViewState(() => (this.loaded &&= panel.visible)));
    this.disposables.register(panel.onDidDispose(() => this.dispose()));
    void backend().then(
      (b) => {
        if (this.disposed) return;
        const started = Date.now();
        b.warm?.().then(
          () => log.info(`Dashboard: the log was scanned ahead of the first paint in ${Date.now() - started} ms`),
          (error: unknown) => log.warn(`Dashboard: the scan ahead of the first paint failed: ${error instanceof Error ? error.message : String(error)}`),
        );
        const stop = b.watch?.((event) => {
          // A hidden panel has no page to tell; it asks again when shown.
          if (panel.visible) void panel.webview.postMessage(event);
        });
        if (stop) this.disposables.register({ dispose: stop });
      },
      (error: unknown) => log.warn(`Dashboard: no data source: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  private disposed = false;
  /** Whether the page has loaded (it has sent a request), and a decision it is to explain once it has. */
  private loaded = false;
  private explaining: string | undefined;

  /** Shows one decision explained (the plan editor's Explain), once the page is there to show it. */
  explain(requestId: string): void {
    this.explaining = requestId;
    this.panel.reveal();
    if (this.loaded) this.postExplain();
  }

  private postExplain(): void {
    const requestId = this.explaining;
    if (requestId === undefined) return;
    this.explaining = undefined;
    const event: DashboardEvent = { type: 'event', name: 'explain', requestId };
    void this.panel.webview.postMessage(event);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    this.disposables.dispose();
    this.panel.dispose();
    this.log.info('Dashboard: closed');
  }
}

function makeNonce(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

function renderHtml(webview: vscode.Webview, webviewRoot: vscode.Uri): string {
  const uri = (file: string): string => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, file)).toString();
  return webviewHtml({
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: uri('dashboard.js'),
    styleUri: uri('uPlot.min.css'),
    moreStyleUris: [uri('codicon.css'), uri('main.css'), uri('dashboard.css')],
    title: 'Paramloop Dashboard',
  });
}

/** What the dashboard needs of the window: the learner once opened (its connection, its module). */
export interface DashboardDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  learner(): Promise<{ connection: ServiceConnection | undefined; messages: readonly UserMessage[]; module: typeof LearnerModule | undefined }>;
}

/** Registers `paramloop.openDashboard` and what answers the panel. */
export function registerDashboard(root: DisposableStore, deps: DashboardDeps): void {
  // The dashboard panel: this window's learner answers when it serves, else the serving window does
  // (through the service's `dashboard` operation); its controls run the palette's commands here.
  let servedDashboard: { service: object; backend: DashboardBackend } | undefined;
  const dashboardBackend = async (): Promise<DashboardBackend> => {
    const result = await deps.learner();
    const connection = result.connection;
    const module = result.module;
    if (connection === undefined || module === undefined) {
      return { handlers: unavailableDashboardHandlers(`the decision log is unavailable: ${result.messages.map((m) => m.text).join(' ') || 'it could not be opened'}`) };
    }
    const runCommand = async (command: DashboardCommand): Promise<boolean> => {
      await vscode.commands.executeCommand(command);
      return true;
    };
    /**
     * `changed` events: from this window's commits while it serves, else from the decision count
     * polled every 5 s; looked at again every 5 s, as serving may move between windows.
     */
    const watch = (emit: (event: DashboardEvent) => void): (() => void) => {
      let feed: { service: object; stop: () => void } | undefined;
      let last: number | undefined;
      const tick = (): void => {
        const service = connection.service;
        if (service !== undefined) {
          if (feed?.service !== service) {
            feed?.stop();
            const changes = module.watchDashboardChanges(service.store, emit, { minIntervalMs: 1000 });
            feed = { service, stop: () => changes.dispose() };
          }
          return;
        }
        feed?.stop();
        feed = undefined;
        void connection.status().then(
          (status) => {
            if (last !== undefined && status.decisions !== last) emit({ type: 'event', name: 'changed', at: Date.now(), decisions: status.decisions });
            last = status.decisions;
          },
          () => undefined,
        );
      };
      tick();
      const timer = setInterval(tick, 5000);
      return () => {
        clearInterval(timer);
        feed?.stop();
      };
    };
    const service = connection.service;
    if (service !== undefined) {
      if (servedDashboard?.service !== service) {
        const handlers = module.createDashboardHandlers(service, { runCommand });
        servedDashboard = { service, backend: { handlers, warm: () => handlers.warm(), watch } };
      }
      return servedDashboard.backend;
    }
    // Another window serves: it answers through the service's `dashboard` operation.
    return { handlers: module.forwardingDashboardHandlers((method, params) => connection.dashboard(method, params), runCommand), watch };
  };
  // `{ explain: requestId }` (the plan editor's Explain) opens that decision explained.
  root.register(
    vscode.commands.registerCommand('paramloop.openDashboard', (arg?: unknown) => {
      const panel = DashboardPanel.show(deps.extensionUri, deps.log, dashboardBackend);
      const explain = arg !== null && typeof arg === 'object' ? (arg as { explain?: unknown }).explain : undefined;
      if (typeof explain === 'string' && explain.length > 0 && explain.length <= 200) panel.explain(explain);
    }),
  );
  root.register({ dispose: () => DashboardPanel.open?.dispose() });
}
