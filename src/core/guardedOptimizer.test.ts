import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BudgetConfigInput } from './safety/budget';
import { MemoryEventLog } from './events';
import { GuardedOptimizer } from './guardedOptimizer';
import type { GuardedOptions, GuardedRecommendation } from './guardedOptions';
import { parsePolicySettings } from './policies';
import { createRng } from './math/random';
import { parseRewardSettings } from './reward';
import { buildSpace } from './space';
import type { Outcome, RequestContext } from './types';

const space = buildSpace({});
const context: RequestContext = {
  taskType: 'planTask',
  languageId: 'typescript',
  promptTokens: 1000,
  selectionLines: 0,
  fileLines: 200,
  workspaceKind: 'folder',
  providerFamily: 'test',
  hour: 10,
};

/** An event log that keeps a copy of each event at the moment it is emitted, as a database would. */
const jsonStore = (): MemoryEventLog => new MemoryEventLog();

/** Decides a request and logs the decision (its request sent), as a planning command does. */
function serve(g: GuardedOptimizer, request: RequestContext, sessionKey: string): GuardedRecommendation {
  const rec = g.recommend(request, sessionKey);
  if (rec.kind === 'decision') g.logDecision(rec.decision.requestId);
  return rec;
}

/** A guarded optimizer on the default space with the given seed, its clock read from `clock.t`. */
function makeGuarded(clock: { t: number }, seed: number, options: Partial<GuardedOptions> = {}): GuardedOptimizer {
  return new GuardedOptimizer({
    space,
    policyKind: 'thompson',
    policySettings: parsePolicySettings({}),
    rewardSettings: parseRewardSettings({}),
    clock: { now: () => clock.t },
    seed,
    ...options,
  });
}

function guarded(budget: BudgetConfigInput, clock: { t: number }): { g: GuardedOptimizer; store: ReturnType<typeof jsonStore> } {
  const store = jsonStore();
  const g = makeGuarded(clock, 7, {
    policyKind: 'baseline',
    events: store,
    budget,
  });
  return { g, store };
}

function outcome(requestId: string, timestamp: number, tokensOut: number): Outcome {
  return { requestId, timestamp, latencyMs: 20_000, tokensIn: 1000, tokensOut, finishReason: 'stop', quality: 0.7 };
}

const maxTokens = (armIndex: number): number | undefined => space.arms[armIndex]?.params.maxTokens;
const cheapestTrustArms = space.trustRegionArms.filter((a) => maxTokens(a) === 1024);

test('with 20,000 tokens a day and 1,000-token prompts, 4,000-token requests exhaust the day after 5; the 6th falls back to a 1,024-token trust-region arm with propensity 1', () => {
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const { g } = guarded({ defaultLimits: { daily: 20_000, weekly: null } }, clock);
  for (let i = 0; i < 5; i++) {
    const rec = serve(g, context, 's1');
    assert.equal(rec.kind, 'decision');
    if (rec.kind !== 'decision') return;
    assert.equal(rec.budget.action, 'serve', `request ${i + 1}`);
    clock.t += 60_000;
    g.recordOutcome(rec.decision.requestId, outcome(rec.decision.requestId, clock.t, 3000));
  }
  const rec = serve(g, context, 's1');
  assert.equal(rec.kind, 'decision');
  if (rec.kind !== 'decision') return;
  assert.equal(rec.budget.action, 'fallback');
  assert.match(rec.budget.message ?? '', /cheapest allowed parameters/);
  assert.ok(cheapestTrustArms.includes(rec.decision.armIndex), `arm ${rec.decision.armId}`);
  assert.equal(rec.decision.propensity, 1);
});

