// Specifications of the built dashboard panel (dist/webview/dashboard.js) in headless Chromium, in a
// page with the panel's Content-Security-Policy and a fake host answering each request with fixture
// data (src/shared/testing/dashboardFixtures.ts, and richer results built here, each checked against
// its method's result schema first).
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { dashboardMethods, requestEnvelopeSchema, type DashboardMethodName, type DashboardResult } from '../../src/shared/dashboardProtocol';
import { dashboardFixtures } from '../../src/shared/testing/dashboardFixtures';
import { probeWebview } from '../host/webviewProbes';
import type { WebviewHarness } from './webviewPage';
import { record, sendToWebview, startWebviewHarness } from './webviewPage';

const hour = 3_600_000;
const t0 = 1_767_500_000_000;
const buckets = 24;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const rewardOverTime: DashboardResult<'rewardOverTime'> = {
  bucketStarts: range(buckets).map((i) => t0 + i * hour),
  bucketMs: hour,
  decisions: range(buckets).map(() => 10),
  learned: { n: range(buckets).map(() => 2), mean: range(buckets).map((i) => 0.5 + i / 100), lower: range(buckets).map((i) => 0.4 + i / 100), upper: range(buckets).map((i) => 0.6 + i / 100) },
  baseline: { n: range(buckets).map(() => 8), mean: range(buckets).map(() => 0.55), lower: range(buckets).map(() => 0.5), upper: range(buckets).map(() => 0.6) },
};

const arms: DashboardResult<'arms'> = {
  ...dashboardFixtures.arms,
  share: {
    bucketStarts: range(10).map((i) => t0 + i * 86_400_000),
    bucketMs: 86_400_000,
    series: [
      { armIndex: 0, counts: range(10).map(() => 6) },
      { armIndex: 1, counts: range(10).map(() => 3) },
    ],
    other: range(10).map(() => 1),
    totals: range(10).map(() => 10),
  },
};

const pareto: DashboardResult<'pareto'> = {
  points: [
    ...dashboardFixtures.pareto.points,
    { armIndex: 2, armId: 't0.0', outcomes: 4, quality: 0.7, latencyMs: 1500, tokens: 1200, reward: 0.6, isBaseline: false, dominated: false, dominatedBy: [] },
  ],
};

const overview: DashboardResult<'overview'> = {
  ...dashboardFixtures.overview,
  rollout: {
    ...dashboardFixtures.overview.rollout,
    lastVerdict: {
      phase: 'canary',
      passed: false,
      summary: 'not yet: 4 of 10 samples',
      checks: [
        { name: 'samples', passed: false, value: 4, threshold: 10, detail: '4 learned outcomes of the 10 needed' },
        { name: 'trustRegion', passed: true, value: null, threshold: null, detail: 'every arm inside the trust region' },
      ],
    },
  },
  waivers: [{ id: 'w-1', status: 'active', taskType: 'planTask', period: 'day', delta: 5000, reason: 'deadline', note: 'release week', requestedBy: 'ana', approver: 'bo', expiresAt: Date.UTC(2026, 0, 8, 12, 0) }],
  drift: { warnings: ['promptSize shifted (PSI 0.31)'], pausePromotion: true, noiseLevel: 0.02, features: [{ name: 'promptSize', psi: 0.31, level: 'major' }] },
};

const ope: DashboardResult<'ope'> = {
  available: true,
  summary: 'thompson trained on 400 decisions, scored on the newer 400',
  supportWarning: 'Too little support: the effective sample size 6.2 is below 8.',
  policyKind: 'thompson',
  trainedOn: 400,
  scoredOn: 400,
  sessions: 37,
  effectiveSampleSize: 6.2,
  minEffectiveSampleSize: 8,
  massOffSupport: 0.12,
  loggedMean: 0.55,
  level: 0.05,
  estimators: ['IPS', 'SNIPS', 'DM', 'DR', 'SNDR'].map((name, i) => ({ name, estimate: 0.56 + i / 100, lower: 0.5, upper: 0.62 + i / 100 })),
};

const decisionRow = dashboardFixtures.recentDecisions.rows[0]!;
const recentDecisions: DashboardResult<'recentDecisions'> = {
  rows: [7, 6, 5].map((seq) => ({ ...decisionRow, seq, requestId: `r-${seq}`, timestamp: decisionRow.timestamp - (7 - seq) * 60_000 })),
  nextBefore: 5,
};

