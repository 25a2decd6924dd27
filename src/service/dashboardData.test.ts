// The dashboard's data over a real service: a log written by simulated requests through the
// learner, every request answered within its result schema, the series adding up to the log's
// counts, and one decision explained with everything that decided it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createRng } from '../core/math/random';
import { dominates } from '../core/pareto';
import { parsePolicySettings } from '../core/policies';
import { parseRewardSettings } from '../core/reward';
import { SessionTracker } from '../core/sessions';
import { createLlmPlanningEnvironment } from '../sim/llmPlanning';
import { tempDir } from '../store/testing/tempDir';
import { dashboardMethods, type DashboardMethodName, type DashboardParamsIn, type DashboardResult } from '../shared/dashboardProtocol';
import { createDashboardDispatcher } from '../shared/dashboardRpc';
import { createDashboardHandlers, forwardingDashboardHandlers } from './dashboardData';
import { opeInput } from './dashboardInsight';
import { OptimizerService } from './optimizerService';
import { runOffPolicyEvaluation } from './opeRunner';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');
const env = createLlmPlanningEnvironment();
const start = Date.UTC(2026, 0, 5, 9);

async function withService(t: { after(fn: () => Promise<void>): void }, rounds: number, check: (service: OptimizerService, clock: { t: number }) => Promise<void>): Promise<void> {
  const dir = await tempDir(t, 'dashboard-service');
  const clock = { t: start };
  const service = await OptimizerService.open(
    join(dir, 'log'),
    { space: env.space, policyKind: 'linucb', policySettings: parsePolicySettings({}), rewardSettings: parseRewardSettings({}), guarded: { rollout: { phases: { shadow: { trafficShare: 0, minSamples: 40, minDurationDays: 1, deadlineDays: 14 } } } } },
    { clock: { now: () => clock.t }, store: { wasmDir }, seed: 3 },
  );
  try {
    const rng = createRng(17);
    const sessions = new SessionTracker(start);
    for (let i = 0; i < rounds; i++) {
      clock.t += Math.round((-Math.log(1 - rng.next()) * 86_400_000) / 30);
      const context = env.sampleContext(rng);
      const rec = service.recommend(context, `s-${sessions.at(clock.t)}`);
      if (rec.kind === 'refused') continue;
      const decision = service.logDecision(rec.decision.requestId, { honouredParams: ['temperature', 'maxTokens'], droppedParams: ['topP'] });
      // Every tenth request is still waiting for its outcome.
      if (i % 10 !== 9) service.recordOutcome(decision.requestId, env.sampleOutcome(context, env.space.arms[decision.armIndex]!, rng, decision.requestId, clock.t));
    }
    await service.flush();
    await check(service, clock);
  } finally {
    await service.close();
  }
}

/** Asks through the dispatcher (params and results checked as the webview's would be). */
function asker(service: OptimizerService) {
  const dispatch = createDashboardDispatcher(createDashboardHandlers(service, { runCommand: async () => true }));
  let id = 0;
  return async <M extends DashboardMethodName>(method: M, params: DashboardParamsIn<M>): Promise<DashboardResult<M>> => {
    const reply = await dispatch({ type: 'request', id: ++id, method, params });
    assert.ok(reply.ok, reply.ok ? '' : `${method}: ${reply.error.message}`);
    return dashboardMethods[method].result.parse(reply.result) as DashboardResult<M>;
  };
}

