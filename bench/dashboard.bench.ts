// The dashboard's data at one user's lifetime of decisions: a log written through the service (as
// the service bench writes it), opened as a window opens it, then the first paint's requests
// (overview, rewardOverTime, arms, pareto, recentDecisions) sent together through the dashboard's
// dispatcher as the webview sends them. Reported per log size: the time until every reply is in
// (target < 500 ms), the bytes of the replies (what one refresh posts to the webview), the longest
// event-loop block meanwhile by a 1 ms drift probe (target < 50 ms), the same after one more
// decision (a live refresh: the scan brought up to date), the first paint of handlers that scanned
// the log ahead (`warm`, as a host does when the service opens), and off-policy evaluation apart.
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

const wasmDir = fileURLToPath(new URL('../node_modules/sql.js/dist', import.meta.url));
const bundledWorker = fileURLToPath(new URL('../out/storeWorker.js', import.meta.url));
const workerScript = import.meta.url.endsWith('/out/bench.mjs') && existsSync(bundledWorker) ? bundledWorker : fileURLToPath(new URL('../src/store/compactWorker.ts', import.meta.url));
// The off-policy evaluation's worker, bundled beside the bench bundle as dist/opeWorker.js beside the service's.
const bundledOpeWorker = fileURLToPath(new URL('../out/opeWorker.js', import.meta.url));
const opeWorker = import.meta.url.endsWith('/out/bench.mjs') && existsSync(bundledOpeWorker) ? bundledOpeWorker : fileURLToPath(new URL('../src/service/opeWorker.ts', import.meta.url));
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
    const report: Record<string, unknown> = { targets: { firstPaintMs: 500, longestBlockMs: 50 } };
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
