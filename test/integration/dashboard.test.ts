// The dashboard panel and the sidebar in a real workbench, with live data: a short session of
// planning requests against the test simulator (src/llm/testing/simServer.ts), judged as a user
// judges plans. Then the panel in the dark, light and high-contrast themes (each screenshot named
// `<mode>-dashboard-<theme>…png`), and 10,000 random and malformed messages posted from inside the
// panel's webview to the extension host. The runner looks into the webviews (test/host/webviewProbes.ts);
// under @vscode/test-electron there is none, and these tests are skipped.
import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { createRng } from '../../src/core/math/random';
import type { PlanCommandResult } from '../../src/extension/planning';
import { startSimServer, type SimServer } from '../../src/llm/testing/simServer';
import { dashboardErrorCodes, requestIdSchema, type DashboardResult } from '../../src/shared/dashboardProtocol';
import { malformedMessage } from '../../src/shared/testing/malformedDashboardMessages';
import type { PostReport, Rgb, WebviewProbe } from '../host/webviewProbes';
import { askRunner, hasRunner } from './hostChannel';
import { api, runPlanCommand, setUser } from './paramloop';

const code = [
  'export function slugify(title: string): string {',
  '  // TODO: fold accents and collapse repeated dashes',
  "  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-');",
  '}',
  '',
  'export function excerpt(body: string, words = 30): string {',
  "  return body.split(/\\s+/).slice(0, words).join(' ');",
  '}',
].join('\n');

/** The themes looked at: VS Code's own, as code-server ships them (extensions/theme-defaults). */
const themes = [
  { name: 'dark', id: 'Dark Modern', kind: 'vscode-dark' },
  { name: 'light', id: 'Light Modern', kind: 'vscode-light' },
  { name: 'high-contrast', id: 'Default High Contrast', kind: 'vscode-high-contrast' },
] as const;

/** The dashboard's text whose contrast with its background is checked, by role. */
const dashboardText: Record<string, string> = {
  title: '.dash-header h1',
  heading: '.section h2',
  value: 'dl.pairs dd',
  label: 'dl.pairs dt',
  nextGate: '.next-gate',
  muted: '.muted',
  tab: '.tab[aria-selected="false"]',
  selectedTab: '.tab[aria-selected="true"]',
  rangeSelect: 'select#range',
  caption: 'table.data caption',
  columnHeader: 'table.data thead th',
  cell: 'table.data td',
  disclosure: 'details.alternative summary',
  warning: '.warning',
};
const sidebarText: Record<string, string> = { heading: 'h2', label: 'dl.status dt', value: 'dl.status dd', caption: 'table.favoured caption' };

/** WCAG relative luminance and contrast ratio. */
function luminance([r, g, b]: Rgb): number {
  const linear = (c: number): number => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}
function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes a file the runner reads into the channel folder; returns its name. */
function forRunner(name: string, value: unknown): string {
  writeFileSync(join(process.env.PARAMLOOP_HOST_CHANNEL!, name), JSON.stringify(value));
  return name;
}

async function probe(target: 'dashboard' | 'sidebar', selectors: Record<string, string>): Promise<WebviewProbe> {
  const answer = await askRunner<{ ok: boolean; probe?: WebviewProbe; error?: string }>('webviewProbe', [target, forRunner(`${target}-text.json`, selectors)]);
  assert.ok(answer.ok && answer.probe, answer.error);
  return answer.probe;
}

async function clickInDashboard(selector: string): Promise<void> {
  const answer = await askRunner<{ ok: boolean; error?: string }>('webviewClick', ['dashboard', encodeURIComponent(selector)]);
  assert.ok(answer.ok, answer.error);
}

async function postFromDashboard(name: string, messages: readonly unknown[]): Promise<PostReport> {
  const answer = await askRunner<{ ok: boolean; report?: PostReport; error?: string }>('webviewPost', ['dashboard', forRunner(name, messages), '250'], 600_000);
  assert.ok(answer.ok && answer.report, answer.error);
  return answer.report;
}

const dashboardTabs = (): vscode.Tab[] => vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((t) => t.label === 'Paramloop Dashboard');