const explainDecision: DashboardResult<'explainDecision'> = {
  found: true,
  decision: {
    requestId: 'r-6',
    timestamp: decisionRow.timestamp,
    taskType: 'planTask',
    context: [{ name: 'promptSize', value: 0.4 }],
    contextFingerprint: 'c0ffee',
    policyId: 'thompson',
    policyVersion: 12,
    phase: 'canary',
    servedBy: 'baseline',
    why: 'Canary: this session is outside the 5% served by the learned policy, so the baseline served (exploring).',
    armIndex: 1,
    armId: 't0.4',
    baselineArmIndex: 0,
    params: { temperature: 0.4, maxTokens: 2048 },
    propensity: 0.15,
    probabilities: [
      { armIndex: 0, armId: 'base', probability: 0.85 },
      { armIndex: 1, armId: 't0.4', probability: 0.15 },
    ],
    honoured: ['temperature', 'maxTokens'],
    dropped: [],
    modelUsed: 'llama3.2',
    waivers: [],
    eligibleArms: [0, 1],
    outcome: { timestamp: decisionRow.timestamp + 2000, latencyMs: 1800, timeToFirstTokenMs: 300, tokensIn: 500, tokensOut: 450, finishReason: 'stop', error: null, quality: 0.6, verdict: 'accept', rating: null, defaulted: false },
    reward: { reward: 0.5, violations: [] },
  },
};

const history: DashboardResult<'history'> = {
  entries: [
    { kind: 'gateLook', seq: 9, timestamp: t0 + 5 * hour, phase: 'canary', look: '1', rows: 40, verdict: overview.rollout.lastVerdict! },
    { kind: 'incident', seq: 8, timestamp: t0 + 4 * hour, metric: 'latencyP95', from: 'guarded', to: 'canary', message: 'latency p95 exceeded' },
    ...dashboardFixtures.history.entries,
  ],
  nextBefore: 3,
};

const rich: { [M in DashboardMethodName]: DashboardResult<M> } = {
  ...dashboardFixtures,
  overview,
  rewardOverTime,
  arms,
  pareto,
  ope,
  recentDecisions,
  explainDecision,
  history,
  runCommand: { command: 'paramloop.promote', done: true },
};

const sections = ['rollout', 'slo', 'budgets', 'waivers', 'drift', 'reward', 'arms', 'share', 'favoured', 'pareto', 'ope', 'attribution', 'decisions', 'history'];
const requested = (posted: unknown[], method: string): Array<{ method: string; params: Record<string, unknown>; id: number }> =>
  posted.filter((m): m is { type: string; method: string; params: Record<string, unknown>; id: number } => (m as { type?: string }).type === 'request' && (m as { method?: string }).method === method);

async function allReady(page: Page): Promise<void> {
  for (const id of sections) await page.waitForSelector(`section[data-section="${id}"][data-state]`, { state: 'attached', timeout: 15_000 });
}

async function sectionText(page: Page, id: string): Promise<string> {
  return (await page.locator(`section[data-section="${id}"]`).textContent()) ?? '';
}

