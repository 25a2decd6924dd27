// The optimizer service over a real store (issue 11): a learner that is still there after a close
// and an open, exactly (decisions that follow are the same); pending decisions defaulted once across
// restarts; a parameter space edited under the log; a damaged checkpoint set aside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createRng } from '../core/math/random';
import { parsePolicySettings, type PolicyKind } from '../core/policies';
import { parseRewardSettings } from '../core/reward';
import { SessionTracker } from '../core/sessions';
import { buildSpace } from '../core/space';
import { createLlmPlanningEnvironment } from '../sim/llmPlanning';
import { openStore } from '../store/store';
import { tempDir } from '../store/testing/tempDir';
import { OptimizerService, type ServiceSettings } from './optimizerService';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');
const env = createLlmPlanningEnvironment();
const start = Date.UTC(2026, 0, 5, 9);

function settings(policyKind: PolicyKind, space = env.space): ServiceSettings {
  return {
    space,
    policyKind,
    policySettings: parsePolicySettings({}),
    rewardSettings: parseRewardSettings({}),
    guarded: { budget: { defaultLimits: { daily: 80_000, weekly: null } } },
    checkpointEvery: 100,
  };
}

/** A simulated user: the clock, the world's randomness and the sessions, all continued across restarts. */
interface World {
  clock: { t: number };
  rng: ReturnType<typeof createRng>;
  sessions: SessionTracker;
}

const newWorld = (): World => ({ clock: { t: start }, rng: createRng(99), sessions: new SessionTracker(start) });

function open(dir: string, policyKind: PolicyKind, world: World, space = env.space): Promise<OptimizerService> {
  return OptimizerService.open(dir, settings(policyKind, space), { clock: { now: () => world.clock.t }, store: { wasmDir }, seed: 5 });
}

/** `rounds` requests through the service; returns what was decided. */
function drive(service: OptimizerService, world: World, rounds: number): string[] {
  const made: string[] = [];
  for (let i = 0; i < rounds; i++) {
    world.clock.t += Math.round((-Math.log(1 - world.rng.next()) * 86_400_000) / 30);
    const context = env.sampleContext(world.rng);
    const rec = service.recommend(context, `session-${world.sessions.at(world.clock.t)}`);
    if (rec.kind === 'refused') continue;
    const decision = service.logDecision(rec.decision.requestId, { honouredParams: ['temperature', 'topP', 'maxTokens'] });
    made.push(`${decision.requestId}:${decision.armIndex}:${decision.servedBy}`);
    service.recordOutcome(decision.requestId, env.sampleOutcome(context, env.space.arms[decision.armIndex]!, world.rng, decision.requestId, world.clock.t));
  }
  return made;
}

const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

for (const policyKind of ['thompson', 'linucb'] as const) {
  test(`${policyKind}: after 250 requests, a close and an open, the optimizer is the one that never closed (to 1e-9) and decides the next 40 requests alike`, async (t) => {
    const dir = await tempDir(t, 'service');
    const onceWorld = newWorld();
    const once = await open(join(dir, 'once'), policyKind, onceWorld);
    drive(once, onceWorld, 250);
    const splitWorld = newWorld();
    const first = await open(join(dir, 'split'), policyKind, splitWorld);
    drive(first, splitWorld, 250);
    await first.close();
    const second = await open(join(dir, 'split'), policyKind, splitWorld);
    assert.deepEqual(second.notices, []);
    const a = once.guarded.toJSON();
    const b = second.guarded.toJSON();
    assert.equal(b.optimizer.learned.version, a.optimizer.learned.version);
    assert.deepEqual(b.rollout, a.rollout);
    const meansA = a.optimizer.learned.scorer?.models[0]?.b ?? [];
    const meansB = b.optimizer.learned.scorer?.models[0]?.b ?? [];
    assert.ok(meansA.length > 0 && meansA.every((v, i) => near(meansB[i]!, v)), 'the posterior (A, b) is the same');
    assert.deepEqual(b.budget, a.budget);
    assert.deepEqual(b.audit, a.audit);
    assert.deepEqual(drive(second, splitWorld, 40), drive(once, onceWorld, 40));
    await once.close();
    await second.close();
  });
}

test('a decision whose outcome never came is given the default reward after the wait, once: not again after a restart', async (t) => {
  const dir = await tempDir(t, 'service');
  const world = newWorld();
  const service = await open(dir, 'thompson', world);
  const rec = service.recommend(env.sampleContext(world.rng), 'session-0');
  assert.equal(rec.kind, 'decision');
  if (rec.kind !== 'decision') return;
  service.logDecision(rec.decision.requestId);
  // The window closes mid-request.
  await service.close();
  world.clock.t += 31 * 60_000;
  const reopened = await open(dir, 'thompson', world);
  assert.equal(reopened.status().pending, 0);
  await reopened.close();
  const again = await open(dir, 'thompson', world);
  await again.close();
  const store = await openStore(dir, { wasmDir, readOnly: true });
  const logged = store.loggedByRequestId(rec.decision.requestId);
  assert.equal(logged?.outcome?.defaulted, true);
  assert.equal([...store.iterateLogged()].filter((l) => l.outcome?.defaulted === true).length, 1);
  await store.close();
});

test('an edited parameter space: the policy is rebuilt from the outcomes of the arms that still exist, with a notice, and the service keeps deciding', async (t) => {
  const dir = await tempDir(t, 'service');
  const world = newWorld();
  const service = await open(dir, 'thompson', world);
  drive(service, world, 120);
  await service.close();
  // The grid loses temperature 0.7 (6 of 24 arms).
  const edited = buildSpace({ grid: { temperature: [0, 0.2, 0.4], topP: [0.9, 1], maxTokens: [1024, 2048, 4096] } });
  const reopened = await OptimizerService.open(dir, settings('thompson', edited), { clock: { now: () => world.clock.t }, store: { wasmDir }, seed: 5 });
  assert.ok(reopened.notices.some((n) => /set aside: it was written for another parameter space/.test(n.message)), JSON.stringify(reopened.notices));
  const rebuilt = reopened.notices.find((n) => /rebuilt from (\d+) logged outcomes/.test(n.message));
  assert.ok(rebuilt, JSON.stringify(reopened.notices));
  assert.ok(reopened.guarded.optimizer.learned.version > 50, `learned from ${reopened.guarded.optimizer.learned.version} outcomes`);
  const rec = reopened.recommend(env.sampleContext(world.rng), 'session-x');
  assert.equal(rec.kind, 'decision');
  await reopened.close();
});

test('a checkpoint that does not parse is set aside with a notice and the state rebuilt from the log', async (t) => {
  const dir = await tempDir(t, 'service');
  const world = newWorld();
  const service = await open(dir, 'linucb', world);
  drive(service, world, 60);
  const expected = service.guarded.toJSON();
  await service.flush();
  // A checkpoint whose payload is not a state (as a damaged or foreign record would be).
  service.store.append({ type: 'checkpoint', record: { slot: 'b', timestamp: world.clock.t, payload: { version: 99 } } });
  await service.store.close();
  const reopened = await open(dir, 'linucb', world);
  assert.ok(reopened.notices.some((n) => /set aside: it does not parse/.test(n.message)), JSON.stringify(reopened.notices));
  assert.equal(reopened.guarded.toJSON().optimizer.learned.version, expected.optimizer.learned.version);
  await reopened.close();
});
