// The sidebar webview: draws what the host sends, asks the host for everything else. It holds no
// data of its own and validates every message it receives against the shared protocol.
import './jitless';
import { parseHostMessage, type StatusMessage, type WebviewToHostMessage } from '../src/shared/protocol';

interface VsCodeApi {
  postMessage(message: WebviewToHostMessage): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app');
let nextRequest = 1;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function renderStatus(status: StatusMessage): void {
  if (!app) return;
  const heading = element('h2', 'Paramloop');
  const list = element('dl', undefined, 'status');
  const rows: Array<[string, string]> = [
    ['Rollout phase', status.phase],
    ['Decisions logged', String(status.decisionsLogged)],
    ['Decision log', status.store.state],
    ['Version', status.extensionVersion],
  ];
  for (const [label, value] of rows) {
    list.append(element('dt', label), element('dd', value));
  }
  const parts: HTMLElement[] = [];
  if (status.store.detail !== '') parts.push(element('p', status.store.detail, status.store.state === 'unavailable' ? 'warning' : 'muted'));
  const note = element('p', status.note, 'muted');
  const showLog = element('button', 'Show log');
  showLog.addEventListener('click', () =>
    vscode.postMessage({ type: 'runCommand', requestId: String(nextRequest++), command: 'paramloop.showLog' }),
  );
  app.replaceChildren(heading, list, ...parts, note, showLog);
  app.dataset.state = 'ready';
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = parseHostMessage(event.data);
  if (!parsed.ok) {
    console.warn(`Paramloop webview ignored a message: ${parsed.error}`);
    return;
  }
  if (parsed.message.type === 'status') renderStatus(parsed.message);
});

vscode.postMessage({ type: 'ready', protocolVersion: 1 });