test('every request is answered within its schema, and the series add up to the log', async (t) => {
  await withService(t, 300, async (service) => {
    const ask = asker(service);
    const overview = await ask('overview', {});
    const decisions = service.store.decisionCount();
    assert.equal(overview.counts.decisions, decisions);
    assert.equal(overview.counts.outcomes, decisions - overview.counts.pending);
    assert.ok(overview.counts.pending > 0);
    assert.match(overview.rollout.next, /^(shadow|canary|guarded|general):/);
    assert.equal(overview.budgets.length, 4);

    const reward = await ask('rewardOverTime', { buckets: 30 });
    assert.ok(reward.bucketStarts.length <= 30);
    assert.equal(reward.decisions.reduce((s, x) => s + x, 0), decisions);
    const rewarded = reward.learned.n.reduce((s, x) => s + x, 0) + reward.baseline.n.reduce((s, x) => s + x, 0);
    assert.equal(rewarded, overview.counts.outcomes);
    reward.baseline.mean.forEach((m, b) => {
      const lo = reward.baseline.lower[b];
      const hi = reward.baseline.upper[b];
      if (m !== null && typeof lo === 'number' && typeof hi === 'number') assert.ok(lo <= m && m <= hi);
    });

    const arms = await ask('arms', { buckets: 30, maxSeries: 3 });
    assert.equal(arms.arms.length, env.space.arms.length);
    assert.equal(arms.share.series.length <= 3, true);
    assert.deepEqual(arms.share.totals, reward.decisions, 'the same scan');
    arms.share.totals.forEach((total, b) => assert.equal(arms.share.series.reduce((s, x) => s + x.counts[b]!, 0) + arms.share.other[b]!, total));
    assert.equal(arms.favoured.length, 4);

    const pareto = await ask('pareto', {});
    assert.equal(pareto.points.reduce((s, p) => s + p.outcomes, 0), overview.counts.outcomes);
    for (const p of pareto.points) {
      const beaters = pareto.points.filter((q) => dominates({ quality: q.quality, latencyMs: q.latencyMs, tokens: q.tokens }, { quality: p.quality, latencyMs: p.latencyMs, tokens: p.tokens }));
      assert.equal(p.dominated, beaters.length > 0, `arm ${p.armIndex}`);
    }
    assert.equal(pareto.points.filter((p) => p.isBaseline).length, 1);

    const ope = await ask('ope', { rows: 200, resamples: 50 });
    assert.equal(ope.available, true, ope.summary);
    assert.equal(ope.trainedOn + ope.scoredOn, 200);
    assert.deepEqual(ope.estimators.map((e) => e.name), ['ips', 'snips', 'dm', 'dr', 'sndr', 'switch_dr', 'dros']);
    assert.ok(ope.effectiveSampleSize !== null && ope.effectiveSampleSize > 0 && ope.effectiveSampleSize <= ope.scoredOn);

    const attribution = await ask('attribution', { taskType: 'planTests' });
    assert.equal(attribution.available, true);
    assert.ok(attribution.features.length > 0);
    for (let i = 1; i < attribution.features.length; i++) assert.ok(attribution.features[i - 1]!.spread >= attribution.features[i]!.spread);

    const page = await ask('recentDecisions', { limit: 7 });
    assert.equal(page.rows.length, 7);
    const older = await ask('recentDecisions', { limit: 7, before: page.nextBefore! });
    assert.ok(older.rows[0]!.seq < page.rows[6]!.seq);

    const history = await ask('history', {});
    assert.ok(history.entries.length > 0, 'a 300-request log has gate looks or phase changes');
    assert.ok(history.entries.every((e, i) => i === 0 || history.entries[i - 1]!.seq > e.seq));
  });
});

test('one decision explained: context, probabilities and propensity, who served and why, honoured params, outcome and reward', async (t) => {
  await withService(t, 40, async (service) => {
    const ask = asker(service);
    const [row] = (await ask('recentDecisions', { limit: 2 })).rows.filter((r) => r.reward !== null);
    assert.ok(row !== undefined);
    const explained = await ask('explainDecision', { requestId: row.requestId });
    assert.ok(explained.found);
    const d = explained.decision;
    const logged = service.store.loggedByRequestId(row.requestId)!;
    assert.deepEqual(d.context.map((c) => c.name), logged.decision.featureNames);
    assert.deepEqual(d.context.map((c) => c.value), logged.decision.contextFeatures);
    assert.equal(d.propensity, logged.decision.propensity);
    assert.equal(d.probabilities.find((p) => p.armIndex === d.armIndex)?.probability, d.propensity);
    assert.ok(Math.abs(d.probabilities.reduce((s, p) => s + p.probability, 0) - 1) < 1e-9);
    assert.equal(d.servedBy, 'baseline');
    assert.match(d.why, /^In shadow the baseline serves every request/);
    assert.deepEqual(d.honoured, ['temperature', 'maxTokens']);
    assert.deepEqual(d.dropped, ['topP']);
    assert.equal(d.outcome?.quality, logged.outcome?.quality);
    assert.equal(d.reward?.reward, row.reward);
    assert.ok(d.shadow !== undefined, 'shadow logs what the learned policy would have chosen');
    assert.deepEqual(await ask('explainDecision', { requestId: 'no-such-request' }), { found: false, requestId: 'no-such-request' });
  });
});

