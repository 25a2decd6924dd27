// The guarded optimizer's state is a function of its log (issue 11): a new optimizer that applies
// every logged event from the start, or a checkpoint plus the events after it, equals the one that
// wrote them, and the decisions that follow are the same. The real optimizer (Thompson sampling and
// LinUCB) in the LLM-planning environment, through shadow into canary, with a token budget tight
// enough for fallbacks and exhaustion, a waiver proposed and activated mid-run, and outcomes that
// sometimes never come (defaulted after the reward wait).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEventLog, type OptimizerEvent } from './events';
import { GuardedOptimizer } from './guardedOptimizer';
import type { GuardedOptions } from './guardedOptions';
import type { GuardedState } from './guardedState';
import { createRng } from './math/random';
import { parsePolicySettings, type PolicyKind } from './policies';
import { parseRewardSettings } from './reward';
import { SessionTracker } from './sessions';
import { createLlmPlanningEnvironment } from '../sim/llmPlanning';

const env = createLlmPlanningEnvironment();
const start = Date.UTC(2026, 0, 5, 9);

function options(policyKind: PolicyKind, clock: { t: number }, events: MemoryEventLog): GuardedOptions {
  return {
    space: env.space,
    policyKind,
    policySettings: parsePolicySettings({}),
    rewardSettings: parseRewardSettings({}),
    events,
    clock: { now: () => clock.t },
    seed: 17,
    budget: { defaultLimits: { daily: 70_000, weekly: null } },
    // Looser than the defaults so that a short run crosses a phase change and several gate looks.
    rollout: { phases: { shadow: { trafficShare: 0, minSamples: 40, minDurationDays: 1, deadlineDays: 5 } } },
    gate: { falsePromotionRate: 0.2 },
  };
}

/** Drives `g` for `rounds` requests from request `from` on, with the world seeded by `from`. */
function drive(g: GuardedOptimizer, clock: { t: number }, sessions: SessionTracker, from: number, rounds: number): string[] {
  const world = createRng(1000 + from);
  const made: string[] = [];
  for (let i = from; i < from + rounds; i++) {
    clock.t += Math.round((-Math.log(1 - world.next()) * 86_400_000) / 30);
    if (i === 150) {
      g.proposeWaiver({ id: 'w-sprint', taskType: 'all', period: 'day', delta: 40_000, reason: 'deadline_delivery', note: 'release week', expiresAt: clock.t + 2 * 86_400_000 }, 'dev');
      g.activateWaiver('w-sprint', 'lead');
    }
    // A person's actions, recorded like the machinery's: promotions, a pause and its end.
    if (i === 200 || i === 500) g.promote('lead', 'the team reviewed the shadow evidence');
    if (i === 380) g.pause('lead', 'holiday week');
    if (i === 400) g.resume('lead', 'back');
    const context = env.sampleContext(world);
    const rec = g.recommend(context, `session-${sessions.at(clock.t)}`);
    if (rec.kind === 'refused') continue;
    const decision = g.logDecision(rec.decision.requestId, { honouredParams: ['temperature', 'topP', 'maxTokens'] });
    made.push(`${decision.requestId}:${decision.armIndex}:${decision.servedBy}:${decision.phase}`);
    // One request in 25 never comes back: it is defaulted after the reward wait.
    if (world.next() < 0.04) continue;
    const outcome = env.sampleOutcome(context, env.space.arms[decision.armIndex]!, world, decision.requestId, clock.t);
    g.recordOutcome(decision.requestId, outcome);
    g.expirePending();
  }
  return made;
}

/** A fresh optimizer (or one from a checkpoint) with every event applied; its clock reads `clock`. */
function rebuild(policyKind: PolicyKind, events: readonly OptimizerEvent[], clock: { t: number }, checkpoint?: GuardedState): GuardedOptimizer {
  const g = new GuardedOptimizer(options(policyKind, clock, new MemoryEventLog()), checkpoint);
  for (const event of events) if (event.type !== 'checkpoint') g.apply(structuredClone(event));
  return g;
}

