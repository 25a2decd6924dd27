// Specifications of the built sidebar webview (dist/webview/main.js) in headless Chromium, in a page
// with the sidebar's Content-Security-Policy and a recording `acquireVsCodeApi`.
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { parseWebviewMessage } from '../../src/shared/protocol';
import type { WebviewHarness } from './webviewPage';
import { record, sendToWebview, startWebviewHarness } from './webviewPage';

const validStatus = {
  type: 'status',
  extensionVersion: '9.9.9',
  phase: 'canary',
  decisionsLogged: 42,
  store: { state: 'ready', detail: '' },
  note: 'Canary serves 5% of requests with the learned policy.',
} as const;

async function appText(page: Page): Promise<string> {
  return page.locator('main#app').innerText();
}

async function waitForWarnings(page: Page, count: number): Promise<void> {
  await page.waitForFunction(`window.__paramloop.warnings.length >= ${count}`, undefined, { timeout: 10_000 });
}

describe('sidebar webview bundle in Chromium', () => {
  let harness: WebviewHarness;
  before(async () => {
    harness = await startWebviewHarness();
  });
  after(async () => {
    await harness.close();
  });

  it('posts {type: "ready", protocolVersion: 1} first, which the host protocol accepts', async () => {
    const { page, errors } = await harness.open();
    const { posted } = await record(page);
    assert.deepEqual(posted[0], { type: 'ready', protocolVersion: 1 });
    assert.equal(posted.length, 1);
    assert.equal(parseWebviewMessage(posted[0]).ok, true);
    assert.match(await appText(page), /Loading Paramloop/);
    assert.deepEqual(errors, []);
  });

  it('renders a valid status: phase canary, 42 decisions logged, version 9.9.9, and the note', async () => {
    const { page, errors } = await harness.open();
    await sendToWebview(page, validStatus);
    await page.waitForSelector('main#app[data-state="ready"]');
    const rows = await page.locator('dl.status > *').allTextContents();
    assert.deepEqual(rows, ['Rollout phase', 'canary', 'Decisions logged', '42', 'Decision log', 'ready', 'Version', '9.9.9']);
    assert.match(await appText(page), /Canary serves 5% of requests with the learned policy\./);
    assert.equal(await page.locator('p.warning').count(), 0);
    assert.deepEqual(errors, []);
  });

  it('renders the learner: who serves, counts, progress towards the gate, the last verdict, budgets, waivers and the favoured arms as a table', async () => {
    const { page, errors } = await harness.open();
    const estimate = (armId: string, mean: number, sd: number) => ({ armId, mean, sd });
    const learner = {
      servedBy: 'another window (process 4242)',
      servedByThisWindow: false,
      rolloutStatus: 'paused',
      policyVersion: 17,
      progress: { samples: 4, minSamples: 10, days: 2.25, minDays: 3 },
      decisions: 42,
      outcomes: 40,
      pending: 2,
      incidents: 1,
      favoured: [
        { taskType: 'planTask', favoured: estimate('t0.2-p0.9-m2048', 0.71, 0.05), baseline: estimate('baseline', 0.6, 0.04) },
        { taskType: 'planTests', favoured: estimate('baseline', 0.55, 0.1), baseline: estimate('baseline', 0.55, 0.1) },
      ],
      lastVerdict: { passed: false, summary: 'lower bound -0.02 ≤ 0' },
      budget: [{ taskType: 'planTask', daySpent: 1200, dayLimit: 40000 }, { taskType: 'planTests', daySpent: 0, dayLimit: null }],
      waivers: [{ id: 'w1', status: 'active', taskType: 'all', delta: 5000, expiresAt: Date.UTC(2026, 11, 3, 9, 30) }],
    };
    await sendToWebview(page, { ...validStatus, learner });
    await page.waitForSelector('main#app[data-state="ready"]');
    const rows = await page.locator('dl.status > *').allTextContents();
    const pairs = new Map<string, string>();
    for (let i = 0; i + 1 < rows.length; i += 2) pairs.set(rows[i]!, rows[i + 1]!);
    assert.equal(pairs.get('Learner served by'), 'another window (process 4242)');
    assert.equal(pairs.get('Outcomes'), '40');
    assert.equal(pairs.get('Awaiting outcome'), '2');
    assert.equal(pairs.get('Towards the next gate'), '4 of 10 samples, 2.3 of 3 days');
    assert.equal(pairs.get('Rollout'), 'paused');
    assert.equal(pairs.get('Rollbacks'), '1');
    assert.equal(pairs.get('Last gate verdict'), 'not passed: lower bound -0.02 ≤ 0');
    assert.equal(pairs.get('Tokens today'), 'Plan a task 1,200 of 40,000');
    assert.equal(pairs.get('Waivers'), 'w1 (active, +5,000 tokens, all, until 2026-12-03 09:30 UTC)');
    assert.equal(await page.locator('table.favoured caption').innerText(), 'Favoured parameters per task type (expected reward, mean ± sd)');
    const cells = await page.locator('table.favoured tr').allInnerTexts();
    assert.equal(cells.length, 3);
    assert.match(cells[1]!, /Plan a task\s+t0\.2-p0\.9-m2048 \(0\.710 ± 0\.050\)\s+baseline \(0\.600 ± 0\.040\)/);
    // Past the gate's minimum, the count says what was needed, not "544 of 60".
    await sendToWebview(page, { ...validStatus, learner: { ...learner, progress: { samples: 544, minSamples: 60, days: 3.04, minDays: 2 } } });
    await page.waitForFunction("document.querySelector('dl.status')?.textContent?.includes('544 samples')", undefined, { timeout: 10_000 });
    const after = await page.locator('dl.status > *').allTextContents();
    assert.equal(after[after.indexOf('Towards the next gate') + 1], '544 samples (60 needed), 3.0 days (2 needed)');
    assert.deepEqual(errors, []);
  });

  it('refuses a learner status outside the protocol (a negative count), keeping what it showed', async () => {
    const { page } = await harness.open();
    await sendToWebview(page, validStatus);
    await page.waitForSelector('main#app[data-state="ready"]');
    const before = await appText(page);
    await sendToWebview(page, { ...validStatus, decisionsLogged: 43, learner: { servedBy: 'x' } });
    await waitForWarnings(page, 1);
    assert.equal(await appText(page), before);
  });

  it('shows why the decision log is unavailable, as a warning', async () => {
    const { page, errors } = await harness.open();
    await sendToWebview(page, { ...validStatus, store: { state: 'unavailable', detail: 'The store in /x is in use: process 12.' } });
    await page.waitForSelector('main#app[data-state="ready"]');
    const rows = await page.locator('dl.status > *').allTextContents();
    assert.deepEqual(rows.slice(4, 6), ['Decision log', 'unavailable']);
    assert.equal(await page.locator('p.warning').innerText(), 'The store in /x is in use: process 12.');
    assert.deepEqual(errors, []);
  });

  it('ignores 8 invalid messages (wrong phase, extra field, negative count, unknown store state, garbage): nothing renders, nothing throws', async () => {
    const { page, errors } = await harness.open();
    const invalid: unknown[] = [
      { ...validStatus, phase: 'beta' },
      { ...validStatus, extra: true },
      { ...validStatus, decisionsLogged: -1 },
      { ...validStatus, store: { state: 'lost', detail: '' } },
      { type: 'status' },
      'status',
      null,
      42,
    ];
    for (const message of invalid) await sendToWebview(page, message);
    await waitForWarnings(page, invalid.length);
    const { warnings, posted } = await record(page);
    assert.equal(warnings.filter((w) => w.includes('ignored a message')).length, invalid.length);
    assert.equal(await page.locator('main#app').getAttribute('data-state'), null);
    assert.match(await appText(page), /^Loading Paramloop…$/);
    assert.equal(posted.length, 1, 'only the ready message was posted');
    assert.deepEqual(errors, []);
    // The page is still live: a valid status after the garbage renders.
    await sendToWebview(page, validStatus);
    await page.waitForSelector('main#app[data-state="ready"]');
  });

  it('renders markup in a note as text, not as elements', async () => {
    const { page, errors } = await harness.open();
    await sendToWebview(page, { ...validStatus, note: '<img src="x" onerror="throw 1"><b>bold</b>' });
    await page.waitForSelector('main#app[data-state="ready"]');
    assert.equal(await page.locator('main#app img, main#app b').count(), 0);
    assert.match(await appText(page), /<img src="x" onerror="throw 1"><b>bold<\/b>/);
    assert.deepEqual(errors, []);
  });

  it('clicking "Show log" twice posts two runCommand messages for paramloop.showLog with distinct request ids', async () => {
    const { page, errors } = await harness.open();
    await sendToWebview(page, validStatus);
    const button = page.getByRole('button', { name: 'Show log' });
    await button.click();
    await button.click();
    const { posted } = await record(page);
    assert.equal(posted.length, 3);
    const parsed = posted.slice(1).map((message) => parseWebviewMessage(message));
    const commands = parsed.map((result) => {
      assert.ok(result.ok, result.ok ? '' : result.error);
      assert.equal(result.message.type, 'runCommand');
      return result.message;
    });
    assert.deepEqual(
      commands.map((m) => (m.type === 'runCommand' ? m.command : m.type)),
      ['paramloop.showLog', 'paramloop.showLog'],
    );
    const ids = commands.map((m) => (m.type === 'runCommand' ? m.requestId : ''));
    assert.notEqual(ids[0], ids[1]);
    assert.deepEqual(errors, []);
  });

  it('"Open dashboard" posts a runCommand for paramloop.openDashboard, which the host protocol accepts', async () => {
    const { page, errors } = await harness.open();
    await sendToWebview(page, validStatus);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    const { posted } = await record(page);
    assert.equal(posted.length, 2);
    const parsed = parseWebviewMessage(posted[1]);
    assert.ok(parsed.ok && parsed.message.type === 'runCommand' && parsed.message.command === 'paramloop.openDashboard');
    assert.deepEqual(errors, []);
  });

  it('loads, renders and runs under the sidebar CSP with 0 violations (and the listener sees an injected inline script)', async () => {
    const { page, errors } = await harness.open();
    await sendToWebview(page, validStatus);
    await page.getByRole('button', { name: 'Show log' }).click();
    assert.deepEqual((await record(page)).cspViolations, []);
    // Proof that violations would be seen: an inline script without the nonce is blocked and reported.
    await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { createElement(tag: string): { textContent: string }; body: { append(node: unknown): void } } }).document;
      const script = doc.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      doc.body.append(script);
    });
    // Poll through page.evaluate (a DevTools evaluation, outside the page's CSP); waitForFunction would
    // evaluate its predicate inside the page, where this very CSP forbids eval.
    for (let waited = 0; (await record(page)).cspViolations.length === 0 && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { cspViolations } = await record(page);
    assert.deepEqual(cspViolations.map((v) => v.directive), ['script-src-elem']);
    assert.equal(await page.evaluate('window.__inlineRan === true'), false);
    assert.deepEqual(errors, []);
  });
});
