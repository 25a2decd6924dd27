// The Paramloop dashboard webview: asks the host through the typed request protocol
// (src/shared/dashboardProtocol.ts) and draws what it answers, nothing else. It keeps only the UI's
// intent (the tab shown, the time range) in VS Code's webview state, asks again whenever it is shown,
// and again after the host's `changed` event (at most every few seconds). Only the tab shown is drawn
// as its answers arrive; the other tabs keep theirs until shown, or until the page is idle
// (webview/dashboard/painter.ts).
import './jitless';
import type { DashboardCommand, DashboardEvent, DashboardResult } from '../src/shared/dashboardProtocol';
import { createDashboardClient, type DashboardClient } from '../src/shared/dashboardRpc';
import { taskTypes } from '../src/core/types';
import { resizeCharts, watchPalette } from './dashboard/charts';
import { button, element, fill, icon, num, table } from './dashboard/dom';
import { createPainter } from './dashboard/painter';
import { createTables } from './dashboard/tables';
import { createViews, taskTypeNames, type TaskType } from './dashboard/views';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const tabs = [
  { id: 'rollout', label: 'Rollout', icon: 'rocket' },
  { id: 'reward', label: 'Reward', icon: 'graph-line' },
  { id: 'arms', label: 'Arms', icon: 'symbol-parameter' },
  { id: 'pareto', label: 'Pareto', icon: 'graph-scatter' },
  { id: 'ope', label: 'Off-policy evaluation', icon: 'beaker' },
  { id: 'attribution', label: 'Attribution', icon: 'symbol-field' },
  { id: 'decisions', label: 'Decisions', icon: 'list-flat' },
  { id: 'history', label: 'History', icon: 'history' },
] as const;
type TabId = (typeof tabs)[number]['id'];

const ranges = [
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
  { id: 'all', label: 'Whole log', ms: null },
] as const;
type RangeId = (typeof ranges)[number]['id'];

/** What the webview remembers across being hidden and shown: intent, never data. */
interface UiState {
  tab: TabId;
  range: RangeId;
  taskType: TaskType;
}

const commandLabels: Array<{ command: DashboardCommand; label: string; icon: string }> = [
  { command: 'paramloop.promote', label: 'Promote…', icon: 'arrow-up' },
  { command: 'paramloop.rollback', label: 'Roll back…', icon: 'discard' },
  { command: 'paramloop.pause', label: 'Pause…', icon: 'debug-pause' },
  { command: 'paramloop.resume', label: 'Resume…', icon: 'debug-continue' },
  { command: 'paramloop.grantWaiver', label: 'Grant waiver…', icon: 'unlock' },
  { command: 'paramloop.revokeWaiver', label: 'Revoke waiver…', icon: 'lock' },
  { command: 'paramloop.exportLogs', label: 'Export logs…', icon: 'export' },
  { command: 'paramloop.openSettings', label: 'Settings', icon: 'gear' },
  { command: 'paramloop.showLog', label: 'Show log', icon: 'output' },
];

/** How soon after a `changed` event the dashboard asks again, at the earliest. */
const changedThrottleMs = 2000;
/** How long a burst of `changed` events may go on before the dashboard asks. */
const changedSettleMs = 250;

const vscode = acquireVsCodeApi();
const client: DashboardClient = createDashboardClient((message) => vscode.postMessage(message), { timeoutMs: 60_000 });
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!client.receive(event.data)) console.warn('Paramloop dashboard ignored a message outside the protocol');
});

function readState(): UiState {
  const raw = vscode.getState() as Partial<UiState> | undefined;
  const tab = tabs.some((t) => t.id === raw?.tab) ? (raw!.tab as TabId) : 'rollout';
  const range = ranges.some((r) => r.id === raw?.range) ? (raw!.range as RangeId) : 'all';
  const taskType = (taskTypes as readonly string[]).includes(raw?.taskType ?? '') ? (raw!.taskType as TaskType) : 'planTask';
  return { tab, range, taskType };
}
let ui = readState();
function saveState(change: Partial<UiState>): void {
  ui = { ...ui, ...change };
  vscode.setState(ui);
}

