import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditLog } from './audit';
import { BudgetTracker, dayKey, weekKey } from './budget';

const hour = 3_600_000;
const day = 24 * hour;
// Monday 2026-11-23 00:00 UTC.
const monday = Date.UTC(2026, 10, 23);
// Three arms: costs 1000, 4000, 9000 tokens.
const costs = [1000, 4000, 9000];

function tracker(onExhausted: 'fallback' | 'refuse' = 'fallback'): { budget: BudgetTracker; audit: AuditLog } {
  const audit = new AuditLog();
  const budget = new BudgetTracker({ limits: { planTask: { daily: 10_000, weekly: 30_000 } }, onExhausted }, audit);
  return { budget, audit };
}

test('calendar keys: Monday 2026-11-23 and Sunday 2026-11-29 share a week, the next Monday starts a new one; +60 min offset moves 23:30 UTC to the next day', () => {
  assert.equal(weekKey(monday, 0), weekKey(monday + 6 * day + 23 * hour, 0));
  assert.equal(weekKey(monday + 7 * day, 0), weekKey(monday, 0) + 1);
  assert.equal(dayKey(monday + 23.5 * hour, 60), dayKey(monday, 0) + 1);
});

test('serves the proposed arm (9000 tokens) while 10 000 remain, and spends are counted per day and per week', () => {
  const { budget } = tracker();
  const d = budget.guard('planTask', monday + hour, 2, costs);
  assert.equal(d.action, 'serve');
  assert.equal(d.armIndex, 2);
  const s = budget.recordUsage('planTask', 9000, monday + hour, 'r1');
  assert.equal(s.day.spent, 9000);
  assert.equal(s.day.remaining, 1000);
  assert.equal(s.week.remaining, 21_000);
});

test('fallback setting: with 1000 of 10 000 left, arm 2 (9000) falls back to the cheapest allowed arm 0 (1000), and after exhaustion still serves arm 0', () => {
  const { budget, audit } = tracker('fallback');
  budget.recordUsage('planTask', 9000, monday + hour, 'r1');
  const d = budget.guard('planTask', monday + 2 * hour, 2, costs, undefined, 'r2');
  assert.equal(d.action, 'fallback');
  assert.equal(d.armIndex, 0);
  assert.match(d.message ?? '', /9000 of 10000 tokens used this day/);
  budget.recordUsage('planTask', 1500, monday + 3 * hour, 'r2');
  const after = budget.guard('planTask', monday + 4 * hour, 1, costs);
  assert.equal(after.status.exhausted, true);
  assert.equal(after.action, 'fallback');
  assert.equal(after.armIndex, 0);
  // Only arms 1 and 2 allowed: the cheapest of those is arm 1.
  assert.equal(budget.guard('planTask', monday + 4 * hour, 2, costs, [1, 2]).armIndex, 1);
  const kinds = audit.entries.map((e) => e.kind);
  assert.deepEqual(kinds, ['budget.spend', 'budget.fallback', 'budget.spend', 'budget.exhausted', 'budget.fallback', 'budget.fallback']);
  assert.equal(audit.verify().ok, true);
});

test('refuse setting: the cheapest arm is served while it fits (1000 ≤ 1000 left), a refusal with a clear message once nothing is left', () => {
  const { budget } = tracker('refuse');
  budget.recordUsage('planTask', 9000, monday + hour, 'r1');
  assert.equal(budget.guard('planTask', monday + hour, 2, costs).armIndex, 0);
  budget.recordUsage('planTask', 1000, monday + hour, 'r2');
  const d = budget.guard('planTask', monday + 2 * hour, 0, costs);
  assert.equal(d.action, 'refuse');
  assert.equal(d.armIndex, -1);
  assert.match(d.message ?? '', /exhausted: 10000 of 10000 tokens used this day.*not sent/);
});

test('a new day restores the daily budget but not the weekly one (30 000 a week, 3 days of 10 000)', () => {
  const { budget } = tracker('refuse');
  for (let k = 0; k < 3; k++) budget.recordUsage('planTask', 10_000, monday + k * day + hour, `r${k}`);
  const thursday = budget.status('planTask', monday + 3 * day + hour);
  assert.equal(thursday.day.remaining, 10_000);
  assert.equal(thursday.week.remaining, 0);
  assert.equal(thursday.exhausted, true);
  assert.equal(budget.status('planTask', monday + 7 * day).exhausted, false);
});

