// The dashboard's data at one user's lifetime of decisions: a log written through the service (as
// the service bench writes it), opened as a window opens it, then the first paint's requests
// (overview, rewardOverTime, arms, pareto, recentDecisions) sent together through the dashboard's
// dispatcher as the webview sends them. Reported per log size: the time until every reply is in
// (target < 500 ms), the bytes of the replies (what one refresh posts to the webview), the longest
// event-loop block meanwhile by a 1 ms drift probe (target < 50 ms), the same after one more
// decision (a live refresh: the scan brought up to date), the first paint of handlers that scanned
// the log ahead (`warm`, as a host does when the service opens), and off-policy evaluation apart.
// Then the panel itself, as a user sees it: the built webview (dist/webview/dashboard.js, `npm run
// build` first) in headless Chromium with the panel's CSP, its requests answered live by the same
// handlers over the log (the panel's first open in a window, its scan of the log started as the page
// starts loading, as the panel starts it: `webview`; opened again: `webviewOpenedAgain`), the time from the page's start until
// each first-paint section shows its data (target < 500 ms; the sections of hidden tabs are drawn in
// the page's idle time once the tab shown is), the same for the tab shown alone (what the user sees
// first) and when the first frame after it began (when it can first be painted: a section's data in
// the page is not on the screen while the page is busy with other tasks), the page's longest task,
// and its CSP violations (target 0); then the page alone, given the same replies at once (as with
// fixture data).
// Skipped, saying why, without the bundle or Chromium.
// `PARAMLOOP_BENCH_DASHBOARD_SIZES` sets the sizes (default "100000,300000").
import type { BenchSection } from './sections';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../src/core/math/random';
import { parsePolicySettings } from '../src/core/policies';
import { parseRewardSettings } from '../src/core/reward';
import { createDashboardHandlers } from '../src/service/dashboardData';
import { OptimizerService, type ServiceSettings } from '../src/service/optimizerService';
import type { DashboardReply } from '../src/shared/dashboardProtocol';
import { createDashboardDispatcher } from '../src/shared/dashboardRpc';
import { createLlmPlanningEnvironment } from '../src/sim/llmPlanning';
import { runRollout, SimulatedClock } from '../src/sim/runRollout';
import { driftProbe } from './eventLoop';
import { chromiumPath } from '../test/host/paths';
import type { Page } from 'playwright-core';
import { record, startWebviewHarness } from '../test/webview/webviewPage';

const wasmDir = fileURLToPath(new URL('../node_modules/sql.js/dist', import.meta.url));
const bundledWorker = fileURLToPath(new URL('../out/storeWorker.js', import.meta.url));
const workerScript = import.meta.url.endsWith('/out/bench.mjs') && existsSync(bundledWorker) ? bundledWorker : fileURLToPath(new URL('../src/store/compactWorker.ts', import.meta.url));
// The off-policy evaluation's worker, bundled beside the bench bundle as dist/opeWorker.js beside the service's.
const bundledOpeWorker = fileURLToPath(new URL('../out/opeWorker.js', import.meta.url));
const opeWorker = import.meta.url.endsWith('/out/bench.mjs') && existsSync(bundledOpeWorker) ? bundledOpeWorker : fileURLToPath(new URL('../src/service/opeWorker.ts', import.meta.url));
// The built panel, one level up from bench/ (tsx) and out/ (the bundle) alike.
const webviewDir = fileURLToPath(new URL('../dist/webview', import.meta.url));
const dashboardBundle = join(webviewDir, 'dashboard.js');
const env = createLlmPlanningEnvironment();
const settings: ServiceSettings = { space: env.space, policyKind: 'linucb', policySettings: parsePolicySettings({}), rewardSettings: parseRewardSettings({}) };

const ms = (x: number): number => Math.round(x * 10) / 10;

const firstPaint = [
  ['overview', {}],
  ['rewardOverTime', { buckets: 200 }],
  ['arms', { buckets: 200 }],
  ['pareto', {}],
  ['recentDecisions', { limit: 50 }],
] as const;

