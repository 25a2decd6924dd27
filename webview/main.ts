// The sidebar webview, a compact dashboard (the full one is a panel, webview/dashboard.ts): draws what the host sends, asks the host for everything else. It holds no
// data of its own and validates every message it receives against the shared protocol.
import './jitless';
import { amount, towards } from '../src/shared/progressText';
import { parseHostMessage, type LearnerStatus, type StatusMessage, type WebviewToHostMessage } from '../src/shared/protocol';

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

const taskTypeNames: Record<LearnerStatus['favoured'][number]['taskType'], string> = {
  planTask: 'Plan a task',
  planSelection: 'Plan a selection',
  breakDownTodo: 'Break down a TODO',
  planTests: 'Plan tests',
};

const fixed = (x: number, digits: number): string => x.toFixed(digits);

/** The learner's favoured arm per task type next to the baseline's, as a table (readable by screen readers). */
function favouredTable(learner: LearnerStatus): HTMLElement {
  const table = element('table', undefined, 'favoured');
  table.append(element('caption', 'Favoured parameters per task type (expected reward, mean ± sd)'));
  const head = element('tr');
  for (const label of ['Task type', 'Favoured arm', 'Baseline arm']) {
    const th = element('th', label);
    th.scope = 'col';
    head.append(th);
  }
  table.append(head);
  for (const row of learner.favoured) {
    const tr = element('tr');
    const th = element('th', taskTypeNames[row.taskType]);
    th.scope = 'row';
    tr.append(
      th,
      element('td', `${row.favoured.armId} (${fixed(row.favoured.mean, 3)} ± ${fixed(row.favoured.sd, 3)})`),
      element('td', `${row.baseline.armId} (${fixed(row.baseline.mean, 3)} ± ${fixed(row.baseline.sd, 3)})`),
    );
    table.append(tr);
  }
  return table;
}

function learnerRows(learner: LearnerStatus): Array<[string, string]> {
  const p = learner.progress;
  const rows: Array<[string, string]> = [
    ['Learner served by', learner.servedBy],
    ['Outcomes', String(learner.outcomes)],
    ['Awaiting outcome', String(learner.pending)],
    ['Towards the next gate', `${towards(p.samples, p.minSamples, 'samples')}, ${towards(p.days, p.minDays, 'days', 1)}`],
    ['Policy version', String(learner.policyVersion)],
  ];
  if (learner.rolloutStatus !== 'active') rows.push(['Rollout', learner.rolloutStatus]);
  if (learner.incidents > 0) rows.push(['Rollbacks', String(learner.incidents)]);
  if (learner.lastVerdict) rows.push(['Last gate verdict', `${learner.lastVerdict.passed ? 'passed' : 'not passed'}: ${learner.lastVerdict.summary}`]);
  const spent = learner.budget.filter((b) => b.daySpent > 0 || b.dayLimit !== null);
  if (spent.length > 0) rows.push(['Tokens today', spent.map((b) => `${taskTypeNames[b.taskType]} ${amount(b.daySpent)}${b.dayLimit === null ? '' : ` of ${amount(b.dayLimit)}`}`).join('; ')]);
  if (learner.waivers.length > 0) {
    rows.push(['Waivers', learner.waivers.map((w) => `${w.id} (${w.status}, +${amount(w.delta)} tokens, ${w.taskType}, until ${new Date(w.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC)`).join('; ')]);
  }
  return rows;
}

function renderStatus(status: StatusMessage): void {
  if (!app) return;
  const heading = element('h2', 'Paramloop');
  const list = element('dl', undefined, 'status');
  const rows: Array<[string, string]> = [
    ['Rollout phase', status.phase],
    ['Decisions logged', String(status.decisionsLogged)],
    ['Decision log', status.store.state],
    ...(status.learner ? learnerRows(status.learner) : []),
    ['Version', status.extensionVersion],
  ];
  for (const [label, value] of rows) {
    list.append(element('dt', label), element('dd', value));
  }
  const parts: HTMLElement[] = [];
  if (status.store.detail !== '') parts.push(element('p', status.store.detail, status.store.state === 'unavailable' ? 'warning' : 'muted'));
  if (status.learner && status.learner.favoured.length > 0) parts.push(favouredTable(status.learner));
  const note = element('p', status.note, 'muted');
  const showLog = element('button', 'Show log');
  showLog.addEventListener('click', () =>
    vscode.postMessage({ type: 'runCommand', requestId: String(nextRequest++), command: 'paramloop.showLog' }),
  );
  const openDashboard = element('button', 'Open dashboard');
  openDashboard.addEventListener('click', () =>
    vscode.postMessage({ type: 'runCommand', requestId: String(nextRequest++), command: 'paramloop.openDashboard' }),
  );
  const actions = element('div', undefined, 'actions');
  actions.append(openDashboard, showLog);
  app.replaceChildren(heading, list, ...parts, note, actions);
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