async function pollRecord(page: Page, done: (r: Awaited<ReturnType<typeof record>>) => boolean, timeoutMs = 10_000): Promise<Awaited<ReturnType<typeof record>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await record(page);
    if (done(r) || Date.now() > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('dashboard panel bundle in Chromium', () => {
  let harness: WebviewHarness;
  before(async () => {
    for (const name of Object.keys(rich) as DashboardMethodName[]) {
      const checked = dashboardMethods[name].result.safeParse(rich[name]);
      assert.ok(checked.success, `${name}: the test's result is outside the schema: ${checked.success ? '' : checked.error.message}`);
    }
    harness = await startWebviewHarness('dashboard');
  });
  after(async () => {
    await harness.close();
  });

  it("renders every section from the shared fixtures, asking each method once with params the host's schemas accept", async () => {
    const { page, errors } = await harness.open({ answers: dashboardFixtures });
    await allReady(page);
    for (const id of sections) assert.equal(await page.locator(`section[data-section="${id}"]`).getAttribute('data-state'), 'ready', id);
    const { posted, cspViolations } = await record(page);
    for (const method of ['overview', 'rewardOverTime', 'arms', 'pareto', 'ope', 'attribution', 'recentDecisions', 'history']) {
      const asks = requested(posted, method);
      assert.equal(asks.length, 1, method);
      assert.ok(requestEnvelopeSchema.safeParse(asks[0]).success, method);
      assert.ok(dashboardMethods[method as DashboardMethodName].params.safeParse(asks[0]!.params).success, `${method} params ${JSON.stringify(asks[0]!.params)}`);
    }
    assert.match(await sectionText(page, 'rollout'), /canary: 4 of 10 learned outcomes, 2\.0 of 3 days; next gate in about 1 day/);
    assert.match(await sectionText(page, 'ope'), /no decision has a reward yet/);
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(errors, []);
  });

  it('draws each chart with the expected number of points, the same as its table alternative: reward 24, share 10, Pareto 3 and 3, posterior 2', async () => {
    const { page, errors } = await harness.open({ answers: rich });
    await allReady(page);
    const points = async (key: string): Promise<string | null> => page.locator(`figure[data-chart="${key}"]`).getAttribute('data-points');
    assert.equal(await points('reward'), '24');
    assert.equal(await points('share'), '10');
    assert.equal(await points('paretoLatency'), '3');
    assert.equal(await points('paretoTokens'), '3');
    assert.equal(await points('posterior-planTask'), '2');
    assert.equal(await page.locator('table.reward-table tbody tr').count(), 24);
    assert.equal(await page.locator('table.share-table tbody tr').count(), 10);
    assert.equal(await page.locator('table.pareto-table tbody tr').count(), 3);
    assert.equal(await page.locator('table.posterior-table tbody tr').count(), 2);
    // uPlot drew a canvas in each figure, and each figure is labelled for screen readers.
    assert.equal(await page.locator('figure.chart canvas').count(), 5);
    for (const label of await page.locator('figure.chart').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label')))) assert.match(label ?? '', /the table below has the same numbers/);
    assert.match((await page.locator('table.pareto-table').textContent()) ?? '', /t0\.4\s*1\s*0\.500.*dominated by base/);
    assert.deepEqual(errors, []);
  });

  it('shows the rollout (phase, progress, next gate, the last verdict with each check), SLO, budgets, waivers with expiry and drift warnings', async () => {
    const { page, errors } = await harness.open({ answers: rich });
    await allReady(page);
    const rollout = await sectionText(page, 'rollout');
    assert.match(rollout, /Phase\s*canary/);
    assert.match(rollout, /Samples towards the next gate: 4 of 10/);
    assert.match(rollout, /Last gate verdict \(canary\): not passed/);
    const checks = await page.locator('section[data-section="rollout"] table tbody tr').allInnerTexts();
    assert.equal(checks.length, 2);
    assert.match(checks[0]!, /samples\s+✗ failed\s+4\.000\s+10\.000/);
    assert.match(await sectionText(page, 'slo'), /quality.*✓ within/);
    // A metric with no outcomes yet says so, with no bounds or margin to misread.
    assert.match(await sectionText(page, 'slo'), /latencyP95\s*✓ within\s*no outcomes yet\s*no outcomes yet\s*—/);
    assert.match(await sectionText(page, 'budgets'), /Plan a task.*12,000 of 250,000/);
    assert.match(await sectionText(page, 'waivers'), /w-1.*active.*\+5,000 per day.*2026-01-08 12:00 UTC/);
    const drift = await sectionText(page, 'drift');
    assert.match(drift, /promptSize shifted \(PSI 0\.31\)/);
    assert.match(drift, /Drift pauses promotion/);
    assert.deepEqual(errors, []);
  });

  it('shows the OPE table (5 estimators with intervals and ESS) and the too-little-support sentence; arms with mean ± sd and favoured vs baseline parameters', async () => {
    const { page, errors } = await harness.open({ answers: rich });
    await allReady(page);
    assert.equal(await page.locator('table.ope-table tbody tr').count(), 5);
    assert.match((await page.locator('table.ope-table caption').textContent()) ?? '', /95% bootstrap intervals \(ESS 6\.2\)/);
    assert.equal(await page.locator('.support-warning').textContent(), 'Too little support: the effective sample size 6.2 is below 8.');
    assert.match((await page.locator('table.posterior-table').textContent()) ?? '', /t0\.4\s*0\.620 ± 0\.200/);
    assert.match((await page.locator('table.favoured-table').textContent()) ?? '', /temperature=0\.4, maxTokens=2048.*base \(baseline\).*temperature=0\.2/);
    assert.match((await page.locator('table.attribution-table').textContent()) ?? '', /promptSize\s*0\.300\s*0\.200\s*-0\.100/);
    assert.equal(await page.locator('table.history-table tbody tr').count(), 3);
    assert.deepEqual(errors, []);
  });

  it('an explain event from the host (a plan\'s Explain) opens that decision explained on the decisions tab', async () => {
    const { page, errors } = await harness.open({ answers: rich, state: { tab: 'rollout', range: 'all', taskType: 'planTask' } });
    await allReady(page);
    assert.equal(await page.locator('section[data-section="explain"]').isHidden(), true);
    await sendToWebview(page, { type: 'event', name: 'explain', requestId: 'r-6' });
    await page.waitForSelector('section[data-section="explain"][data-state="ready"]');
    const { posted } = await record(page);
    assert.deepEqual(requested(posted, 'explainDecision').map((m) => m.params), [{ requestId: 'r-6' }]);
    assert.match(await sectionText(page, 'explain'), /Propensity\s*0\.1500/);
    assert.equal(await page.locator('section[data-section="explain"]').isVisible(), true, 'the decisions tab is shown');
    assert.deepEqual(errors, []);
  });

  it('opens "one decision explained" from a row of the decisions table, and pages to older decisions', async () => {
    const { page, errors } = await harness.open({ answers: rich, state: { tab: 'decisions', range: 'all', taskType: 'planTask' } });
    await allReady(page);
    assert.equal(await page.locator('table.decisions-table tbody tr').count(), 3);
    assert.equal(await page.locator('section[data-section="explain"]').isHidden(), true);
    await page.getByRole('button', { name: 'r-6' }).click();
    await page.waitForSelector('section[data-section="explain"][data-state="ready"]');
    const { posted } = await record(page);
    assert.deepEqual(requested(posted, 'explainDecision').map((m) => m.params), [{ requestId: 'r-6' }]);
    const explained = await sectionText(page, 'explain');
    assert.match(explained, /outside the 5% served by the learned policy/);
    assert.match(explained, /Propensity\s*0\.1500/);
    assert.equal(await page.locator('table.probability-table tbody tr').count(), 2);
    assert.equal(await page.evaluate<string>('document.activeElement ? document.activeElement.id : ""'), 'h-explain', 'focus moves to the explanation');
    await page.getByRole('button', { name: 'Back to the table' }).click();
    assert.equal(await page.locator('section[data-section="explain"]').isHidden(), true);
    await page.getByRole('button', { name: 'Older' }).click();
    const after = await pollRecord(page, (r) => requested(r.posted, 'recentDecisions').length >= 2);
    assert.deepEqual(requested(after.posted, 'recentDecisions').map((m) => m.params), [{ limit: 25 }, { before: 5, limit: 25 }]);
    assert.deepEqual(errors, []);
  });

  it('the controls send runCommand with the allow-listed command and say the result', async () => {
    const { page, errors } = await harness.open({ answers: rich });
    await allReady(page);
    const commands = await page.locator('.controls vscode-button').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-command')));
    assert.deepEqual(commands, ['paramloop.promote', 'paramloop.rollback', 'paramloop.pause', 'paramloop.resume', 'paramloop.grantWaiver', 'paramloop.revokeWaiver', 'paramloop.exportLogs', 'paramloop.openSettings', 'paramloop.showLog']);
    await page.locator('.controls vscode-button[data-command="paramloop.promote"]').click();
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('.status-line')?.textContent === 'Promote: done.', undefined, { timeout: 10_000 }).catch(() => undefined);
    assert.equal(await page.locator('.status-line').textContent(), 'Promote: done.');
    const { posted } = await record(page);
    assert.deepEqual(requested(posted, 'runCommand').map((m) => m.params), [{ command: 'paramloop.promote' }]);
    assert.deepEqual(errors, []);
  });

  it('keeps the active tab and the range in the webview state, opens on the saved tab, and asks again for the series when the range changes', async () => {
    const { page, errors } = await harness.open({ answers: rich, state: { tab: 'arms', range: '7d', taskType: 'planTests' } });
    await allReady(page);
    assert.equal(await page.locator('#tab-arms').getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('#panel-rollout').isHidden(), true);
    let r = await record(page);
    // 7 days back from the overview's time.
    assert.deepEqual(requested(r.posted, 'rewardOverTime')[0]!.params, { since: overview.at - 7 * 86_400_000, buckets: 100 });
    assert.deepEqual(requested(r.posted, 'attribution')[0]!.params, { taskType: 'planTests' });
    await page.locator('#tab-pareto').click();
    await page.locator('#tab-pareto').press('ArrowRight');
    assert.equal(await page.locator('#tab-ope').getAttribute('aria-selected'), 'true');
    await page.locator('#range').selectOption('all');
    r = await pollRecord(page, (x) => requested(x.posted, 'rewardOverTime').length >= 2);
    assert.deepEqual(requested(r.posted, 'rewardOverTime')[1]!.params, { buckets: 100 });
    assert.deepEqual(r.states.at(-1), { tab: 'ope', range: 'all', taskType: 'planTests' });
    assert.deepEqual(errors, []);
  });

  it('a burst of 5 changed events brings one refresh (throttled), without OPE', async () => {
    const { page, errors } = await harness.open({ answers: rich });
    await allReady(page);
    await pollRecord(page, (r) => requested(r.posted, 'ope').length === 1);
    for (let i = 0; i < 5; i++) await sendToWebview(page, { type: 'event', name: 'changed', at: Date.now(), decisions: 120 + i });
    const r = await pollRecord(page, (x) => requested(x.posted, 'history').length >= 2, 8000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const final = await record(page);
    assert.equal(requested(r.posted, 'overview').length, 2);
    assert.equal(requested(final.posted, 'overview').length, 2, 'one refresh for the burst');
    assert.equal(requested(final.posted, 'ope').length, 1, 'OPE is not asked again on a change');
    assert.deepEqual(errors, []);
  });

  it('a failed request shows its error in its own section; the others render; messages outside the protocol are ignored with a warning', async () => {
    const answers: Partial<typeof rich> = { ...rich };
    delete answers.pareto;
    const { page, errors } = await harness.open({ answers });
    await allReady(page);
    assert.equal(await page.locator('section[data-section="pareto"]').getAttribute('data-state'), 'error');
    assert.match(await sectionText(page, 'pareto'), /Could not load: pareto: no answer for pareto/);
    await page.waitForSelector('main#app[data-state="ready"]');
    assert.equal(await page.locator('.status-line').textContent(), 'Could not load: pareto (see each section).');
    assert.equal(await page.locator('section[data-section="reward"]').getAttribute('data-state'), 'ready');
    for (const message of [null, 'reply', { type: 'reply', id: 1 }, { type: 'event', name: 'other' }]) await sendToWebview(page, message);
    const r = await pollRecord(page, (x) => x.warnings.length >= 4);
    assert.equal(r.warnings.filter((w) => w.includes('ignored a message')).length, 4);
    assert.deepEqual(errors, []);
  });

  it('at first paint asks for and draws the tab shown first (Pareto: its 2 charts, none of the 3 other charts), and each hidden tab from the answers at hand when it is shown: reward 24 points, share 10, posterior 2', async () => {
    const { page, errors } = await harness.open({ answers: rich, state: { tab: 'pareto', range: 'all', taskType: 'planTask' } });
    await page.waitForSelector('section[data-section="pareto"][data-state="ready"]');
    let r = await record(page);
    // The Pareto front and the overview are asked first (the other tabs once they are drawn); when the front showed its data, no other chart was drawn.
    assert.deepEqual(r.posted.slice(0, 2).map((m) => (m as { method: string }).method).sort(), ['overview', 'pareto']);
    assert.deepEqual([...r.chartsWhenReady.pareto!].sort(), ['paretoLatency', 'paretoTokens']);
    for (const id of ['rollout', 'slo']) assert.ok(r.readyAt[id] === undefined || r.readyAt[id] > r.readyAt.pareto!, `${id} drawn before the tab shown`);
    // Shown: drawn from the answers kept, without asking again.
    await page.locator('#tab-reward').click();
    assert.equal(await page.locator('section[data-section="reward"]').getAttribute('data-state'), 'ready');
    assert.equal(await page.locator('figure[data-chart="reward"]').getAttribute('data-points'), '24');
    assert.equal(await page.locator('table.reward-table tbody tr').count(), 24);
    await page.locator('#tab-arms').click();
    assert.equal(await page.locator('figure[data-chart="share"]').getAttribute('data-points'), '10');
    assert.equal(await page.locator('figure[data-chart="posterior-planTask"]').getAttribute('data-points'), '2');
    assert.equal(await page.locator('#panel-arms figure.chart canvas').count(), 2);
    r = await record(page);
    for (const method of ['rewardOverTime', 'arms', 'pareto']) assert.equal(requested(r.posted, method).length, 1, method);
    assert.deepEqual(errors, []);
  });

  it('opened on the off-policy evaluation tab, asks for OPE first (with the overview, not once the rest is answered) and draws it before any section of a hidden tab', async () => {
    const { page, errors } = await harness.open({ answers: rich, state: { tab: 'ope', range: 'all', taskType: 'planTask' } });
    await allReady(page);
    const r = await record(page);
    assert.deepEqual(r.posted.slice(0, 2).map((m) => (m as { method: string }).method).sort(), ['ope', 'overview']);
    const others = sections.filter((id) => id !== 'ope').map((id) => r.readyAt[id]!);
    assert.ok(r.readyAt.ope! < Math.min(...others), `ope at ${r.readyAt.ope}, the first other section at ${Math.min(...others)}`);
    assert.deepEqual(errors, []);
  });

  it('a live update while a tab is hidden draws nothing there until the tab is shown, then its newest answer (reward: 24 points, then 12)', async () => {
    let rewardAsked = 0;
    const shorter: DashboardResult<'rewardOverTime'> = {
      ...rewardOverTime,
      bucketStarts: rewardOverTime.bucketStarts.slice(0, 12),
      decisions: rewardOverTime.decisions.slice(0, 12),
      learned: { n: rewardOverTime.learned.n.slice(0, 12), mean: rewardOverTime.learned.mean.slice(0, 12), lower: rewardOverTime.learned.lower.slice(0, 12), upper: rewardOverTime.learned.upper.slice(0, 12) },
      baseline: { n: rewardOverTime.baseline.n.slice(0, 12), mean: rewardOverTime.baseline.mean.slice(0, 12), lower: rewardOverTime.baseline.lower.slice(0, 12), upper: rewardOverTime.baseline.upper.slice(0, 12) },
    };
    const { page, errors } = await harness.open({
      live: async (raw) => {
        const request = raw as { id: number; method: DashboardMethodName };
        const result = request.method === 'rewardOverTime' && ++rewardAsked > 1 ? shorter : rich[request.method];
        return { type: 'reply', id: request.id, ok: true, result };
      },
    });
    await allReady(page);
    await page.waitForSelector('main#app[data-state="ready"]');
    assert.equal(await page.locator('figure[data-chart="reward"]').getAttribute('data-points'), '24');
    await sendToWebview(page, { type: 'event', name: 'changed', at: Date.now(), decisions: 121 });
    for (let waited = 0; rewardAsked < 2 && waited < 8000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(rewardAsked, 2, 'the reward is asked again');
    // Its answer is in the page well within this while; the hidden reward tab still shows what it drew before.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await page.locator('figure[data-chart="reward"]').getAttribute('data-points'), '24');
    await page.locator('#tab-reward').click();
    await page.waitForSelector('figure[data-chart="reward"][data-points="12"]', { timeout: 5000 });
    assert.equal(await page.locator('table.reward-table tbody tr').count(), 12);
    assert.deepEqual(errors, []);
  });

  it('draws the hidden tabs in idle time after the first paint, so that every section shows its data without its tab being shown', async () => {
    const { page, errors } = await harness.open({ answers: rich });
    await allReady(page);
    for (const id of sections) assert.equal(await page.locator(`section[data-section="${id}"]`).getAttribute('data-state'), 'ready', id);
    assert.equal(await page.locator('#panel-rollout').isVisible(), true);
    assert.equal(await page.locator('figure[data-chart="reward"]').getAttribute('data-points'), '24');
    assert.deepEqual(errors, []);
  });

  it("draws its charts again in the new colours when the theme changes while it is open: the tab shown at once, each hidden tab's when it is shown (VS Code switches a webview's theme in place)", async () => {
    const { page, errors } = await harness.open({ answers: rich, state: { tab: 'reward', range: 'all', taskType: 'planTask' } });
    // Every tab drawn (the hidden ones in idle time) in the colours of the page's first theme.
    await allReady(page);
    // As VS Code's webview host applies a theme: the variables on the root element, the body's class and id.
    const applyTheme = (kind: string, chartsForeground: string): Promise<void> =>
      page.evaluate(
        `(() => { document.documentElement.style.setProperty('--vscode-charts-foreground', '${chartsForeground}'); document.body.className = '${kind}'; document.body.dataset.vscodeThemeKind = '${kind}'; document.body.dataset.vscodeThemeId = '${kind}-test'; })()`,
      );
    const shownCharts = async (): Promise<Array<{ key: string; pixels: number }>> =>
      (await probeWebview(page.mainFrame(), {})).charts.filter((c) => c.visible).map((c) => ({ key: c.key, pixels: c.foregroundPixels }));
    for (const [kind, colour] of [['vscode-dark', '#ff2020'], ['vscode-light', '#00a000']] as const) {
      await applyTheme(kind, colour);
      let shown = await shownCharts();
      for (let waited = 0; waited < 3000 && shown.some((c) => c.pixels <= 20); waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        shown = await shownCharts();
      }
      const seen = [...shown];
      // The tabs hidden when the theme changed: their charts are in its colours once each is shown.
      for (const tab of ['arms', 'pareto']) {
        await page.locator(`#tab-${tab}`).click();
        seen.push(...(await shownCharts()));
      }
      await page.locator('#tab-reward').click();
      // Five charts (reward; posterior and share; Pareto ×2), each with its axes' text in the theme's colour.
      assert.deepEqual(seen.map((c) => c.key).sort(), ['paretoLatency', 'paretoTokens', 'posterior-planTask', 'reward', 'share']);
      assert.ok(seen.every((c) => c.pixels > 20), `${kind} ${colour}: ${seen.map((c) => `${c.key} ${c.pixels}`).join(', ')} pixels in the chart foreground`);
    }
    // The redrawn charts hold the same points, and their tables are there.
    assert.equal(await page.locator('figure[data-chart="reward"]').getAttribute('data-points'), '24');
    assert.equal(await page.locator('table.reward-table tbody tr').count(), 24);
    assert.deepEqual(errors, []);
  });

  it('renders markup in host text as text, and runs with 0 CSP violations across every tab (stylesheets, codicon font, uPlot)', async () => {
    const hostile = { ...rich, overview: { ...overview, rollout: { ...overview.rollout, next: '<img src="x" onerror="throw 1"><b>bold</b>' } } };
    const { page, errors } = await harness.open({ answers: hostile });
    await allReady(page);
    assert.equal(await page.locator('main#app b, main#app img').count(), 0);
    assert.match(await sectionText(page, 'rollout'), /<img src="x" onerror="throw 1"><b>bold<\/b>/);
    for (const tab of ['rollout', 'reward', 'arms', 'pareto', 'ope', 'attribution', 'decisions', 'history']) {
      await page.locator(`#tab-${tab}`).click();
      assert.equal(await page.locator(`#panel-${tab}`).isVisible(), true, tab);
    }
    await page.evaluate(() => (globalThis as unknown as { document: { fonts: { ready: Promise<unknown> } } }).document.fonts.ready);
    const fontLoaded = await page.evaluate(() => (globalThis as unknown as { document: { fonts: { check(font: string): boolean } } }).document.fonts.check('16px codicon'));
    assert.equal(fontLoaded, true, 'the codicon font loaded from the local origin');
    // The controls are vscode-button elements whose styles (constructed stylesheets) applied under this CSP.
    // Browser JavaScript as text: this project's type check has no DOM library outside webview/.
    const styled = await page.evaluate<{ sheets: number; cursor: string; baseDisplay: string }>(
      `(() => { const node = document.querySelector('.controls vscode-button'); const base = node.shadowRoot && node.shadowRoot.querySelector('.base'); return { sheets: node.shadowRoot ? node.shadowRoot.adoptedStyleSheets.length : 0, cursor: getComputedStyle(node).cursor, baseDisplay: base ? getComputedStyle(base).display : '' }; })()`,
    );
    assert.ok(styled.sheets > 0, 'styles adopted');
    assert.equal(styled.cursor, 'pointer');
    assert.equal(styled.baseDisplay, 'flex');
    assert.deepEqual((await record(page)).cspViolations, []);
    assert.deepEqual(errors, []);
  });
});
