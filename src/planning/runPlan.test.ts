import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpace } from '../core/space';
import { createOpenAiCompatibleProvider } from '../llm/openaiCompatible';
import { LlmError } from '../llm/provider';
import { ModelConstraints } from '../llm/modelConstraints';
import { startSimServer, type SimServer } from '../llm/testing/simServer';
import { connect } from '../service/connection';
import { socketTestDir, testConnectOptions } from '../service/testing/connectOptions';
import { modelArms, PlanArmsCache, ProviderHealth, runPlan, type PlanDeps } from './runPlan';
import type { PlanTask } from './task';

const space = buildSpace({});
const start = Date.UTC(2026, 0, 5, 9);

async function setup(t: Parameters<typeof socketTestDir>[0], sim: SimServer, model = 'sim-planner'): Promise<PlanDeps> {
  const { dir, keep } = await socketTestDir(t, 'plan');
  const clock = { t: start };
  const options = testConnectOptions(clock);
  const service = keep(await connect(dir, { ...options, settings: { ...options.settings, space } }));
  const provider = createOpenAiCompatibleProvider({ baseUrl: sim.openAiBaseUrl, constraints: new ModelConstraints(), sleep: async () => undefined });
  return { service, provider, space, model, health: new ProviderHealth(), clock: { now: () => clock.t }, sessionKey: 'test', armsCache: new PlanArmsCache(provider, space) };
}

const task: PlanTask = { taskType: 'planTask', text: 'add a CSV export', workspaceKind: 'folder' };

test('a plan end to end: decided, sent with the arm mapped, logged with what was honoured, checked, and recorded with the verdict', async (t) => {
  const sim = await startSimServer({ seed: 3, msPerToken: 0 });
  t.after(() => sim.close());
  const deps = await setup(t, sim);
  let streamed = '';
  const run = await runPlan(deps, task, { onText: (text) => (streamed += text), hour: 10 });
  assert.equal(run.error, undefined);
  assert.equal(run.text, streamed);
  assert.equal(run.text, sim.plans.at(-1)?.text);
  const body = sim.requests.at(-1)?.body as { temperature: number; top_p: number; max_tokens: number };
  assert.deepEqual([body.temperature, body.top_p, body.max_tokens], [run.decision.params.temperature, run.decision.params.topP, run.decision.params.maxTokens]);
  assert.deepEqual([...(run.decision.honouredParams ?? [])].sort(), ['maxTokens', 'temperature', 'topP']);
  assert.equal(run.context.providerFamily.startsWith('openai-compatible/'), true);
  assert.equal(run.context.hour, 10);
  assert.ok(run.outcome.tokensOut > 0 && run.outcome.finishReason !== 'error');
  assert.equal(run.outcome.quality, run.report.quality);
  const recorded = await run.record('accept');
  assert.ok(Math.abs(recorded.decision.requestId.length) > 0);
  assert.equal(recorded.decision.requestId, run.requestId);
  // Recording again returns the first answer; nothing is recorded twice.
  assert.equal(await run.record('reject'), recorded);
});

test('on a reasoning model that rejects temperature and top_p, arms differing only in those are one arm: 24 arms → 3 (one per max_tokens), the baseline kept', () => {
  const provider = createOpenAiCompatibleProvider({ baseUrl: 'http://127.0.0.1:9/v1', constraints: new ModelConstraints() });
  const general = modelArms(provider, space, 'gpt-4o-mini');
  assert.equal(general.allowed.length, 24);
  const reasoning = modelArms(provider, space, 'o3-mini');
  assert.equal(reasoning.allowed.length, 3, JSON.stringify(reasoning.allowed.map((a) => space.arms[a]!.id)));
  assert.ok(reasoning.allowed.includes(space.baselineArm));
  assert.deepEqual(reasoning.mappings[space.baselineArm]!.dropped.sort(), ['temperature', 'topP']);
  assert.equal(reasoning.mappings[space.baselineArm]!.renamed.maxTokens, 'max_completion_tokens');
});