test('a scan is kept while nothing is appended and brought up to date after an append, as a new scan would', async (t) => {
  await withService(t, 30, async (service, clock) => {
    let scans = 0;
    const store = service.store;
    const counting = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'dashboardSummaryCells') scans++;
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const handlers = createDashboardHandlers(Object.assign(Object.create(service) as OptimizerService, { store: counting }));
    const ask = createDashboardDispatcher(handlers);
    await Promise.all([ask({ type: 'request', id: 1, method: 'rewardOverTime', params: {} }), ask({ type: 'request', id: 2, method: 'arms', params: {} }), ask({ type: 'request', id: 3, method: 'pareto', params: {} })]);
    assert.equal(scans, 1);
    clock.t += 60_000;
    const rec = service.recommend(env.sampleContext(createRng(1)), 's-late');
    assert.equal(rec.kind, 'decision');
    if (rec.kind === 'decision') service.logDecision(rec.decision.requestId);
    await service.flush();
    const after = await ask({ type: 'request', id: 4, method: 'rewardOverTime', params: {} });
    assert.equal(scans, 1, 'refreshed, not scanned again');
    const fresh = await createDashboardDispatcher(createDashboardHandlers(service))({ type: 'request', id: 5, method: 'rewardOverTime', params: {} });
    assert.ok(after.ok && fresh.ok);
    assert.deepEqual(after.result, fresh.result);
  });
});

test('a window that does not serve asks the serving one; runCommand stays in the asking window', async () => {
  const asked: string[] = [];
  const handlers = forwardingDashboardHandlers(
    async (method) => {
      asked.push(method);
      return method === 'pareto' ? { type: 'reply', id: null, ok: true, result: { points: [] } } : { type: 'reply', id: null, ok: false, error: { code: 'failed', message: 'overview: the log is closed' } };
    },
    async () => true,
  );
  const dispatch = createDashboardDispatcher(handlers);
  assert.deepEqual(await dispatch({ type: 'request', id: 1, method: 'pareto' }), { type: 'reply', id: 1, ok: true, result: { points: [] } });
  const failed = await dispatch({ type: 'request', id: 2, method: 'overview' });
  assert.equal(failed.ok ? '' : failed.error.message, 'overview: overview: the log is closed');
  assert.deepEqual(await dispatch({ type: 'request', id: 3, method: 'runCommand', params: { command: 'paramloop.pause' } }), {
    type: 'reply',
    id: 3,
    ok: true,
    result: { command: 'paramloop.pause', done: true },
  });
  assert.deepEqual(asked, ['pareto', 'overview']);
});

test('off-policy evaluation runs in a worker thread: the same result as on this thread, and the event loop free meanwhile', async (t) => {
  await withService(t, 300, async (service) => {
    const input = opeInput(service.guarded, service.settings, service.store.newestRewarded(200), { rows: 200, resamples: 100, seed: 7 });
    const here = await runOffPolicyEvaluation(input, { worker: false });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    try {
      const inWorker = await runOffPolicyEvaluation(input);
      assert.deepEqual(inWorker, here);
    } finally {
      clearInterval(ticker);
    }
    assert.ok(here.available, here.summary);
    // On this thread the timer could not have fired while the evaluation ran; in the worker it did.
    assert.ok(ticks >= 3, `${ticks} timer ticks while the worker evaluated`);
  });
});