describe('The dashboard in a real workbench, with live data from a session of planning requests', function () {
  this.timeout(600_000);
  let sim: SimServer | undefined;
  const session: PlanCommandResult[] = [];

  const run = async (command: string, args: Record<string, unknown>): Promise<PlanCommandResult> => {
    const result = await runPlanCommand(command, args);
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    return result;
  };

  before(async function () {
    // The runner looks into the webviews; test-electron has none to ask.
    if (!hasRunner()) this.skip();
    sim = await startSimServer({ seed: 11, msPerToken: 0.02 });
    await setUser({ provider: 'openai-compatible', model: 'sim-planner', 'openaiCompatible.baseUrl': sim.openAiBaseUrl, 'feedback.waitSeconds': 5 });
    const file = join(mkdtempSync(join(tmpdir(), 'paramloop-dashboard-')), 'slug.ts');
    writeFileSync(file, code);
    // A short session: 40 plans of the four kinds, each judged (accepted when its checks pass well,
    // rejected otherwise, every fifth rated), so every outcome is in the log before the panel opens.
    for (let i = 0; i < 40; i++) {
      const kind = i % 4;
      const result =
        kind === 0
          ? await run('paramloop.planTask', { task: `publish step ${i}`, show: false })
          : kind === 1
            ? await run('paramloop.planSelection', { file, selection: { startLine: 1, endLine: 4 }, task: `make it unicode-aware ${i}`, show: false })
            : kind === 2
              ? await run('paramloop.breakDownTodo', { file, selection: { startLine: 2, endLine: 2 }, show: false })
              : await run('paramloop.planTests', { file, show: false });
      if (i % 5 === 4) await vscode.commands.executeCommand('paramloop.ratePlan', { requestId: result.requestId, rating: result.quality >= 0.7 ? 4 : 2 });
      else await vscode.commands.executeCommand(result.quality >= 0.7 ? 'paramloop.acceptPlan' : 'paramloop.rejectPlan', { requestId: result.requestId });
      session.push(result);
    }
    const learner = await (await api()).learner();
    assert.ok(learner, "this window's learner is unavailable");
    const status = await learner.status();
    assert.equal(status.pending, 0, 'every plan of the session has its outcome');
    // The sidebar on the left, the dashboard alone in the editor area.
    for (const command of ['workbench.action.closeAllEditors', 'workbench.action.closePanel', 'workbench.action.closeAuxiliaryBar', 'paramloop.sidebar.focus', 'paramloop.openDashboard']) await vscode.commands.executeCommand(command);
    for (let waited = 0; dashboardTabs().length === 0 && waited < 5000; waited += 100) await sleep(100);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    await setUser({ provider: undefined, model: undefined, 'openaiCompatible.baseUrl': undefined, 'feedback.waitSeconds': undefined });
    await sim?.close();
    for (const tab of dashboardTabs()) await vscode.window.tabGroups.close(tab);
  });

  it('in the dark, light and high-contrast themes the dashboard renders every section, its text and charts in the theme\'s colours, readable; the sidebar too', async () => {
    const decisions = (await (await (await api()).learner())!.status()).decisions;
    const seen = await askRunner<{ ok: boolean; text?: string; error?: string }>('webviewText', ['60000', 'dashboard'], 90_000);
    if (!seen.ok) await askRunner('screenshot', ['dashboard-not-rendered', 'dashboard']);
    assert.ok(seen.ok, seen.error);
    assert.match(seen.text ?? '', new RegExp(`Decisions\\s+${decisions.toLocaleString('en-US')} \\(`));
    const bodyText = new Map<string, Rgb>();
    try {
      for (const theme of themes) {
        await vscode.workspace.getConfiguration('workbench').update('colorTheme', theme.id, vscode.ConfigurationTarget.Global);
        // The webview is told of the theme as the workbench applies it; the charts of the tab shown
        // redraw once it has (those of a hidden tab when it is shown, below).
        let now = await probe('dashboard', dashboardText);
        for (let waited = 0; waited < 15_000 && (now.themeKind !== theme.kind || now.charts.some((c) => c.visible && c.foregroundPixels === 0)); waited += 500) {
          await sleep(500);
          now = await probe('dashboard', dashboardText);
        }
        const where = `${theme.name} (${theme.id})`;
        assert.equal(now.themeKind, theme.kind, where);
        assert.equal(now.themeId, theme.id, where);
        // Every section drew its answer, the hidden tabs' in idle time (the explanation waits for a decision to be opened).
        const notReady = now.sections.filter((s) => s.id !== 'explain' && s.state !== 'ready').map((s) => `${s.id}: ${s.state} ${s.text.slice(0, 80)}`);
        assert.deepEqual(notReady, [], where);
        // Text reads against its background: WCAG AA (4.5:1) everywhere, AAA (7:1) in high contrast.
        const needed = theme.kind === 'vscode-high-contrast' ? 7 : 4.5;
        const low = Object.entries(now.colours)
          .map(([role, c]) => ({ role, ratio: contrast(c.fg, c.bg), c }))
          .filter((x) => x.ratio < needed)
          .map((x) => `${x.role} ${x.ratio.toFixed(2)}:1 (${x.c.fg.join(',')} on ${x.c.bg.join(',')}, "${x.c.text}")`);
        assert.deepEqual(low, [], `${where}: text below ${needed}:1`);
        for (const role of ['title', 'heading', 'value', 'label', 'tab', 'selectedTab', 'caption']) assert.ok(now.colours[role], `${where}: no visible ${role} to read`);
        const value = now.colours.value!;
        // Light text on a dark page, or dark text on a light one, as the theme says.
        if (theme.kind === 'vscode-light') assert.ok(luminance(value.fg) < luminance(value.bg), `${where}: ${value.fg.join(',')} on ${value.bg.join(',')}`);
        else assert.ok(luminance(value.fg) > luminance(value.bg), `${where}: ${value.fg.join(',')} on ${value.bg.join(',')}`);
        bodyText.set(theme.name, value.fg);

        const sidebar = await probe('sidebar', sidebarText);
        assert.equal(sidebar.themeKind, theme.kind, `sidebar in ${where}`);
        for (const [role, c] of Object.entries(sidebar.colours)) assert.ok(contrast(c.fg, c.bg) >= needed, `sidebar ${role} in ${where}: ${contrast(c.fg, c.bg).toFixed(2)}:1`);
        assert.ok(sidebar.colours.value, `sidebar in ${where}: no value to read`);

        // The rollout tab, then the tabs with charts: each, once shown, has its charts (reward; arms
        // per task type and share; Pareto ×2) drawn in this theme's chart foreground.
        await askRunner('screenshot', [`dashboard-${theme.name}`, 'dashboard']);
        const charts: WebviewProbe['charts'][number][] = [];
        for (const tab of ['reward', 'arms', 'pareto']) {
          await clickInDashboard(`#tab-${tab}`);
          await sleep(300);
          const shown = (await probe('dashboard', {})).charts.filter((c) => c.visible);
          assert.ok(shown.length > 0, `${where}: no chart shown on the ${tab} tab`);
          charts.push(...shown);
          await askRunner('screenshot', [`dashboard-${theme.name}-${tab}`, 'dashboard']);
        }
        await clickInDashboard('#tab-rollout');
        assert.ok(charts.length >= 5, `${where}: ${charts.length} charts`);
        for (const c of charts) {
          assert.ok(c.points > 0, `${where}: chart ${c.key} has no points`);
          assert.ok(c.foregroundPixels > 20, `${where}: chart ${c.key} has ${c.foregroundPixels} pixels in the theme's chart foreground ${JSON.stringify(now.chartForeground)}`);
        }
      }
    } finally {
      await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.notDeepEqual(bodyText.get('dark'), bodyText.get('light'), 'the text colour follows the theme');
  });

  it('answers 10,000 random and malformed messages posted from inside the dashboard webview with 10,000 errors, and still serves', async () => {
    // What the extension host receives: VS Code carries a webview's messages as JSON.
    const rng = createRng(13);
    const messages = JSON.parse(JSON.stringify(Array.from({ length: 10_000 }, () => malformedMessage(rng, { json: true })))) as unknown[];
    const report = await postFromDashboard('dashboard-malformed.json', messages);
    console.log(`PARAMLOOP_METRIC dashboardMalformedMessages=${report.posted} replies=${report.replies.length} ms=${report.ms}`);
    assert.equal(report.posted, 10_000);
    assert.equal(report.replies.length, 10_000, 'one reply per message, no more');
    const answeredOk = report.replies.filter((r) => r.ok);
    assert.deepEqual(answeredOk, [], 'no malformed message is answered as valid');
    const codes = new Map<string, number>();
    for (const r of report.replies) codes.set(r.code ?? 'none', (codes.get(r.code ?? 'none') ?? 0) + 1);
    assert.deepEqual([...codes.keys()].filter((c) => !Object.values(dashboardErrorCodes).includes(c as never)), [], 'every error has a protocol code');
    for (const c of [dashboardErrorCodes.invalidMessage, dashboardErrorCodes.unknownMethod, dashboardErrorCodes.invalidParams]) assert.ok((codes.get(c) ?? 0) > 500, `${c}: ${codes.get(c)}`);
    // Each reply carries the id of its message when one can be read, else null.
    const readable = (m: unknown): string => {
      if (typeof m !== 'object' || m === null || Array.isArray(m) || !Object.prototype.hasOwnProperty.call(m, 'id')) return 'null';
      const id = requestIdSchema.safeParse((m as { id: unknown }).id);
      return id.success ? JSON.stringify(id.data) : 'null';
    };
    const expected = messages.map(readable).sort();
    const got = report.replies.map((r) => JSON.stringify(r.id)).sort();
    assert.deepEqual(got, expected);
    assert.ok(expected.filter((id) => id !== 'null').length > 5000);

    // Still serving: a valid request from the same page gets its answer, the page redraws, a plan runs.
    const learner = (await (await api()).learner())!;
    const valid = await postFromDashboard('dashboard-valid.json', [{ type: 'request', id: 'after-malformed', method: 'overview', params: {} }]);
    assert.equal(valid.replies.length, 1);
    const reply = valid.replies[0]!;
    assert.equal(reply.id, 'after-malformed');
    assert.equal(reply.ok, true, JSON.stringify(reply));
    const overview = reply.result as DashboardResult<'overview'>;
    assert.equal(overview.counts.decisions, (await learner.status()).decisions);
    await clickInDashboard('vscode-button:has-text("Refresh")');
    await sleep(1000);
    const text = await askRunner<{ ok: boolean; text?: string }>('webviewText', ['20000', 'dashboard']);
    assert.match(text.text ?? '', /Phase\s+shadow/);
    assert.doesNotMatch(text.text ?? '', /Could not load/);
    const plan = await run('paramloop.planTask', { task: 'after the noise', show: false });
    assert.match(plan.plan, /^1\. /);
    assert.equal(dashboardTabs().length, 1, 'the panel is still open');
  });
});
