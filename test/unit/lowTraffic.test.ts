// The rollout manager, SLO monitor and gate together at one developer's traffic (30 requests a day,
// default settings), in the simulation of bench/lowTraffic.bench.ts (outcome model stated there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateLowTraffic } from '../../bench/lowTraffic.bench';

test('a candidate 0.2 worse in quality is rolled back in every one of 100 seeded runs within 180 days, after a median of ≤ 30 learned requests', () => {
  const harmful: number[] = [];
  for (let seed = 1; seed <= 100; seed++) {
    const r = simulateLowTraffic({ requestsPerDay: 30, qualityShift: -0.2, horizonDays: 180, seed });
    assert.equal(r.rolledBack, true, `seed ${seed} not rolled back`);
    assert.equal(r.rollbackMetric, 'quality');
    assert.equal(r.finalPhase, 'shadow', 'canary rolls back to the previous phase, shadow');
    assert.equal(r.finalStatus, 'rolledBack');
    harmful.push(r.learnedRequestsBeforeRollback ?? Infinity);
  }
  harmful.sort((a, b) => a - b);
  assert.ok((harmful[50] ?? Infinity) <= 30, `median ${harmful[50]}`);
});

test('an equal candidate is falsely rolled back in at most 2 of 100 seeded runs over 60 days', () => {
  let rolled = 0;
  for (let seed = 1001; seed <= 1100; seed++) {
    if (simulateLowTraffic({ requestsPerDay: 30, qualityShift: 0, horizonDays: 60, seed }).rolledBack) rolled++;
  }
  assert.ok(rolled <= 2, `${rolled} false rollbacks`);
});

test('a candidate 0.1 better reaches the general phase through canary and guarded in every one of 30 runs within 180 days', () => {
  for (let seed = 2001; seed <= 2030; seed++) {
    const r = simulateLowTraffic({ requestsPerDay: 30, qualityShift: 0.1, horizonDays: 180, seed });
    assert.equal(r.finalPhase, 'general', `seed ${seed} ended in ${r.finalPhase}/${r.finalStatus}`);
    const d = r.enteredDay;
    assert.ok(d.canary !== undefined && d.guarded !== undefined && d.general !== undefined);
    // Minimum durations: shadow ≥ 2 days, canary ≥ 3, guarded ≥ 3.
    assert.ok(d.canary >= 2 && d.guarded - d.canary >= 3 && d.general - d.guarded >= 3);
  }
});