const app = document.getElementById('app')!;
app.dataset.view = 'dashboard';
const panels = new Map<TabId, HTMLElement>();
/** Each section's tab, in the page's order. */
const sectionTabs = new Map<string, TabId>();
const painter = createPainter(sectionTabs, () => ui.tab);
const tabButtons = new Map<TabId, HTMLButtonElement>();
const statusLine = element('p', '', 'status-line');
statusLine.setAttribute('role', 'status');

/** A section of a panel: a heading, and a body redrawn on each answer, marked ready or failed. */
function section(panel: TabId, id: string, title: string): HTMLElement {
  const node = element('section', undefined, 'section');
  node.dataset.section = id;
  const heading = element('h2', title);
  heading.id = `h-${id}`;
  node.setAttribute('aria-labelledby', heading.id);
  const body = element('div', undefined, 'section-body');
  body.append(element('p', 'Loading…', 'muted'));
  node.append(heading, body);
  panels.get(panel)!.append(node);
  sectionTabs.set(id, panel);
  return node;
}
function failed(node: HTMLElement, error: unknown): void {
  painter.forget(node.dataset.section!);
  node.querySelector('.section-body')!.replaceChildren(element('p', `Could not load: ${error instanceof Error ? error.message : String(error)}`, 'warning'));
  node.dataset.state = 'error';
}

function showTab(id: TabId, focus = false): void {
  for (const [tab, panel] of panels) {
    const selected = tab === id;
    panel.hidden = !selected;
    const control = tabButtons.get(tab)!;
    control.setAttribute('aria-selected', String(selected));
    control.tabIndex = selected ? 0 : -1;
    if (selected && focus) control.focus();
  }
  saveState({ tab: id });
  // Its sections whose answers came while it was hidden, then its charts drawn at another width.
  painter.shown(id);
  resizeCharts(panels.get(id)!);
}

function buildShell(): Record<string, HTMLElement> {
  const header = element('header', undefined, 'dash-header');
  const title = element('h1');
  title.append(icon('graph'), ' Paramloop Dashboard');
  const rangeLabel = element('label', 'Time range ');
  const rangeSelect = element('select');
  rangeSelect.id = 'range';
  for (const r of ranges) {
    const option = element('option', r.label);
    option.value = r.id;
    option.selected = r.id === ui.range;
    rangeSelect.append(option);
  }
  rangeSelect.addEventListener('change', () => {
    saveState({ range: rangeSelect.value as RangeId });
    void refresh('range');
  });
  rangeLabel.append(rangeSelect);
  const refreshButton = button('Refresh', () => void refresh('all'), { icon: 'refresh', secondary: true });
  header.append(title, rangeLabel, refreshButton);

  const controls = element('div', undefined, 'controls');
  controls.setAttribute('role', 'toolbar');
  controls.setAttribute('aria-label', 'Rollout controls');
  for (const c of commandLabels) {
    const control = button(c.label, () => void runCommand(c.command, c.label), { icon: c.icon, secondary: !['paramloop.promote', 'paramloop.rollback'].includes(c.command) });
    control.dataset.command = c.command;
    controls.append(control);
  }

  const tabList = element('div', undefined, 'tabs');
  tabList.setAttribute('role', 'tablist');
  tabList.setAttribute('aria-label', 'Dashboard sections');
  const panelHost = element('div', undefined, 'panels');
  tabs.forEach((t, i) => {
    const control = element('button', undefined, 'tab');
    control.type = 'button';
    control.id = `tab-${t.id}`;
    control.setAttribute('role', 'tab');
    control.setAttribute('aria-controls', `panel-${t.id}`);
    control.append(icon(t.icon), ' ', t.label);
    control.addEventListener('click', () => showTab(t.id));
    control.addEventListener('keydown', (event) => {
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (step === 0) return;
      event.preventDefault();
      showTab(tabs[(i + step + tabs.length) % tabs.length]!.id, true);
    });
    tabButtons.set(t.id, control);
    tabList.append(control);
    const panel = element('div', undefined, 'panel');
    panel.id = `panel-${t.id}`;
    panel.setAttribute('role', 'tabpanel');
    panel.setAttribute('aria-labelledby', control.id);
    panel.dataset.panel = t.id;
    panels.set(t.id, panel);
    panelHost.append(panel);
  });
  app.replaceChildren(header, controls, statusLine, tabList, panelHost);
  showTab(ui.tab);

  return {
    rollout: section('rollout', 'rollout', 'Rollout'),
    slo: section('rollout', 'slo', 'Service levels (learned vs baseline)'),
    budgets: section('rollout', 'budgets', 'Token budgets'),
    waivers: section('rollout', 'waivers', 'Budget waivers'),
    drift: section('rollout', 'drift', 'Drift'),
    reward: section('reward', 'reward', 'Reward over time'),
    arms: section('arms', 'arms', 'Arms: expected reward'),
    share: section('arms', 'share', 'Selection share over time'),
    favoured: section('arms', 'favoured', 'Favoured vs baseline parameters'),
    pareto: section('pareto', 'pareto', 'Pareto front'),
    ope: section('ope', 'ope', 'Off-policy evaluation'),
    attribution: section('attribution', 'attribution', 'Attribution: what moves the choice'),
    decisions: section('decisions', 'decisions', 'Recent decisions'),
    explain: section('decisions', 'explain', 'One decision explained'),
    history: section('history', 'history', 'History'),
  };
}