test("with onExhausted 'refuse', the request after the budget is spent gets no decision and a message naming the task type", () => {
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const { g, store } = guarded({ defaultLimits: { daily: 4_000, weekly: null }, onExhausted: 'refuse' }, clock);
  const first = serve(g, context, 's1');
  assert.equal(first.kind, 'decision');
  if (first.kind !== 'decision') return;
  g.recordOutcome(first.decision.requestId, outcome(first.decision.requestId, clock.t, 3000));
  const second = serve(g, context, 's1');
  assert.equal(second.kind, 'refused');
  if (second.kind !== 'refused') return;
  assert.match(second.message, /planTask exhausted/);
  assert.equal(store.decisions.length, 1);
});

test('an active waiver of +50,000 tokens lifts the fallback and is named on the decision; once it expires an hour later the base budget of 20,000 applies again', () => {
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const { g, store } = guarded({ defaultLimits: { daily: 20_000, weekly: null } }, clock);
  for (let i = 0; i < 5; i++) {
    const rec = serve(g, context, 's1');
    if (rec.kind !== 'decision') throw new Error('refused');
    g.recordOutcome(rec.decision.requestId, outcome(rec.decision.requestId, clock.t, 3000));
  }
  g.budget.proposeWaiver({ id: 'w1', taskType: 'planTask', period: 'day', delta: 50_000, reason: 'emergency_hotfix', expiresAt: clock.t + 3_600_000 }, 'dev', clock.t);
  g.budget.activateWaiver('w1', 'lead', clock.t);
  const during = serve(g, context, 's1');
  if (during.kind !== 'decision') throw new Error('refused');
  assert.equal(during.budget.action, 'serve');
  assert.deepEqual(during.decision.waivers, ['w1']);
  assert.deepEqual(store.decisions.at(-1)?.waivers, ['w1'], 'the stored copy names the waiver too');
  assert.equal(during.budget.status.day.effective, 70_000);
  g.recordOutcome(during.decision.requestId, outcome(during.decision.requestId, clock.t, 0));
  clock.t += 2 * 3_600_000;
  const after = serve(g, context, 's1');
  if (after.kind !== 'decision') throw new Error('refused');
  assert.equal(after.budget.action, 'fallback');
  assert.deepEqual(after.decision.waivers, []);
  assert.deepEqual(store.decisions.at(-1)?.waivers, []);
  assert.equal(after.budget.status.day.effective, 20_000);
  assert.equal(g.budget.waivers[0]?.status, 'expired');
});

test('the learned share of each phase comes from the rollout config: a 50% canary serves about half of 400 session keys', () => {
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const store = new MemoryEventLog();
  const g = makeGuarded(clock, 3, {
    events: store,
    rollout: { phases: { canary: { trafficShare: 0.5, minSamples: 10, minDurationDays: 3, deadlineDays: 28 } } },
  });
  g.promote('tester', 'start in canary');
  let learned = 0;
  for (let i = 0; i < 400; i++) {
    const rec = serve(g, context, `key-${i}`);
    if (rec.kind !== 'decision') throw new Error('refused');
    if (rec.decision.servedBy === 'learned') {
      learned++;
      assert.ok(space.trustRegionArms.includes(rec.decision.armIndex), 'the learned policy stays in the trust region');
    }
    assert.equal(rec.decision.phase, 'canary');
  }
  // Binomial(400, 0.5): sd 10; ±40 is 4 sd.
  assert.ok(Math.abs(learned - 200) <= 40, `${learned} learned`);
  assert.equal(g.rollout.events[0]?.actor, 'tester');
});

/** A guarded Thompson optimizer that pauses promotion on drift, and a request every 20 minutes. */
function driftScenario(): { g: GuardedOptimizer; serve(count: number, promptTokens: number): void } {
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const g = makeGuarded(clock, 11, {
    drift: { referenceSize: 100, recentSize: 100, minRecent: 30, pausePromotion: true },
  });
  const u = createRng(12);
  let n = 0;
  return {
    g,
    serve(count, promptTokens) {
      for (let i = 0; i < count; i++, n++) {
        const rec = serve(g, { ...context, promptTokens: Math.round(promptTokens * (0.8 + 0.4 * u.next())) }, `key-${n}`);
        if (rec.kind !== 'decision') throw new Error('refused');
        g.recordOutcome(rec.decision.requestId, outcome(rec.decision.requestId, clock.t, 400));
        clock.t += 20 * 60_000;
      }
    },
  };
}