/** Sends the first paint's requests together; the time until all are answered, their bytes, the longest block. */
async function paint(dispatch: (raw: unknown) => Promise<DashboardReply>): Promise<Record<string, unknown>> {
  // Let timers settle so the probe measures this paint alone.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const probe = driftProbe();
  const started = performance.now();
  const perMethod: Record<string, number> = {};
  const replies = await Promise.all(
    firstPaint.map(async ([method, params], id) => {
      const reply = await dispatch({ type: 'request', id, method, params });
      perMethod[method] = ms(performance.now() - started);
      if (!reply.ok) throw new Error(`${method}: ${reply.error.message}`);
      return reply;
    }),
  );
  const totalMs = performance.now() - started;
  const longestBlock = await probe.settle();
  const bytes = replies.reduce((sum, r) => sum + Buffer.byteLength(JSON.stringify(r)), 0);
  return { firstPaintMs: ms(totalMs), longestBlockMsDriftProbe: ms(longestBlock), replyBytes: bytes, answeredAtMs: perMethod };
}

/** The sections a first paint fills (the rollout tab's and the charts'), and the page's own figures. */
const firstPaintSections = ['rollout', 'slo', 'budgets', 'reward', 'arms', 'pareto', 'decisions'];

/** The sections of the tab the page shows (the panel opens on Rollout), read from the page. */
async function shownSections(page: Page): Promise<string[]> {
  return page.locator('[role="tabpanel"]:not([hidden]) section[data-section]:not([hidden])').evaluateAll((nodes) => nodes.map((n) => (n as unknown as { dataset: { section: string } }).dataset.section));
}

/** Waits until each of `sections` shows its data and the frame after it has begun. */
async function framed(page: Page, sections: readonly string[]): Promise<void> {
  await page.waitForFunction((ids) => ids.every((id) => id in (globalThis as unknown as { __paramloop: { frameAt: Record<string, number> } }).__paramloop.frameAt), sections, { timeout: 60_000 });
}

/** The panel in Chromium, its requests answered by `dispatch`; `opening` runs as the page starts loading. */
async function webviewPaint(dispatch: (raw: unknown) => Promise<DashboardReply>, opening?: () => void): Promise<Record<string, unknown>> {
  if (!existsSync(dashboardBundle)) return { skipped: `no ${dashboardBundle}: run npm run build first` };
  if (!existsSync(chromiumPath)) return { skipped: `no Chromium at ${chromiumPath}` };
  const harness = await startWebviewHarness('dashboard', webviewDir);
  try {
    const replyBytes: number[] = [];
    const results: Record<string, unknown> = {};
    const { page, errors } = await harness.open({
      ...(opening !== undefined ? { beforeLoad: opening } : {}),
      live: async (request) => {
        const reply = await dispatch(request);
        replyBytes.push(Buffer.byteLength(JSON.stringify(reply)));
        const method = (request as { method?: unknown }).method;
        if (reply.ok && typeof method === 'string') results[method] = reply.result;
        return reply;
      },
    });
    await framed(page, firstPaintSections);
    // The rest of the first refresh (off-policy evaluation, attribution, history) settles.
    await page.waitForSelector('main[data-state="ready"], #app[data-state="ready"]', { timeout: 120_000 }).catch(() => undefined);
    const r = await record(page);
    const readyAt = Object.fromEntries(firstPaintSections.map((id) => [id, ms(r.readyAt[id]!)]));
    const shown = await shownSections(page);
    await framed(page, shown);
    const { frameAt } = await record(page);
    const shownReadyAt = (at: Record<string, number>): number => ms(Math.max(...shown.map((id) => at[id] ?? Number.NaN)));
    await page.close();
    // The page alone: the same replies at hand (each answered 5 ms after it is asked), as with fixture data.
    const atHand = await harness.open({ answers: results });
    await framed(atHand.page, [...firstPaintSections, ...shown]);
    const h = await record(atHand.page);
    await atHand.page.close();
    return {
      repliesAtHand: {
        firstPaintMs: ms(Math.max(...firstPaintSections.map((id) => h.readyAt[id]!))),
        visibleTabFirstPaintMs: shownReadyAt(h.readyAt),
        visibleTabFirstFrameMs: shownReadyAt(h.frameAt),
        longestTaskMs: h.longTasks.length === 0 ? 0 : ms(Math.max(...h.longTasks)),
        cspViolations: h.cspViolations.length,
      },
      firstPaintMs: Math.max(...Object.values(readyAt)),
      // The tab shown: when its sections all show their data, and when the frame after them began (the first paint the user sees).
      visibleTab: { sections: shown, firstPaintMs: shownReadyAt(r.readyAt), firstFrameMs: shownReadyAt(frameAt) },
      sectionReadyAtMs: readyAt,
      allSectionsReadyMs: ms(Math.max(...Object.values(r.readyAt))),
      longestTaskMs: r.longTasks.length === 0 ? 0 : ms(Math.max(...r.longTasks)),
      cspViolations: r.cspViolations.length,
      pageErrors: errors.length,
      requests: replyBytes.length,
      replyBytes: replyBytes.reduce((a, b) => a + b, 0),
    };
  } finally {
    await harness.close();
  }
}

