// Canary suite (issue 6): the real optimizer inside GuardedOptimizer, in the LLM-planning
// environment at one developer's traffic (30 requests a day, sessions of ≤ 2 h). The "worse" and
// "equal" candidates are the baseline policy itself serving the learned share, with its served
// requests' true quality shifted by −0.2 and 0: their true gap to the baseline is exactly the shift.
// They start in canary by a recorded manual promotion, since a candidate equal to the baseline can
// never pass the value gate out of shadow. The "better" candidate is the real learner (Thompson
// sampling, shared features), whose plans are ~0.18 better in true quality than the baseline's.
// The first two tests are about the SLO monitor; they run the promotion gate weekly instead of daily
// (its OPE is ~15 ms an evaluation, the bulk of a run's time), which changes nothing the monitor sees
// but an occasional promotion of the equal candidate to general.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicySettings } from '../../src/core/policies';
import { parseRewardSettings } from '../../src/core/reward';
import { createLlmPlanningEnvironment } from '../../src/sim/llmPlanning';
import { runRollout, type RolloutRunOptions } from '../../src/sim/runRollout';

const environment = createLlmPlanningEnvironment();
const flatWorld = createLlmPlanningEnvironment(undefined, { flat: true });
const base = { environment, policySettings: parsePolicySettings({}), rewardSettings: parseRewardSettings({}) } as const;
const weeklyGate = { gateIntervalMs: 7 * 86_400_000 };

function run(options: Partial<RolloutRunOptions> & Pick<RolloutRunOptions, 'policy' | 'rounds' | 'seed'>): ReturnType<typeof runRollout>['result'] {
  return runRollout({ ...base, ...options }).result;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

test('a candidate 0.2 worse in quality, started in canary, is rolled back to shadow on quality in every one of 100 seeded runs within 120 days, after a median of ≤ 60 learned requests', (t) => {
  const harmful: number[] = [];
  const days: number[] = [];
  for (let seed = 1; seed <= 100; seed++) {
    const r = run({ policy: 'baseline', candidateShift: -0.2, rounds: 3600, seed, startPhase: 'canary', stopOnRollback: true, guarded: weeklyGate });
    assert.equal(r.incidents.length, 1, `seed ${seed}: not rolled back in ${r.simulatedDays.toFixed(0)} days`);
    assert.equal(r.incidents[0]!.breach.metric, 'quality', `seed ${seed}`);
    assert.equal(r.finalPhase, 'shadow');
    harmful.push(r.learnedBeforeFirstRollback ?? Infinity);
    days.push(r.simulatedDays);
  }
  harmful.sort((a, b) => a - b);
  days.sort((a, b) => a - b);
  t.diagnostic(`learned requests before rollback: median ${percentile(harmful, 0.5)}, p90 ${percentile(harmful, 0.9)}, max ${harmful.at(-1)}`);
  t.diagnostic(`days in canary before rollback: median ${percentile(days, 0.5).toFixed(1)}, p90 ${percentile(days, 0.9).toFixed(1)}`);
  assert.ok(percentile(harmful, 0.5) <= 60, `median ${percentile(harmful, 0.5)}`);
});

test('a candidate equal to the baseline, serving 25% of sessions for 40 days, is falsely rolled back in at most 2 of 100 seeded runs', (t) => {
  let rolledBack = 0;
  let learned = 0;
  for (let seed = 1001; seed <= 1100; seed++) {
    const r = run({ policy: 'baseline', candidateShift: 0, rounds: 1200, seed, startPhase: 'guarded', stopOnRollback: true, guarded: weeklyGate });
    if (r.incidents.length > 0) rolledBack++;
    learned += r.learnedServed;
  }
  t.diagnostic(`false rollbacks: ${rolledBack} of 100; learned requests per run: ${(learned / 100).toFixed(0)}`);
  assert.ok(rolledBack <= 2, `${rolledBack} false rollbacks`);
});

test('the learned policy (better in true quality) is promoted shadow → canary → guarded → general by the gate in each of 3 seeded runs within 60 days', () => {
  for (let seed = 1; seed <= 3; seed++) {
    const r = run({ policy: 'thompson', rounds: 1800, seed });
    const path = r.events.filter((e) => e.kind === 'promote').map((e) => `${e.from}→${e.to}`);
    assert.deepEqual(path, ['shadow→canary', 'canary→guarded', 'guarded→general'], `seed ${seed}: ${JSON.stringify(r.events)}`);
    assert.ok(r.events.every((e) => e.actor === 'auto'));
    assert.equal(r.incidents.length, 0);
    assert.equal(r.finalPhase, 'general');
  }
});

test('in the flat world (every arm worth the baseline arm) the real learner is promoted out of shadow in at most 2 of 20 seeded runs over 40 days', (t) => {
  // Before the gate scored a frozen candidate on unseen rows against the baseline arm at a level
  // spent across looks, every one of 20 such runs was promoted within 14 days (median about 3).
  // The target is a rate ≤ 5%, which `npm run -s bench -- promotionGate` measures over 100 runs
  // (2 of 100). Here, 20 runs: at a true rate of 5%, 3 or more of 20 happen 7.5% of the time; at the
  // 20% of a gate without the correction for repeated looks, 2 or fewer happen 21% of the time, at
  // the old gate's rate never.
  let promoted = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const r = runRollout({ ...base, environment: flatWorld, policy: 'thompson', rounds: 1200, seed }).result;
    if (r.events.some((e) => e.kind === 'promote' && e.from === 'shadow')) promoted++;
  }
  t.diagnostic(`promoted out of shadow: ${promoted} of 20`);
  assert.ok(promoted <= 2, `${promoted} of 20 null runs promoted`);
});

test('a candidate 0.4 worse than itself that the gate promoted out of shadow is rolled back by the SLO monitor in each of 3 runs', () => {
  // The learner's true quality is ~0.18 above the baseline's; −0.4 makes it ~0.2 worse than the
  // baseline once it serves. Shadow cannot see the shift (nothing is served), so the gate promotes.
  for (let seed = 1; seed <= 3; seed++) {
    const r = run({ policy: 'thompson', candidateShift: -0.4, rounds: 2700, seed, stopOnRollback: true });
    assert.ok(r.events.some((e) => e.kind === 'promote' && e.from === 'shadow' && e.actor === 'auto'), `seed ${seed}: ${JSON.stringify(r.events)}`);
    assert.equal(r.incidents.length, 1, `seed ${seed}: ${JSON.stringify(r.events)}`);
    assert.equal(r.incidents[0]!.breach.metric, 'quality');
  }
});

test('a quality drop of 0.3 that hits both policies at once (day 35, guarded since day 30) rolls back an equal candidate in at most 1 of 30 seeded runs over 90 days: both streams cover the same window', (t) => {
  // With the baseline's stream covering the monitor's whole life and the learned one only the current
  // epoch, the learned stream saw mostly the bad days and the baseline mostly the good ones: 27 of 30
  // of these runs were rolled back on quality.
  let rolledBack = 0;
  for (let seed = 2001; seed <= 2030; seed++) {
    const r = run({
      policy: 'baseline',
      rounds: 2700,
      seed,
      startPhase: 'guarded',
      startPhaseAtDay: 30,
      commonShift: { fromDay: 35, qualityShift: -0.3 },
      stopOnRollback: true,
      guarded: { gateIntervalMs: 365 * 86_400_000 },
    });
    if (r.incidents.length > 0) rolledBack++;
  }
  t.diagnostic(`false rollbacks after a common drop: ${rolledBack} of 30`);
  assert.ok(rolledBack <= 1, `${rolledBack} of 30 rolled back`);
});