test('an active waiver of +5000 raises the daily limit to 15 000 and is named on the decision; it applies only once activated', () => {
  const { budget, audit } = tracker();
  budget.recordUsage('planTask', 10_000, monday + hour, 'r1');
  budget.proposeWaiver(
    { id: 'w1', taskType: 'planTask', period: 'day', delta: 5000, reason: 'emergency_hotfix', note: 'prod incident', expiresAt: monday + 12 * hour },
    'ana',
    monday + 2 * hour,
  );
  assert.equal(budget.guard('planTask', monday + 2 * hour, 1, costs).action, 'fallback');
  budget.activateWaiver('w1', 'ben', monday + 3 * hour);
  const d = budget.guard('planTask', monday + 3 * hour, 1, costs);
  assert.equal(d.action, 'serve');
  assert.deepEqual(d.waivers, ['w1']);
  assert.equal(d.status.day.effective, 15_000);
  assert.equal(d.status.day.base, 10_000);
  const activated = audit.entries.find((e) => e.kind === 'waiver.activated');
  assert.equal(activated?.actor, 'ben');
  assert.equal(activated?.payload.approver, 'ben');
  assert.equal(activated?.payload.reason, 'emergency_hotfix');
});

test('an expired waiver restores the base budget at its expiry (12:00), before and after expireWaivers marks it', () => {
  const { budget, audit } = tracker();
  budget.proposeWaiver({ id: 'w1', taskType: 'all', period: 'day', delta: 5000, reason: 'performance_critical', expiresAt: monday + 12 * hour }, 'ana', monday);
  budget.activateWaiver('w1', 'ben', monday);
  assert.equal(budget.status('planTask', monday + 12 * hour - 1).day.effective, 15_000);
  const atExpiry = budget.status('planTask', monday + 12 * hour);
  assert.equal(atExpiry.day.effective, 10_000);
  assert.deepEqual(atExpiry.appliedWaivers, []);
  const expired = budget.expireWaivers(monday + 12 * hour);
  assert.deepEqual(
    expired.map((w) => [w.id, w.status]),
    [['w1', 'expired']],
  );
  assert.equal(audit.entries.at(-1)?.kind, 'waiver.expired');
  assert.throws(() => budget.revokeWaiver('w1', 'ana', 'no longer needed', monday + 13 * hour), /expired/);
});

test('a revoked waiver stops applying and records who revoked it and why', () => {
  const { budget, audit } = tracker();
  budget.proposeWaiver({ id: 'w2', taskType: 'planTask', period: 'week', delta: 20_000, reason: 'evaluation_run', expiresAt: monday + 5 * day }, 'ana', monday);
  budget.activateWaiver('w2', 'ben', monday);
  assert.equal(budget.status('planTask', monday + hour).week.effective, 50_000);
  budget.revokeWaiver('w2', 'carl', 'evaluation finished early', monday + 2 * hour);
  assert.equal(budget.status('planTask', monday + 3 * hour).week.effective, 30_000);
  const last = audit.entries.at(-1);
  assert.equal(last?.kind, 'waiver.revoked');
  assert.equal(last?.actor, 'carl');
  assert.equal(last?.payload.revokeReason, 'evaluation finished early');
});

test('waiver input is validated: unknown reason codes and already-expired waivers are refused', () => {
  const { budget } = tracker();
  assert.throws(() =>
    budget.proposeWaiver({ id: 'w3', taskType: 'planTask', period: 'day', delta: 1, reason: 'because' as 'emergency_hotfix', expiresAt: monday + day }, 'ana', monday),
  );
  assert.throws(
    () => budget.proposeWaiver({ id: 'w4', taskType: 'planTask', period: 'day', delta: 1, reason: 'emergency_hotfix', expiresAt: monday }, 'ana', monday),
    /expire/,
  );
});

test('state survives a round trip through toJSON', () => {
  const { budget, audit } = tracker();
  budget.recordUsage('planTask', 7000, monday + hour, 'r1');
  const restored = new BudgetTracker({ limits: { planTask: { daily: 10_000, weekly: 30_000 } } }, audit, budget.toJSON());
  assert.equal(restored.status('planTask', monday + 2 * hour).day.remaining, 3000);
});