async function measure(dir: string, clock: SimulatedClock): Promise<Record<string, unknown>> {
  const store = { wasmDir, compactionWorker: { script: workerScript } };
  const service = await OptimizerService.open(dir, settings, { clock, store });
  try {
    const dispatch = createDashboardDispatcher(createDashboardHandlers(service, { opeWorker }));
    const first = await paint(dispatch);
    // A live refresh: one more decision arrives, the webview asks again.
    clock.t += 60_000;
    const rec = service.recommend(env.sampleContext(createRng(7)), 'bench-live');
    if (rec.kind === 'decision') service.logDecision(rec.decision.requestId);
    await service.flush();
    const refresh = await paint(dispatch);
    const warmed = createDashboardHandlers(service, { opeWorker });
    const warmStarted = performance.now();
    const warmProbe = driftProbe();
    await warmed.warm(200);
    const warm = { ms: ms(performance.now() - warmStarted), longestBlockMs: ms(await warmProbe.settle()) };
    const warmPaint = await paint(createDashboardDispatcher(warmed));
    // The panel in Chromium opened for the first time in the window: new handlers, whose scan of the
    // log starts as the page starts loading (DashboardPanel starts it as it creates the panel); then
    // opened again, answered by the same handlers, which have scanned it.
    const panelHandlers = createDashboardHandlers(service, { opeWorker });
    const webview = await webviewPaint(createDashboardDispatcher(panelHandlers), () => void panelHandlers.warm());
    const webviewAgain = await webviewPaint(createDashboardDispatcher(panelHandlers));
    const opeProbe = driftProbe();
    const opeStarted = performance.now();
    const ope = await dispatch({ type: 'request', id: 99, method: 'ope', params: { rows: 1000, resamples: 200 } });
    const opeMs = performance.now() - opeStarted;
    const opeBlock = await opeProbe.settle();
    return {
      decisions: service.store.decisionCount(),
      ...first,
      refresh,
      warm,
      firstPaintAfterWarm: warmPaint,
      webview,
      webviewOpenedAgain: webviewAgain,
      ope: { ok: ope.ok, ms: ms(opeMs), longestBlockMs: ms(opeBlock), bytes: Buffer.byteLength(JSON.stringify(ope)) },
    };
  } finally {
    await service.close();
  }
}

export const dashboardSection: BenchSection = {
  name: 'dashboard',
  async run() {
    const sizes = (process.env.PARAMLOOP_BENCH_DASHBOARD_SIZES ?? '100000,300000').split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
    const dir = await mkdtemp(join(tmpdir(), 'paramloop-bench-dashboard-'));
    const report: Record<string, unknown> = { targets: { firstPaintMs: 500, longestBlockMs: 50, webviewFirstPaintMs: 500, cspViolations: 0 } };
    try {
      const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 9));
      const store = { wasmDir, compactionWorker: { script: workerScript } };
      let written = 0;
      for (const size of sizes) {
        // The log grows to each size in turn, written as the service bench writes it.
        const building = performance.now();
        const writer = await OptimizerService.open(dir, settings, { clock, seed: 1, store, syncEvery: 1000 });
        runRollout({ environment: env, policy: 'linucb', policySettings: settings.policySettings, rewardSettings: settings.rewardSettings, rounds: size - written, seed: 1 + written, resume: { optimizer: writer.guarded, clock } });
        await writer.close();
        written = size;
        process.stderr.write(`bench: dashboard: ${size} decisions written in ${((performance.now() - building) / 1000).toFixed(1)} s\n`);
        report[String(size)] = await measure(dir, clock);
      }
      return report;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
