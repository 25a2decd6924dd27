import * as vscode from 'vscode';
import { parseWebviewMessage, type HostToWebviewMessage, type StatusMessage } from '../shared/protocol';
import { webviewHtml } from '../shared/webviewHtml';
import { DisposableStore } from './disposable';
import { throttledWarnings } from './throttledWarnings';

/** Source of the status the sidebar shows; the view asks for it whenever the webview is (re)shown. */
export type StatusSource = () => Omit<StatusMessage, 'type'>;

/**
 * The Paramloop sidebar. The webview holds no data of its own: it says `ready` whenever it loads and
 * the host answers with the current status. Every inbound message is validated against the shared
 * protocol before use; invalid ones are logged with the reason and ignored.
 */
export class SidebarViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'paramloop.sidebar';
  private readonly disposables = new DisposableStore();
  private readonly warnInvalid: (message: string) => void;
  private view: vscode.WebviewView | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly status: StatusSource,
    /** Called whenever the webview (re)loads and asks for the status: a chance to fetch fresh data. */
    private readonly onShown: () => void = () => undefined,
  ) {
    this.warnInvalid = throttledWarnings(log, 'invalid messages from the sidebar webview');
  }

  /** Whether the view is showing. */
  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const webviewRoot = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot] };
    view.webview.html = renderHtml(view.webview, webviewRoot);
    this.disposables.register(view.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)));
    this.disposables.register(view.onDidDispose(() => (this.view = undefined)));
  }

  /** Pushes a fresh status to the view if it is showing. */
  refresh(): void {
    void this.post({ type: 'status', ...this.status() });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.warnInvalid(`Ignored an invalid message from the sidebar webview: ${parsed.error}`);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'ready':
        this.refresh();
        this.onShown();
        return;
      case 'runCommand':
        try {
          await vscode.commands.executeCommand(message.command);
          await this.post({ type: 'commandResult', requestId: message.requestId, ok: true });
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error);
          await this.post({ type: 'commandResult', requestId: message.requestId, ok: false, error: text });
        }
        return;
    }
  }

  private async post(message: HostToWebviewMessage): Promise<void> {
    await this.view?.webview.postMessage(message);
  }

  dispose(): void {
    this.disposables.dispose();
  }
}

function makeNonce(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

function renderHtml(webview: vscode.Webview, webviewRoot: vscode.Uri): string {
  return webviewHtml({
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'main.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'main.css')).toString(),
    title: 'Paramloop',
  });
}