/**
 * The paths where two plain-data states differ: numbers by more than `tolerance` relative (a
 * restored ridge model refactors A⁻¹ and θ̂ from A and b, which the live one updated by rank-one
 * steps, so they agree to rounding), anything else at all.
 */
function differences(actual: unknown, expected: unknown, tolerance: number, path = '$'): string[] {
  if (typeof actual === 'number' && typeof expected === 'number') {
    const scale = Math.max(1, Math.abs(expected));
    return Math.abs(actual - expected) <= tolerance * scale || (Number.isNaN(actual) && Number.isNaN(expected)) ? [] : [`${path}: ${actual} vs ${expected}`];
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) return [`${path}: length ${actual.length} vs ${expected.length}`];
    return actual.flatMap((v, i) => differences(v, expected[i], tolerance, `${path}[${i}]`));
  }
  if (typeof actual === 'object' && actual !== null && typeof expected === 'object' && expected !== null) {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
    return [...keys].flatMap((k) => differences((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], tolerance, `${path}.${k}`));
  }
  return actual === expected ? [] : [`${path}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`];
}

/** An optimizer and the clock it reads. */
interface Driven {
  g: GuardedOptimizer;
  clock: { t: number };
}

for (const policyKind of ['thompson', 'linucb'] as const) {
  test(`${policyKind}: applying the log from the start, or from a checkpoint, gives the state that wrote it, and the same next decisions`, () => {
    const clock = { t: start };
    const log = new MemoryEventLog();
    const live = new GuardedOptimizer(options(policyKind, clock, log));
    const sessions = new SessionTracker(start);
    drive(live, clock, sessions, 0, 300);
    const checkpoint = live.checkpoint();
    const checkpointAt = log.events.length;
    drive(live, clock, sessions, 300, 300);
    const kinds = new Set(log.events.map((e) => (e.type === 'rollout' ? `rollout.${e.event.kind}` : e.type)));
    for (const kind of ['decision', 'outcome', 'audit', 'waiver', 'gateLook', 'rollout.promote', 'rollout.pause', 'rollout.resume', 'checkpoint']) assert.ok(kinds.has(kind), `the run logged no ${kind}: ${[...kinds].join(', ')}`);
    assert.ok(log.outcomes.some((o) => o.outcome.defaulted === true), 'some outcomes were defaulted');

    const startClock = { t: clock.t };
    const checkpointClock = { t: clock.t };
    const fromStart: Driven = { g: rebuild(policyKind, log.events, startClock), clock: startClock };
    const fromCheckpoint: Driven = { g: rebuild(policyKind, log.events.slice(checkpointAt), checkpointClock, structuredClone(checkpoint)), clock: checkpointClock };
    const expected = JSON.parse(JSON.stringify(live.toJSON())) as unknown;
    // Rebuilt from the start, the state is the very same; from a checkpoint, the same to 1e-9.
    assert.deepEqual(differences(JSON.parse(JSON.stringify(fromStart.g.toJSON())), expected, 0), []);
    assert.deepEqual(differences(JSON.parse(JSON.stringify(fromCheckpoint.g.toJSON())), expected, 1e-9), []);

    // The same requests next: the same decisions, request ids, arms, servers and phases.
    const next = ({ g, clock: c }: Driven): string[] => drive(g, c, new SessionTracker(start, undefined, sessions.toJSON()), 600, 60);
    const liveNext = next({ g: live, clock });
    assert.deepEqual(next(fromStart), liveNext);
    assert.deepEqual(next(fromCheckpoint), liveNext);
  });
}

test('a broken audit chain in the log is reported at the entry where it breaks, not silently extended', () => {
  const clock = { t: start };
  const log = new MemoryEventLog();
  drive(new GuardedOptimizer(options('thompson', clock, log)), clock, new SessionTracker(start), 0, 120);
  const audits = log.events.filter((e): e is Extract<OptimizerEvent, { type: 'audit' }> => e.type === 'audit');
  assert.ok(audits.length > 10);
  audits[5]!.entry.payload['tokens'] = 1;
  assert.throws(() => rebuild('thompson', log.events, clock), /audit entry 5 does not match its hash/);
});