test('an unexpected rejection of a parameter is learned: the request is retried once without it, and the model\'s arms collapse from then on', async (t) => {
  const sim = await startSimServer({ seed: 4, msPerToken: 0 });
  t.after(() => sim.close());
  // The simulator's reasoning model rejects temperature and top_p; the built-in table does not know it.
  const deps = await setup(t, sim, 'sim-reasoning');
  assert.equal(deps.armsCache!.get('sim-reasoning').allowed.length, 24);
  const run = await runPlan(deps, task);
  assert.equal(run.error, undefined, run.error?.message);
  assert.ok(run.result!.learnedUnsupported.length >= 1, JSON.stringify(run.result));
  assert.ok(run.result!.retries >= 1);
  // The decision is logged as finally sent: the rejected parameters dropped, not honoured.
  assert.deepEqual(run.decision.honouredParams, run.mapping.honoured);
  assert.deepEqual(run.decision.droppedParams, run.mapping.dropped);
  for (const p of run.result!.learnedUnsupported) {
    assert.ok(!run.decision.honouredParams!.includes(p) && run.decision.droppedParams!.includes(p), `${p} logged as dropped: ${JSON.stringify(run.decision)}`);
  }
  const second = await runPlan(deps, task);
  assert.equal(second.error, undefined);
  assert.equal(second.result!.learnedUnsupported.length, 0, 'nothing left to learn: the second request is sent without the rejected parameters');
  assert.ok(deps.armsCache!.get('sim-reasoning').allowed.length < 24);
});

test('while the provider fails, requests are confined to the baseline arm (propensity 1); a success ends it', async (t) => {
  const sim = await startSimServer({ seed: 5, msPerToken: 0 });
  t.after(() => sim.close());
  const deps = await setup(t, sim);
  sim.setFault({ kind: 'serverError', status: 500, times: 3 });
  const failed = await runPlan(deps, task);
  assert.equal(failed.error?.kind, 'server');
  assert.equal(failed.outcome.finishReason, 'error');
  assert.equal(failed.outcome.quality, 0);
  assert.match(failed.outcome.error ?? '', /^server: /);
  await failed.record();
  assert.ok(deps.health.failing);
  const baseline = await runPlan(deps, task);
  assert.equal(baseline.baselineOnly, true);
  assert.equal(baseline.decision.armIndex, space.baselineArm);
  assert.equal(baseline.decision.propensity, 1);
  assert.deepEqual(baseline.decision.eligibleArms, [space.baselineArm]);
  assert.equal(baseline.error, undefined);
  assert.equal(deps.health.failing, undefined);
  const next = await runPlan(deps, task);
  assert.equal(next.baselineOnly, false);
});

test('a request the task cannot make is refused before anything is sent, naming the field', async (t) => {
  const sim = await startSimServer();
  t.after(() => sim.close());
  const deps = await setup(t, sim);
  await assert.rejects(runPlan(deps, { taskType: 'planSelection', text: 'x' }), /source: planSelection needs the code it is about/);
  assert.equal(sim.requests.length, 0);
});

test('a client whose parameter space differs from the server\'s: the arms its model can take are named by id, so the server draws only among arms both know, and baseline-only means the server\'s baseline', async (t) => {
  const sim = await startSimServer({ seed: 6, msPerToken: 0 });
  t.after(() => sim.close());
  const deps = await setup(t, sim);
  // The client's grid: another baseline, and temperatures the server's space partly lacks.
  const clientSpace = buildSpace({ baseline: { temperature: 0.4, topP: 1, maxTokens: 2048 }, grid: { temperature: [0.3, 0.4, 0.7], topP: [1], maxTokens: [2048] } });
  const client: PlanDeps = { ...deps, space: clientSpace, armsCache: new PlanArmsCache(deps.provider, clientSpace) };
  const both = new Set(clientSpace.arms.map((a) => a.id).filter((id) => space.arms.some((b) => b.id === id)));
  assert.deepEqual([...both].sort(), ['t0.4-p1-m2048', 't0.7-p1-m2048']);
  const serverBaseline = space.arms[space.baselineArm]!.id;
  for (let i = 0; i < 12; i++) {
    const run = await runPlan({ ...client, sessionKey: `s${i}` }, task);
    const armId = run.decision.armId;
    assert.ok(both.has(armId) || armId === serverBaseline, `${armId} is an arm the client's model allowed, or the server's baseline`);
    assert.equal(space.arms[run.decision.armIndex]!.id, armId, 'the index is the server\'s');
    await run.record();
  }
  client.health.recordFailure(new LlmError('server', 'down'), start);
  const confined = await runPlan({ ...client, sessionKey: 'down' }, task);
  assert.equal(confined.decision.armId, serverBaseline);
  assert.equal(confined.decision.propensity, 1);
});
