// Offline suite (issue 6): a stored log replays to the same decisions under the same seed; every
// logged decision satisfies the trust region and the token budget; the budget's audit chain
// verifies and any edited or removed entry is detected. The real optimizer (Thompson sampling) inside
// GuardedOptimizer, in the LLM-planning environment, 30 requests a day.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyAuditChain, type AuditEntry } from '../../src/core/safety/audit';
import { MemoryEventLog } from '../../src/core/events';
import { GuardedOptimizer } from '../../src/core/guardedOptimizer';
import { parsePolicySettings } from '../../src/core/policies';
import { createRng } from '../../src/core/math/random';
import { parseRewardSettings } from '../../src/core/reward';
import type { Decision, Outcome, RequestContext } from '../../src/core/types';
import { createLlmPlanningEnvironment } from '../../src/sim/llmPlanning';

const env = createLlmPlanningEnvironment();
const space = env.space;

/** One stored request: what came in, and what came back. */
interface LogRow {
  timestamp: number;
  sessionKey: string;
  context: RequestContext;
  outcome?: Outcome;
}

function makeGuarded(seed: number, clock: { t: number }, store: MemoryEventLog, dailyBudget: number): GuardedOptimizer {
  return new GuardedOptimizer({
    space,
    policyKind: 'thompson',
    policySettings: parsePolicySettings({}),
    rewardSettings: parseRewardSettings({}),
    events: store,
    clock: { now: () => clock.t },
    seed,
    budget: { defaultLimits: { daily: dailyBudget, weekly: null } },
  });
}

/** Runs `rounds` requests live, returning the stored log, the decisions and what the budget allowed at each. */
function live(seed: number, rounds: number, dailyBudget: number) {
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const store = new MemoryEventLog();
  const g = makeGuarded(seed, clock, store, dailyBudget);
  const audit = g.audit;
  const world = createRng(seed ^ 0x5eed);
  const log: LogRow[] = [];
  const checks: Array<{ decision: Decision; remaining: number; action: string; promptTokens: number }> = [];
  for (let i = 0; i < rounds; i++) {
    clock.t += Math.round((-Math.log(1 - world.next()) * 86_400_000) / 30);
    const context = env.sampleContext(world);
    const row: LogRow = { timestamp: clock.t, sessionKey: `s-${Math.floor(i / 3)}`, context };
    log.push(row);
    const rec = g.recommend(context, row.sessionKey);
    if (rec.kind === 'refused') continue;
    g.logDecision(rec.decision.requestId);
    checks.push({ decision: rec.decision, remaining: rec.budget.status.remaining, action: rec.budget.action, promptTokens: context.promptTokens });
    const o = env.sampleOutcome(context, space.arms[rec.decision.armIndex]!, world, rec.decision.requestId, clock.t);
    row.outcome = o;
    g.recordOutcome(rec.decision.requestId, o);
  }
  return { g, log, store, audit, checks };
}

test('replaying a stored log of 1,200 requests (40 days: shadow into canary) with the same seed reproduces every decision and rollout event exactly', () => {
  const first = live(11, 1200, 250_000);
  assert.ok(first.g.rollout.events.some((e) => e.kind === 'promote'), 'the run crosses a phase change');
  // What a store keeps: JSON.
  const stored = JSON.parse(JSON.stringify({ log: first.log, decisions: first.store.decisions })) as { log: LogRow[]; decisions: Decision[] };
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const store = new MemoryEventLog();
  const replay = makeGuarded(11, clock, store, 250_000);
  for (const row of stored.log) {
    clock.t = row.timestamp;
    const rec = replay.recommend(row.context, row.sessionKey);
    if (rec.kind === 'refused' || row.outcome === undefined) continue;
    replay.logDecision(rec.decision.requestId);
    replay.recordOutcome(rec.decision.requestId, row.outcome);
  }
  assert.equal(store.decisions.length, 1200);
  assert.deepEqual(JSON.parse(JSON.stringify(store.decisions)), stored.decisions);
  assert.deepEqual(replay.rollout.events, first.g.rollout.events);
});

test('every one of 600 logged decisions under a 60,000-token daily budget stays in the trust region and within the budget, or is the cheapest-arm fallback', () => {
  const { checks } = live(5, 600, 60_000);
  assert.equal(checks.length, 600, 'fallback mode refuses nothing');
  const trust = new Set(space.trustRegionArms);
  let fallbacks = 0;
  for (const { decision, remaining, action, promptTokens } of checks) {
    assert.ok(trust.has(decision.armIndex), `${decision.requestId}: arm ${decision.armId} outside the trust region`);
    decision.probabilities.forEach((p, a) => assert.ok(p === 0 || trust.has(a), `${decision.requestId}: probability ${p} on arm ${a} outside the trust region`));
    if (decision.shadow) assert.ok(trust.has(decision.shadow.armIndex), 'the shadow choice stays in the trust region');
    const cost = promptTokens + (decision.params.maxTokens ?? 4096);
    if (action === 'fallback') {
      fallbacks++;
      assert.equal(decision.params.maxTokens, 1024, 'a fallback serves the cheapest trust-region arm');
      assert.equal(decision.propensity, 1);
    } else {
      assert.ok(cost <= remaining, `${decision.requestId}: cost ${cost} > remaining ${remaining}`);
    }
  }
  assert.ok(fallbacks > 0, 'the budget binds on some days');
});

test('the audit chain of that run verifies; editing a payload, removing an entry or cutting the tail is detected at the right index', () => {
  const { audit } = live(5, 600, 60_000);
  const entries = audit.entries;
  assert.ok(entries.length > 600, `${entries.length} entries`);
  const ok = verifyAuditChain(entries);
  assert.equal(ok.ok, true);
  if (!ok.ok) return;

  const edited: AuditEntry[] = structuredClone([...entries]);
  edited[100]!.payload = { ...edited[100]!.payload, remaining: 999_999 };
  const e = verifyAuditChain(edited);
  assert.equal(e.ok, false);
  if (!e.ok) assert.equal(e.firstBadIndex, 100);

  const removed = [...entries.slice(0, 50), ...entries.slice(51)];
  const r = verifyAuditChain(removed);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.firstBadIndex, 50);

  const cut = entries.slice(0, entries.length - 3);
  const c = verifyAuditChain(cut, { length: ok.length, hash: ok.headHash });
  assert.equal(c.ok, false);
});