test('with drift pausePromotion, a gate due while the request population has shifted pauses the rollout (actor drift) instead of promoting', () => {
  const { g, serve } = driftScenario();
  serve(100, 1000); // the reference: ~1,000-token prompts
  serve(150, 8000); // then ~8,000-token prompts; the shadow gate falls due at request 144
  const pause = g.rollout.events.find((e) => e.kind === 'pause');
  assert.ok(pause !== undefined, `events: ${g.rollout.events.map((e) => e.kind).join(', ')}`);
  assert.equal(pause.actor, 'drift');
  assert.match(pause.reason, /^promotion paused: Major shift in the request population: promptSize \(PSI \d+\.\d\d\)\.$/);
  assert.equal(g.rollout.status, 'paused');
  assert.equal(g.rollout.phase, 'shadow');
  assert.ok(!g.rollout.events.some((e) => e.kind === 'promote'), 'nothing is promoted while the drift stands');
});

test('a drift pause ends by itself once the population is back, or when a person resumes (accepting the new population)', () => {
  const back = driftScenario();
  back.serve(100, 1000);
  back.serve(150, 8000);
  back.serve(150, 1000); // the recent window is the reference population again
  const resume = back.g.rollout.events.find((e) => e.kind === 'resume');
  assert.equal(resume?.actor, 'drift');
  assert.match(resume?.reason ?? '', /has cleared/);
  assert.notEqual(back.g.rollout.status, 'paused');

  const accepted = driftScenario();
  accepted.serve(100, 1000);
  accepted.serve(150, 8000);
  assert.equal(accepted.g.rollout.status, 'paused');
  accepted.g.resume('tester', 'the long prompts are the new normal');
  const eventsBefore = accepted.g.rollout.events.length;
  accepted.serve(200, 8000);
  assert.deepEqual(accepted.g.rollout.events.slice(eventsBefore).filter((e) => e.kind === 'pause'), [], 'the shifted population is the new reference');
  assert.notEqual(accepted.g.rollout.status, 'paused');
});

test('in shadow only requests with an outcome count as samples: 240 decisions of which 60 got their outcome give 60 samples, and the gate scores exactly those 60 rows', () => {
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const g = makeGuarded(clock, 21, {
    policyKind: 'baseline',
    // Keep the phase from ending while the counts are checked.
    rollout: { phases: { shadow: { trafficShare: 0, minSamples: 1000, minDurationDays: 2, deadlineDays: 14 } } },
  });
  for (let i = 0; i < 240; i++) {
    const rec = serve(g, context, `key-${Math.floor(i / 3)}`);
    if (rec.kind !== 'decision') throw new Error('refused');
    clock.t += 40 * 60_000;
    // A quarter of the outcomes arrive; the rest are still pending.
    if (i % 4 === 0) g.recordOutcome(rec.decision.requestId, outcome(rec.decision.requestId, clock.t, 800));
  }
  assert.equal(g.rollout.toJSON().decisionsInPhase, 240);
  assert.equal(g.rollout.samplesInPhase, 60);
  const evidence = g.gateEvidence(clock.t);
  assert.equal(evidence.samples, 60);
  assert.equal(evidence.value.trainedOn + evidence.value.evaluatedOn, 60);
});

