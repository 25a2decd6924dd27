// The planning loop in a real extension host, against a simulator of an OpenAI-compatible server that
// the suite starts on 127.0.0.1 (src/llm/testing/simServer.ts: plans whose quality responds to the
// parameters by task type, with a known best arm, and fault modes). The extension's own provider
// code talks to it over HTTP; nothing of the extension is replaced.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { buildSpace } from '../../src/core/space';
import { createRng } from '../../src/core/math/random';
import { drawPlan, startSimServer, type SimServer } from '../../src/llm/testing/simServer';
import { checkPlan } from '../../src/planning/checks';
import { askRunner, hasRunner } from './hostChannel';
import { api, config, extensionId, runPlanCommand, setUser } from './paramloop';


const sampleCode = [
  'export function total(items: { price: number; count: number }[]): number {',
  '  let sum = 0;',
  '  for (const item of items) sum += item.price * item.count;',
  '  // TODO: apply the discount rules from pricing.md and round to cents',
  '  return sum;',
  '}',
  '',
  'export function formatTotal(n: number): string {',
  '  return `$${n.toFixed(2)}`;',
  '}',
].join('\n');

describe('Planning commands against a simulated provider (real provider code over HTTP)', function () {
  this.timeout(180_000);
  let sim: SimServer;
  let file: string;

  before(async () => {
    sim = await startSimServer({ seed: 7, msPerToken: 0.02 });
    await setUser({ provider: 'openai-compatible', model: 'sim-planner', 'openaiCompatible.baseUrl': sim.openAiBaseUrl, 'feedback.waitSeconds': 5 });
    const dir = mkdtempSync(join(tmpdir(), 'paramloop-plan-'));
    file = join(dir, 'pricing.ts');
    writeFileSync(file, sampleCode);
    const log = await (await api()).decisionLog();
    assert.equal(log.state, 'ready', JSON.stringify(log.messages));
  });

  after(async () => {
    await setUser({ provider: undefined, model: undefined, 'openaiCompatible.baseUrl': undefined, 'feedback.waitSeconds': undefined });
    await sim.close();
  });

  const run = runPlanCommand;

  it('Plan Task… through its argument object streams the plan into a plan editor beside the code, and logs the decision with what was sent', async () => {
    // The code on the left, as a user has it; the plan opens beside it.
    for (const command of ['workbench.action.closeAllEditors', 'workbench.action.closePanel', 'workbench.action.closeAuxiliaryBar']) await vscode.commands.executeCommand(command);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    const before = sim.requests.length;
    const result = await run('paramloop.planTask', { task: 'add a CSV export of the totals' });
    assert.equal(result.error, undefined, JSON.stringify(result.error));
    assert.match(result.plan, /^1\. /);
    assert.ok(result.uri?.startsWith('paramloop-plan:'), result.uri);
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === result.uri);
    assert.ok(editor, 'the plan is shown in an editor');
    // The plan document is rewritten as the plan streams; the editor reloads it on each change.
    for (let waited = 0; !editor.document.getText().includes(result.plan.slice(-60)) && waited < 5000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(editor.document.getText().includes(result.plan.slice(-60)), `the editor holds the plan: ${editor.document.getText().slice(0, 300)}`);
    assert.match(editor.document.getText(), /_Served by the (baseline|learned policy) in shadow · temperature/);
    assert.match(editor.document.getText(), /^# Plan Task: add a CSV export of the totals/);
    // What reached the server: the arm's temperature and top_p, always sent (Ollama reads an omitted one as 1).
    const request = sim.requests[before]!;
    const body = request.body as { temperature?: number; top_p?: number; max_tokens?: number; stream?: boolean; stream_options?: unknown; messages: Array<{ content: string }> };
    assert.equal(body.temperature, result.params.temperature);
    assert.equal(body.top_p, result.params.topP);
    assert.equal(body.max_tokens, result.params.maxTokens);
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.match(body.messages.map((m) => m.content).join('\n'), /Task type: planTask/);
    assert.ok(result.propensity > 0 && result.propensity <= 1);
    assert.ok(result.outcome.tokensOut > 0 && result.outcome.timeToFirstTokenMs !== undefined);
    const logged = (await (await api()).loggedRequest(result.requestId)) as { decision: { honouredParams?: string[]; armId: string } } | undefined;
    assert.equal(logged?.decision.armId, result.armId);
    assert.deepEqual([...(logged?.decision.honouredParams ?? [])].sort(), [...result.honoured].sort());
    assert.equal(editor.viewColumn, vscode.ViewColumn.Two, 'beside the code');
    if (hasRunner()) await askRunner('screenshot', ['plan-editor']);
  });

  it('Plan Selection, Break Down TODO and Plan Tests for File take their code from the argument object', async () => {
    const selection = await run('paramloop.planSelection', { file, selection: { startLine: 1, endLine: 6 }, task: 'split the loop out', show: false });
    const todo = await run('paramloop.breakDownTodo', { file, selection: { startLine: 4, endLine: 4 }, show: false });
    const tests = await run('paramloop.planTests', { file, show: false });
    const prompts = sim.requests.slice(-3).map((r) => (r.body as { messages: Array<{ content: string }> }).messages.map((m) => m.content).join('\n'));
    assert.match(prompts[0]!, /Task type: planSelection[\s\S]*lines 1–6 selected[\s\S]*<<< selection starts\nexport function total/);
    assert.match(prompts[1]!, /Task type: breakDownTodo[\s\S]*TODO: apply the discount rules from pricing\.md and round to cents/);
    assert.match(prompts[2]!, /Task type: planTests[\s\S]*export function formatTotal/);
    for (const r of [selection, todo, tests]) assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.deepEqual((await (await api()).plansWaiting()).filter((id) => [selection, todo, tests].some((r) => r.requestId === id)).length, 3);
  });

  it('Accept and Reject land in the store with the verdict, the quality they set and the reward', async () => {
    const accepted = await run('paramloop.planTask', { task: 'cache the totals per cart', show: false });
    const rejected = await run('paramloop.planTask', { task: 'rewrite pricing in Rust', show: false });
    await vscode.commands.executeCommand('paramloop.acceptPlan', { requestId: accepted.requestId });
    await vscode.commands.executeCommand('paramloop.rejectPlan', { requestId: rejected.requestId });
    const a = (await (await api()).loggedRequest(accepted.requestId)) as { outcome?: { verdict?: string; quality: number }; reward?: { reward: number } };
    const r = (await (await api()).loggedRequest(rejected.requestId)) as { outcome?: { verdict?: string; quality: number }; reward?: { reward: number } };
    assert.equal(a?.outcome?.verdict, 'accept');
    assert.equal(r?.outcome?.verdict, 'reject');
    // accept: 0.7 + 0.3 · checks; reject: 0.3 · checks.
    assert.ok(Math.abs(a.outcome!.quality - (0.7 + 0.3 * accepted.quality)) < 1e-9, `${a.outcome!.quality} vs checks ${accepted.quality}`);
    assert.ok(Math.abs(r.outcome!.quality - 0.3 * rejected.quality) < 1e-9);
    assert.ok(a.reward!.reward > r.reward!.reward);
  });

  it("after 480 Plan Selection requests the learner favours an arm whose expected reward is within 0.01 of the simulator's best in the trust region", async () => {
    // Ground truth: each trust-region arm's expected reward on planSelection, from 400 plans the
    // simulator draws for it, checked as the extension checks them (tokens weigh 0.01 per 1,000).
    const space = buildSpace({});
    const rng = createRng(99);
    const expected = new Map<string, number>();
    for (const a of space.trustRegionArms) {
      const arm = space.arms[a]!;
      let sum = 0;
      for (let i = 0; i < 400; i++) {
        const plan = drawPlan('planSelection', arm.params, rng);
        sum += checkPlan(plan.text, 'planSelection', plan.truncated ? 'length' : 'stop').quality - 0.01 * (plan.text.length / 4 + 300) / 1000;
      }
      expected.set(arm.id, sum / 400);
    }
    const best = Math.max(...expected.values());
    const status0 = await (await (await api()).learner())!.status();
    for (let i = 0; i < 480; i++) {
      const result = await run('paramloop.planSelection', { file, selection: { startLine: 1 + (i % 5), endLine: 6 }, task: `refactor step ${i}`, show: false });
      assert.equal(result.error, undefined, JSON.stringify(result.error));
    }
    // No verdicts: each outcome is recorded with its checks once the wait (5 s here) is over.
    const learner = (await (await api()).learner())!;
    const deadline = Date.now() + 30_000;
    let status = await learner.status();
    while (status.outcomes < status0.outcomes + 480 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = await learner.status();
    }
    assert.ok(status.outcomes >= status0.outcomes + 480, `${status.outcomes - status0.outcomes} outcomes`);
    const favoured = status.favoured.find((f) => f.taskType === 'planSelection');
    assert.ok(favoured, JSON.stringify(status.favoured));
    const got = expected.get(favoured.favoured.armId);
    console.log(`PARAMLOOP_METRIC favouredPlanSelection=${favoured.favoured.armId} expected=${got?.toFixed(3)} best=${best.toFixed(3)} baseline=${favoured.baseline.armId} expected=${expected.get(favoured.baseline.armId)?.toFixed(3)}`);
    assert.ok(got !== undefined && got >= best - 0.01, `favoured ${favoured.favoured.armId} (${got}) vs best ${best}: ${[...expected].map(([id, v]) => `${id} ${v.toFixed(3)}`).join(', ')}`);
    assert.ok(got > expected.get(favoured.baseline.armId)! + 0.1, 'well above the baseline arm');
  });

  it('an outage gives a clear error and the next request is served with the baseline parameters, until the provider answers again', async () => {
    sim.setFault({ kind: 'serverError', status: 500, times: 3 });
    const failed = await run('paramloop.planTask', { task: 'during an outage', show: false });
    assert.equal(failed.error?.kind, 'server');
    assert.match(failed.error!.message, /500/);
    assert.match(failed.outcome.error ?? '', /^server: /);
    const retried = await run('paramloop.planTask', { task: 'during an outage', show: false });
    assert.equal(retried.baselineOnly, true);
    assert.equal(retried.servedBy, 'baseline');
    assert.equal(retried.armId, 't0.2-p1-m2048');
    assert.equal(retried.propensity, 1);
    assert.equal(retried.error, undefined, 'the server answers again');
    const after = await run('paramloop.planTask', { task: 'after the outage', show: false });
    assert.equal(after.baselineOnly, false);
  });

  it('the API key set by the command reaches the provider and appears nowhere in settings, the log files or the store', async () => {
    const keyed = await startSimServer({ requireKey: 'sk-paramloop-test-6b1f0c' });
    try {
      await setUser({ 'openaiCompatible.baseUrl': keyed.openAiBaseUrl });
      const refused = await run('paramloop.planTask', { task: 'without a key', show: false });
      assert.equal(refused.error?.kind, 'auth');
      await vscode.commands.executeCommand('paramloop.setApiKey', { provider: 'openai-compatible', key: 'sk-paramloop-test-6b1f0c' });
      const ok = await run('paramloop.planTask', { task: 'with a key', show: false });
      assert.equal(ok.error, undefined, JSON.stringify(ok.error));
      assert.equal(keyed.requests.at(-1)?.headers.authorization, 'Bearer sk-paramloop-test-6b1f0c');
      await vscode.commands.executeCommand('paramloop.acceptPlan', { requestId: ok.requestId });
      const log = await (await api()).decisionLog();
      // <user data>/User/globalStorage/paramloop.paramloop/decision-log → <user data>
      const userData = dirname(dirname(dirname(dirname(log.dir))));
      const found: string[] = [];
      const search = (dir: string): void => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          const stat = statSync(path);
          if (stat.isDirectory()) search(path);
          else if (!stat.isFile()) continue;
          // state.vscdb is VS Code's own store, where SecretStorage keeps secrets.
          else if (stat.size < 200_000_000 && name !== 'state.vscdb' && readFileSync(path).includes('sk-paramloop-test-6b1f0c')) found.push(path);
        }
      };
      // Exports of every format, with the plans made with the key among them.
      const exports = mkdtempSync(join(tmpdir(), 'paramloop-key-export-'));
      for (const format of ['jsonl', 'csv', 'dsjson'] as const) {
        const exported = (await vscode.commands.executeCommand('paramloop.exportLogs', { format, out: join(exports, `log.${format}`) })) as { ok: boolean };
        assert.equal(exported.ok, true, JSON.stringify(exported));
      }
      search(userData);
      search(exports);
      assert.deepEqual(found, []);
      assert.equal(JSON.stringify(config()).includes('sk-paramloop'), false);
    } finally {
      await vscode.commands.executeCommand('paramloop.clearApiKey', { provider: 'openai-compatible' });
      await setUser({ 'openaiCompatible.baseUrl': sim.openAiBaseUrl });
      await keyed.close();
    }
  });

  it('Export Logs writes the log as JSONL, CSV and DSJSON over a time range, each whole, and names a bad argument', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paramloop-export-'));
    type Exported = { ok: true; summary: { decisions: number; skippedUnlabelled: number } } | { ok: false; cancelled: boolean; error?: string };
    const exportAs = async (args: Record<string, unknown>): Promise<Exported> => (await vscode.commands.executeCommand('paramloop.exportLogs', args)) as Exported;
    const jsonl = await exportAs({ format: 'jsonl', out: join(dir, 'all.jsonl') });
    assert.ok(jsonl.ok, JSON.stringify(jsonl));
    const lines = readFileSync(join(dir, 'all.jsonl'), 'utf8').trimEnd().split('\n');
    assert.match(lines[0]!, /"format":"paramloop\.decisions"/);
    assert.equal(lines.length - 1, jsonl.summary.decisions);
    assert.ok(jsonl.summary.decisions >= 480, `${jsonl.summary.decisions} decisions`);
    const records = lines.slice(1).map((line) => JSON.parse(line) as { decision: { requestId: string; timestamp: number; armIndex: number; propensity: number }; outcome?: unknown });
    const csv = await exportAs({ format: 'csv', out: join(dir, 'all.csv') });
    assert.ok(csv.ok);
    assert.equal(readFileSync(join(dir, 'all.csv'), 'utf8').trimEnd().split('\r\n').length, records.length + 1);
    const dsjson = await exportAs({ format: 'dsjson', out: join(dir, 'all.dsjson') });
    assert.ok(dsjson.ok);
    const events = readFileSync(join(dir, 'all.dsjson'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(events.length, records.filter((r) => r.outcome !== undefined).length);
    assert.equal(dsjson.summary.skippedUnlabelled, records.length - events.length);
    for (const event of events.slice(0, 50)) {
      for (const field of ['_label_cost', '_label_probability', '_label_Action', '_labelIndex', 'a', 'c', 'p']) assert.ok(field in event, `${field} in ${JSON.stringify(event).slice(0, 200)}`);
    }
    // A range: the middle third of the log by time.
    const times = records.map((r) => r.decision.timestamp).sort((a, b) => a - b);
    const since = times[Math.floor(times.length / 3)]!;
    const until = times[Math.floor((2 * times.length) / 3)]!;
    const ranged = await exportAs({ format: 'jsonl', out: join(dir, 'range.jsonl'), since: new Date(since).toISOString(), until });
    assert.ok(ranged.ok, JSON.stringify(ranged));
    assert.equal(ranged.summary.decisions, times.filter((t) => t >= since && t < until).length);
    const bad = await exportAs({ format: 'xml', out: join(dir, 'bad.xml') });
    assert.equal(bad.ok, false);
    assert.match((bad as { error: string }).error, /format: /);
    const backwards = await exportAs({ format: 'csv', out: join(dir, 'bad.csv'), since: until, until: since });
    assert.match((backwards as { error: string }).error, /since must be before until/);
    const unwritable = await exportAs({ format: 'csv', out: join(dir, 'no-such-folder', 'x.csv') });
    assert.match((unwritable as { error: string }).error, /could not export to .*x\.csv: its folder does not exist\. Nothing was written\./);
    assert.deepEqual(readdirSync(dir).sort(), ['all.csv', 'all.dsjson', 'all.jsonl', 'range.jsonl']);
  });

  it('the first-use walkthrough opens: choose a provider, run a first plan, judge it, see it in the sidebar', async function () {
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${extensionId}#paramloop.firstPlan`, false);
    if (!hasRunner()) this.skip();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await askRunner('screenshot', ['walkthrough']);
  });

  it("with VS Code's language models as the provider and none that paramloop.model names, a plan fails with a message saying what to do, logged as an error", async () => {
    await setUser({ provider: 'vscode-lm', model: 'gpt-4o' });
    try {
      const available = await vscode.lm.selectChatModels();
      const result = await run('paramloop.planTask', { task: 'with the editor models', show: false });
      if (available.length === 0) {
        assert.equal(result.error?.kind, 'noModel');
        assert.match(result.error!.message, /no VS Code language model is available: sign in to a chat extension/);
        assert.equal(result.outcome.finishReason, 'error');
      } else if (!available.some((m) => m.id === 'gpt-4o' || m.family === 'gpt-4o')) {
        // The runs here load a test language model (test/fixtures/simLanguageModel): other models, not gpt-4o.
        assert.equal(result.error?.kind, 'noModel');
        assert.match(result.error!.message, /no VS Code language model matches "gpt-4o"; available: .*\(.*\)\. Set paramloop\.model to one of them\./);
        for (const m of available.slice(0, 8)) assert.ok(result.error!.message.includes(m.id), `${m.id} is named`);
        assert.equal(result.outcome.finishReason, 'error');
      } else {
        // A host with models (desktop VS Code signed in): the plan comes from one of them.
        assert.equal(result.error, undefined, JSON.stringify(result.error));
      }
    } finally {
      await setUser({ provider: 'openai-compatible', model: 'sim-planner' });
    }
  });

  // Last: it only reads what the tests above logged (hundreds of decisions, outcomes, verdicts).
  it('paramloop.openDashboard opens the Paramloop Dashboard panel, which renders the live log: the decisions logged above, no section failing', async function () {
    const learner = await (await api()).learner();
    assert.ok(learner, "this window's learner is unavailable");
    const decisions = (await learner.status()).decisions;
    assert.ok(decisions >= 480, `${decisions} decisions`);
    await vscode.commands.executeCommand('paramloop.openDashboard');
    const dashboardTab = (): vscode.Tab | undefined => vscode.window.tabGroups.all.flatMap((group) => group.tabs).find((t) => t.label === 'Paramloop Dashboard');
    for (let waited = 0; dashboardTab() === undefined && waited < 5000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    const tab = dashboardTab();
    assert.ok(tab?.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('paramloop.dashboard'), `a tab shows the dashboard webview (tabs: ${vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label)).join(', ')})`);
    if (!hasRunner()) this.skip();
    const seen = await askRunner<{ ok: boolean; text?: string; error?: string }>('webviewText', ['30000', 'dashboard']);
    assert.ok(seen.ok, seen.error);
    const text = seen.text ?? '';
    assert.match(text, /Paramloop Dashboard/);
    assert.match(text, /Phase\s+shadow/);
    assert.match(text, new RegExp(`Decisions\\s+${decisions.toLocaleString('en-US')} \\(`));
    assert.doesNotMatch(text, /Could not load/);
    const shot = await askRunner<{ ok: boolean; webviewRendered?: boolean }>('screenshot', ['dashboard-rollout', 'dashboard']);
    assert.equal(shot.webviewRendered, true);

    // From a plan: its Explain (a CodeLens above the plan) opens that decision explained.
    const planned = await run('paramloop.planTask', { task: 'explain me' });
    const planDoc = vscode.window.visibleTextEditors.map((e) => e.document).find((d) => d.uri.scheme === 'paramloop-plan' && d.getText().includes('explain me'));
    assert.ok(planDoc, 'the plan editor is open');
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', planDoc.uri)) ?? [];
    const explain = lenses.find((l) => l.command?.title.includes('Explain'));
    assert.ok(explain?.command, `an Explain lens (lenses: ${lenses.map((l) => l.command?.title).join(', ')})`);
    assert.deepEqual([explain.command.command, explain.command.arguments], ['paramloop.openDashboard', [{ explain: planned.requestId }]]);
    await vscode.commands.executeCommand(explain.command.command, ...(explain.command.arguments ?? []));
    let explained = '';
    for (let waited = 0; waited < 20_000 && !explained.includes(planned.requestId); waited += 500) {
      const now = await askRunner<{ ok: boolean; text?: string }>('webviewText', ['5000', 'dashboard']);
      explained = now.text ?? '';
      if (!explained.includes(planned.requestId)) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.match(explained, /One decision explained/);
    assert.ok(explained.includes(planned.requestId), 'the explanation names the plan\'s request');
    await askRunner('screenshot', ['dashboard-explain', 'dashboard']);
    await vscode.window.tabGroups.close(vscode.window.tabGroups.all.flatMap((group) => group.tabs).find((t) => t.label === 'Paramloop Dashboard')!);
  });
});