const sections = buildShell();
const views = createViews(sections, { runCommand, evaluateAgain: () => loadOpe() });
const tables = createTables(sections, { client, load, failed, paramsText: views.paramsText });
/** The sections holding charts, drawn again in a new theme. */
const chartSections = ['reward', 'arms', 'share', 'pareto'];

// ---- Attribution ----

function renderAttribution(a: DashboardResult<'attribution'>): void {
  const select = element('select');
  select.id = 'attribution-task';
  for (const t of taskTypes) {
    const option = element('option', taskTypeNames[t]);
    option.value = t;
    option.selected = t === ui.taskType;
    select.append(option);
  }
  select.addEventListener('change', () => {
    saveState({ taskType: select.value as TaskType });
    void loadAttribution();
  });
  const label = element('label', 'Task type ');
  label.append(select);
  const parts: HTMLElement[] = [label, element('p', a.summary)];
  if (a.available && a.features.length > 0) {
    parts.push(
      table(
        'Per context feature: how much it can change which arm is best (spread), and its effect on the favoured and the baseline arm',
        ['Feature', 'Spread', 'Effect on favoured arm', 'Effect on baseline arm'],
        a.features.map((f) => [f.name, num(f.spread), num(f.favoured), num(f.baseline)]),
        'data attribution-table',
      ),
    );
  }
  fill(sections.attribution!, ...parts);
}

// ---- Loading ----

let overviewAt: number | undefined;

function rangeParams(): { since?: number } {
  const r = ranges.find((x) => x.id === ui.range);
  if (r === undefined || r.ms === null || overviewAt === undefined) return {};
  return { since: Math.max(0, Math.floor(overviewAt - r.ms)) };
}

/**
 * Asks, then draws the answer into each of `draws`' sections (on the tab shown at once, on another tab
 * when it is shown: see the painter); on a failure, the first section says why, the others point to it.
 */
async function load<T>(ask: () => Promise<T>, draws: Record<string, (result: T) => void>): Promise<void> {
  let result: T;
  try {
    result = await ask();
  } catch (error) {
    Object.keys(draws).forEach((section, i) => failed(sections[section]!, i === 0 ? error : new Error('see above')));
    return;
  }
  for (const [section, draw] of Object.entries(draws)) painter.draw(section, () => draw(result));
}

// What a later request needs from an answer is taken as it arrives (the overview's time), not when drawn.
const loadOverview = (): Promise<void> =>
  load(
    () =>
      client.request('overview', {}).then((o) => {
        overviewAt = o.at;
        return o;
      }),
    { rollout: views.renderOverview },
  );
const loadReward = (): Promise<void> => load(() => client.request('rewardOverTime', { ...rangeParams(), buckets: 100 }), { reward: views.renderReward });
const loadArms = (): Promise<void> => load(() => client.request('arms', { ...rangeParams(), buckets: 60 }), { arms: views.renderArmEstimates, share: views.renderShare, favoured: views.renderFavoured });
const loadPareto = (): Promise<void> => load(() => client.request('pareto', rangeParams()), { pareto: views.renderPareto });
const loadOpe = (): Promise<void> => load(() => client.request('ope', {}), { ope: views.renderOpe });
const loadAttribution = (): Promise<void> => load(() => client.request('attribution', { taskType: ui.taskType }), { attribution: renderAttribution });