test('every decision carries its session key and, under a daily token budget of 40,000, the eligibility mask it was drawn under; the gate then finds no candidate mass off the log\'s support', () => {
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const store = jsonStore();
  const g = makeGuarded(clock, 5, {
    events: store,
    budget: { defaultLimits: { daily: 40_000, weekly: null } },
  });
  for (let i = 0; i < 300; i++) {
    const rec = serve(g, context, `session-${Math.floor(i / 3)}`);
    if (rec.kind !== 'decision') continue;
    clock.t += 48 * 60_000;
    g.recordOutcome(rec.decision.requestId, outcome(rec.decision.requestId, clock.t, 900));
  }
  const restricted = store.decisions.filter((d) => d.eligibleArms !== undefined && d.eligibleArms.length < space.trustRegionArms.length);
  assert.ok(restricted.length > 30, `${restricted.length} decisions under a budget mask`);
  for (const d of store.decisions) {
    assert.match(d.sessionKey ?? '', /^session-\d+$/);
    // The logged vector puts probability only on the arms the mask allowed.
    const allowed = new Set(d.eligibleArms ?? space.arms.map((a) => a.index));
    d.probabilities.forEach((p, a) => assert.ok(p === 0 || allowed.has(a), `arm ${a} has probability ${p} outside the mask`));
  }
  const evidence = g.gateEvidence(clock.t);
  assert.equal(evidence.candidateMassOffSupport, 0);
});

test('a phase is declared inconclusive at its deadline (14 days in shadow) even while the next gate look waits for more evidence', () => {
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const start = clock.t;
  const g = makeGuarded(clock, 31, { policyKind: 'baseline' });
  const events: Array<{ kind: string; day: number }> = [];
  for (let i = 0; i < 30 * 16; i++) {
    const rec = serve(g, context, `key-${Math.floor(i / 3)}`);
    if (rec.kind !== 'decision') throw new Error('refused');
    clock.t += 48 * 60_000;
    const r = g.recordOutcome(rec.decision.requestId, outcome(rec.decision.requestId, clock.t, 800));
    for (const e of r.events) events.push({ kind: e.kind, day: (e.timestamp - start) / 86_400_000 });
  }
  const inconclusive = events.find((e) => e.kind === 'inconclusive');
  assert.ok(inconclusive, JSON.stringify(events));
  // The first request after day 14 (one every 48 minutes) declares it.
  assert.ok(inconclusive.day >= 14 && inconclusive.day < 14 + 1 / 24, `declared on day ${inconclusive.day}`);
  assert.equal(g.phase, 'shadow');
});

test('allowed arms narrow a request to the arms its model can take: every draw among them or the baseline, the mask logged, probabilities summing to 1 over it', () => {
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const g = makeGuarded(clock, 11, { rollout: { phases: { canary: { trafficShare: 0.5, minSamples: 10, minDurationDays: 3, deadlineDays: 28 } } } });
  g.promote('tester', 'start in canary');
  // Three trust-region arms other than the baseline, plus one outside the trust region (dropped from the mask).
  const inside = space.trustRegionArms.filter((a) => a !== space.baselineArm).slice(0, 3);
  const outside = space.arms.findIndex((arm) => !space.trustRegionArms.includes(arm.index));
  assert.ok(inside.length === 3 && outside >= 0);
  const expected = [...inside, space.baselineArm].sort((x, y) => x - y);
  const drawn = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const rec = g.recommend(context, `key-${i}`, { allowedArms: [...inside, outside] });
    if (rec.kind !== 'decision') throw new Error('refused');
    assert.deepEqual(rec.decision.eligibleArms, expected);
    assert.ok(expected.includes(rec.decision.armIndex), `arm ${rec.decision.armIndex} outside the allowed arms`);
    const mass = expected.reduce((sum, a) => sum + (rec.decision.probabilities[a] ?? 0), 0);
    assert.ok(Math.abs(mass - 1) < 1e-12, `probability on the allowed arms ${mass}`);
    assert.equal(rec.decision.probabilities[rec.decision.armIndex], rec.decision.propensity);
    drawn.add(rec.decision.armIndex);
    g.logDecision(rec.decision.requestId);
  }
  assert.ok(drawn.size >= 2, `only ${[...drawn].join(',')} drawn in 200 requests`);
  assert.throws(() => g.recommend(context, 'key-x', { allowedArms: [space.arms.length] }), /not an arm of this space/);
});