test('an arm without a finite cost is refused as input (arm 3 of 3 costs)', () => {
  const { budget } = tracker();
  assert.throws(() => budget.guard('planTask', monday, 3, costs), /no finite token cost for arm 3/);
});

test('eligibility before the draw: with 5000 of 10 000 left only arms 0 (1000) and 1 (4000) are eligible; with 500 left the fallback mask is arm 0 alone', () => {
  const { budget, audit } = tracker('fallback');
  const mask = new Uint8Array(3);
  budget.recordUsage('planTask', 5000, monday + hour, 'r1');
  const a = budget.eligibility('planTask', monday + hour, costs, mask);
  assert.equal(a.action, 'serve');
  assert.deepEqual(Array.from(mask), [1, 1, 0]);
  assert.equal(audit.entries.at(-1)?.kind, 'budget.restricted');
  budget.recordUsage('planTask', 4500, monday + 2 * hour, 'r2');
  const b = budget.eligibility('planTask', monday + 2 * hour, costs, mask, [1, 2]);
  assert.equal(b.action, 'fallback');
  assert.deepEqual(Array.from(mask), [0, 1, 0], 'cheapest of the allowed arms 1 and 2');
  assert.match(b.message ?? '', /9500 of 10000 tokens used this day/);
});

test('eligibility with the refuse setting and nothing affordable: an empty mask and a refusal message', () => {
  const { budget } = tracker('refuse');
  const mask = new Uint8Array(3);
  budget.recordUsage('planTask', 9500, monday + hour, 'r1');
  const d = budget.eligibility('planTask', monday + hour, costs, mask);
  assert.equal(d.action, 'refuse');
  assert.deepEqual(Array.from(mask), [0, 0, 0]);
  assert.match(d.message ?? '', /not sent/);
});

test('a restriction is audited when it changes, not on every request: the decision carries its own mask', () => {
  const { budget, audit } = tracker('fallback');
  const mask = new Uint8Array(3);
  const restrictions = (): string[] => audit.entries.filter((e) => e.kind !== 'budget.spend' && e.kind !== 'budget.exhausted').map((e) => `${e.kind}:${String(e.payload.eligibleArms ?? e.payload.armIndex)}`);
  budget.recordUsage('planTask', 5000, monday + hour, 'r1');
  for (let i = 0; i < 5; i++) budget.eligibility('planTask', monday + hour + i, costs, mask, undefined, `a${i}`);
  assert.deepEqual(restrictions(), ['budget.restricted:2'], 'five requests under one restriction: one entry');
  // Another set of allowed arms (another model) is another restriction, logged once too.
  for (let i = 0; i < 3; i++) budget.eligibility('planTask', monday + hour + 10 + i, costs, mask, [1, 2], `b${i}`);
  assert.deepEqual(restrictions(), ['budget.restricted:2', 'budget.restricted:1']);
  budget.recordUsage('planTask', 4500, monday + 2 * hour, 'r2');
  for (let i = 0; i < 4; i++) budget.eligibility('planTask', monday + 2 * hour + i, costs, mask, undefined, `c${i}`);
  assert.deepEqual(restrictions(), ['budget.restricted:2', 'budget.restricted:1', 'budget.fallback:0']);
  // A tracker restored from the state, or rebuilt by replaying the entries, does not log them again.
  const restoredAudit = new AuditLog();
  for (const e of audit.entries) restoredAudit.applyEntry(e);
  const restored = new BudgetTracker(budget.config, restoredAudit, budget.toJSON());
  restored.eligibility('planTask', monday + 3 * hour, costs, mask);
  const replayed = new BudgetTracker(budget.config, new AuditLog(), undefined);
  for (const e of audit.entries) replayed.noteAuditEntry(e);
  assert.deepEqual(replayed.toJSON().restrictionsLogged, budget.toJSON().restrictionsLogged);
  assert.equal(restoredAudit.entries.length, audit.entries.length, 'the restored tracker logged nothing new');
  // The next day starts afresh: the first restricted request of the day is logged.
  budget.recordUsage('planTask', 9500, monday + day + hour, 'r3');
  budget.eligibility('planTask', monday + day + hour, costs, mask);
  budget.eligibility('planTask', monday + day + hour + 1, costs, mask);
  assert.deepEqual(restrictions(), ['budget.restricted:2', 'budget.restricted:1', 'budget.fallback:0', 'budget.fallback:0']);
  assert.equal(audit.verify().ok, true);
});