let refreshing: Promise<void> | undefined;
/**
 * Asks the host again. `all`: everything (first paint, shown again, Refresh); `changed`: what the
 * log's growth changes (not OPE, which is costly and has its own button); `range`: the series.
 */
async function refresh(kind: 'all' | 'changed' | 'range'): Promise<void> {
  if (refreshing) await refreshing;
  const work = (async () => {
    const shown = ui.tab;
    const overview = kind !== 'range' ? loadOverview() : Promise.resolve();
    // A range relative to the log's present needs the overview's time first; the whole log does not.
    if (kind !== 'range' && ranges.find((x) => x.id === ui.range)?.ms !== null) await overview;
    const asks: Array<[TabId, () => Promise<void>]> = [['reward', loadReward], ['arms', loadArms], ['pareto', loadPareto]];
    if (kind !== 'range') asks.push(['attribution', loadAttribution], ['decisions', () => (tables.onNewestPage() ? tables.loadDecisions() : Promise.resolve())], ['history', () => tables.loadHistory()]);
    // Off-policy evaluation (seconds of a worker on a long log) is asked first only when its tab is
    // shown; otherwise once the rest is in, so that it does not compete with the first paint.
    const opeNow = kind === 'all' && shown === 'ope';
    if (opeNow) asks.push(['ope', loadOpe]);
    // The tab shown is asked for first, with the overview, and drawn; the hidden tabs after it. The
    // host then answers the tab shown without working on the others meanwhile (its replies wait
    // for that work), and their answers are drawn in idle time anyway.
    await Promise.all([overview, ...asks.filter(([tab]) => tab === shown).map(([, ask]) => ask())]);
    const drawnWhenIdle = (job: Promise<void>): Promise<void> => (kind === 'all' ? job.then(() => painter.drawHiddenWhenIdle()) : job);
    await Promise.all(asks.filter(([tab]) => tab !== shown).map(([, ask]) => drawnWhenIdle(ask())));
    if (kind === 'all' && !opeNow) await drawnWhenIdle(loadOpe());
    // Said once at the top too, so that a failure on a tab not shown is not missed.
    const failedSections = Object.entries(sections).filter(([, node]) => node.dataset.state === 'error').map(([id]) => id);
    if (failedSections.length > 0) statusLine.textContent = `Could not load: ${failedSections.join(', ')} (see each section).`;
    app.dataset.state = 'ready';
  })();
  refreshing = work;
  await work.finally(() => {
    if (refreshing === work) refreshing = undefined;
  });
}

async function runCommand(command: DashboardCommand, label: string): Promise<void> {
  statusLine.textContent = `${label.replace('…', '')}: running…`;
  try {
    const result = await client.request('runCommand', { command }, { timeoutMs: 10 * 60_000 });
    statusLine.textContent = `${label.replace('…', '')}: ${result.done ? 'done' : 'not done'}.`;
    void refresh('changed');
  } catch (error) {
    statusLine.textContent = `${label.replace('…', '')} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

// Live updates: a burst of events settles for `changedSettleMs`, then one refresh, and at most one
// per `changedThrottleMs`; none while the view is hidden (it refreshes when shown again).
let changedTimer: ReturnType<typeof setTimeout> | undefined;
let lastChanged = 0;
client.onEvent((event: DashboardEvent) => {
  if (event.name === 'explain') {
    showTab('decisions');
    void tables.openDecision(event.requestId);
    return;
  }
  if (changedTimer !== undefined || document.visibilityState === 'hidden') return;
  changedTimer = setTimeout(() => {
    changedTimer = undefined;
    lastChanged = Date.now();
    void refresh('changed');
  }, Math.max(changedSettleMs, lastChanged + changedThrottleMs - Date.now()));
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refresh('all');
});
// A theme switched while the panel is open: the charts are drawn again in its colours (those on a
// hidden tab when it is shown).
watchPalette(() => painter.drawAgain(chartSections));
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  if (resizeTimer !== undefined) clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => resizeCharts(panels.get(ui.tab)!), 150);
});

void refresh('all');
