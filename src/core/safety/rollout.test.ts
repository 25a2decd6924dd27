import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RolloutManager, mixtureProbabilities, mixturePropensity, rolloutConfigSchema, shadowRecord, trafficBucket } from './rollout';
import type { GateVerdict } from './gates';
import type { SloBreach } from './slo';

const day = 86_400_000;
const t0 = Date.UTC(2026, 10, 23);
const pass: GateVerdict = { phase: 'canary', passed: true, checks: [{ name: 'samples', passed: true, value: 12, threshold: 10, detail: '' }], summary: 'all checks passed' };
const fail: GateVerdict = {
  phase: 'canary',
  passed: false,
  checks: [{ name: 'qualityFloor', passed: false, value: 0.42, threshold: 0.5, detail: 'quality lower bound 0.420 vs floor 0.500' }],
  summary: 'quality lower bound 0.420 vs floor 0.500',
};

/** A manager already in canary (10 learned samples and 3 days required, deadline 28 days). */
function inCanary(config = {}): RolloutManager {
  const m = new RolloutManager(config, t0);
  m.promote('ana', 'skip shadow for the test', t0);
  return m;
}

test('defaults: shares 0 / 5% / 25% / 100%, rollback to the previous phase, auto-promotion on', () => {
  const c = rolloutConfigSchema.parse({});
  assert.deepEqual(
    [c.phases.shadow.trafficShare, c.phases.canary.trafficShare, c.phases.guarded.trafficShare, c.phases.general.trafficShare],
    [0, 0.05, 0.25, 1],
  );
  assert.equal(c.rollbackTo, 'previous');
  assert.equal(c.autoPromote, true);
  // One setting overridden, the others keep their defaults.
  assert.equal(rolloutConfigSchema.parse({ phases: { canary: { trafficShare: 0.1, minSamples: 5, minDurationDays: 1, deadlineDays: 10 } } }).phases.guarded.trafficShare, 0.25);
});

test('the sticky split serves about 5% of 20 000 keys in canary, the same keys every time, and keeps them at 25%', () => {
  const m = inCanary();
  const keys = Array.from({ length: 20_000 }, (_, i) => `session-${i}`);
  const learned = keys.filter((k) => m.servedBy(k) === 'learned');
  // Binomial(20 000, 0.05): sd ≈ 31, so 1000 ± 4 sd.
  assert.ok(Math.abs(learned.length - 1000) < 124, `${learned.length} of 20 000`);
  assert.ok(learned.every((k) => m.servedBy(k) === 'learned'));
  m.promote('ana', 'to guarded', t0 + day);
  assert.ok(learned.every((k) => m.servedBy(k) === 'learned'));
  const guarded = keys.filter((k) => m.servedBy(k) === 'learned').length;
  assert.ok(Math.abs(guarded - 5000) < 245, `${guarded} of 20 000 at 25%`);
});

test('buckets are uniform: each decile of [0, 1) holds 10% ± 1% of 50 000 keys', () => {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 50_000; i++) {
    const b = trafficBucket(`k${i}`, 'salt');
    counts[Math.floor(b * 10)]! += 1;
  }
  for (const c of counts) assert.ok(Math.abs(c - 5000) < 500, String(counts));
});

test('mixture propensity (1 − p)·π_b + p·π_l: p = 0.05, π_b = 0.8, π_l = 0.1 gives 0.765; the mixture vector sums to 1', () => {
  assert.ok(Math.abs(mixturePropensity(0.8, 0.1, 0.05) - 0.765) < 1e-12);
  const out = mixtureProbabilities([0.8, 0.1, 0.1], [0.1, 0.1, 0.8], 0.25, new Float64Array(3));
  assert.deepEqual(Array.from(out).map((x) => Number(x.toFixed(6))), [0.625, 0.1, 0.275]);
  assert.deepEqual(shadowRecord(2, [0.1, 0.1, 0.8]), { armIndex: 2, propensity: 0.8, probabilities: [0.1, 0.1, 0.8] });
});

test('shadow serves everything from the baseline and counts requests with an outcome (not decisions) toward its 60-sample minimum', () => {
  const m = new RolloutManager({}, t0);
  assert.equal(m.servedBy('any'), 'baseline');
  for (let i = 0; i < 80; i++) m.recordDecision();
  // Decisions whose outcome has not arrived give the gate nothing to score.
  assert.equal(m.samplesInPhase, 0);
  for (let i = 0; i < 59; i++) m.recordOutcome('baseline');
  assert.equal(m.evaluate(t0 + 3 * day, pass), undefined, '59 outcomes');
  m.recordOutcome('baseline');
  assert.equal(m.samplesInPhase, 60);
  assert.equal(m.evaluate(t0 + 1.9 * day, pass), undefined, 'min duration 2 days not reached');
  const e = m.evaluate(t0 + 2 * day, pass);
  assert.equal(e?.kind, 'promote');
  assert.equal(m.phase, 'canary');
});

test('promotion needs min samples (10) AND min duration (3 days) AND a passing gate', () => {
  const m = inCanary();
  for (let i = 0; i < 9; i++) m.recordOutcome('learned');
  m.recordOutcome('baseline');
  assert.equal(m.evaluate(t0 + 5 * day, pass), undefined, '9 learned samples');
  m.recordOutcome('learned');
  assert.equal(m.evaluate(t0 + 2.9 * day, pass), undefined, '2.9 days');
  assert.equal(m.evaluate(t0 + 5 * day, fail), undefined, 'failing gate');
  assert.equal(m.evaluate(t0 + 5 * day, undefined), undefined, 'no gate');
  const e = m.evaluate(t0 + 5 * day, pass);
  assert.equal(e?.kind, 'promote');
  assert.equal(e?.from, 'canary');
  assert.equal(e?.to, 'guarded');
  assert.equal(e?.evidence.samples, 10);
  assert.equal(e?.evidence.days, 5);
  assert.equal(e?.evidence['gate.samples'], 'pass: 12 vs 10');
  assert.equal(m.samplesInPhase, 0, 'counters restart in the new phase');
});

test('without auto-promotion the state becomes Promotable and waits for a manual promote with who and why', () => {
  const m = inCanary({ autoPromote: false });
  for (let i = 0; i < 10; i++) m.recordOutcome('learned');
  assert.equal(m.evaluate(t0 + 4 * day, pass)?.toStatus, 'promotable');
  assert.equal(m.evaluate(t0 + 4 * day, pass), undefined, 'no repeated event');
  assert.equal(m.phase, 'canary');
  const e = m.promote('ben', 'reviewed the dashboard', t0 + 4.5 * day);
  assert.deepEqual([e.from, e.to, e.actor, e.reason, e.fromStatus, e.toStatus], ['canary', 'guarded', 'ben', 'reviewed the dashboard', 'promotable', 'running']);
});

test('Inconclusive at the 28-day deadline with 6 of 10 samples: stays in canary, says what is missing, promotes later when evidence arrives', () => {
  const m = inCanary();
  for (let i = 0; i < 6; i++) m.recordOutcome('learned');
  assert.equal(m.evaluate(t0 + 27.9 * day, pass), undefined);
  const e = m.evaluate(t0 + 28 * day, pass);
  assert.equal(e?.kind, 'inconclusive');
  assert.equal(m.phase, 'canary');
  assert.equal(m.status, 'inconclusive');
  assert.match(e?.reason ?? '', /after 28 days: too few samples; staying in canary/);
  assert.equal(m.evaluate(t0 + 29 * day, pass), undefined, 'said once');
  for (let i = 0; i < 4; i++) m.recordOutcome('learned');
  assert.equal(m.evaluate(t0 + 30 * day, pass)?.kind, 'promote');
});

test('manual pause blocks promotion and resume restores the previous status, both recorded with who and why', () => {
  const m = inCanary();
  for (let i = 0; i < 10; i++) m.recordOutcome('learned');
  const p = m.pause('carl', 'holiday week, traffic unusual', t0 + day);
  assert.deepEqual([p.kind, p.actor, p.reason, p.toStatus], ['pause', 'carl', 'holiday week, traffic unusual', 'paused']);
  assert.equal(m.evaluate(t0 + 10 * day, pass), undefined);
  assert.equal(m.servedBy('x'), inCanary().servedBy('x'), 'traffic split unchanged while paused');
  const r = m.resume('carl', 'back', t0 + 11 * day);
  assert.equal(r.toStatus, 'running');
  assert.equal(m.evaluate(t0 + 11 * day, pass)?.kind, 'promote');
});

const breach: SloBreach = {
  metric: 'quality',
  timestamp: t0,
  higherIsBetter: true,
  learned: { n: 14, mean: 0.48, lower: 0.3, upper: 0.62 },
  baseline: { n: 400, mean: 0.71, lower: 0.66, upper: 0.75 },
  tolerance: 0.02,
  alpha: 0.02,
  message: 'quality: learned 0.480 over 14 requests is below baseline 0.710',
};

test('an SLO breach in guarded rolls back to canary by default, holds there, and records an incident with the bounds', () => {
  const m = inCanary();
  m.promote('ana', 'to guarded', t0 + day);
  const { event, incident } = m.rollbackOnBreach(breach, t0 + 2 * day);
  assert.deepEqual([event.kind, event.from, event.to, event.toStatus, event.actor], ['rollback', 'guarded', 'canary', 'rolledBack', 'slo-monitor']);
  assert.equal(event.evidence.learnedUpper, 0.62);
  assert.equal(event.evidence.baselineLower, 0.66);
  assert.equal(event.evidence.learnedN, 14);
  assert.deepEqual([incident.fromPhase, incident.toPhase, incident.breach.metric], ['guarded', 'canary', 'quality']);
  assert.equal(m.share, 0.05);
  for (let i = 0; i < 50; i++) m.recordOutcome('learned');
  assert.equal(m.evaluate(t0 + 20 * day, pass), undefined, 'no promotion while rolled back');
  assert.equal(m.resume('ana', 'fixed the prompt', t0 + 21 * day).toStatus, 'running');
});

test('with rollbackTo "shadow" a breach in guarded goes straight to shadow (0% learned)', () => {
  const m = inCanary({ rollbackTo: 'shadow' });
  m.promote('ana', 'to guarded', t0 + day);
  const { event } = m.rollbackOnBreach(breach, t0 + 2 * day);
  assert.equal(event.to, 'shadow');
  assert.equal(m.servedBy('session-1'), 'baseline');
  // A manual rollback records who and why, and can override the target.
  const n = inCanary();
  const e = n.rollback('dana', 'plans got longer', t0 + day, {}, 'shadow');
  assert.deepEqual([e.from, e.to, e.actor, e.reason], ['canary', 'shadow', 'dana', 'plans got longer']);
});

test('state round-trips through toJSON', () => {
  const m = inCanary();
  for (let i = 0; i < 4; i++) m.recordOutcome('learned');
  const r = new RolloutManager({}, 0, m.toJSON());
  assert.deepEqual([r.phase, r.status, r.samplesInPhase], ['canary', 'running', 4]);
});

test('IPS with the logged mixture propensity is unbiased under the sticky split: 5 requests per key, p = 0.25, mean estimate of a 0.8-valued policy over 300 seeds within 0.02', () => {
  // Arms with Bernoulli rewards 0.2 / 0.5 / 0.8; baseline π_b = (0.8, 0.1, 0.1), learned π_l = (0.1, 0.1, 0.8).
  // Target: always arm 2, true value 0.8. Logged μ(2) = 0.75 · 0.1 + 0.25 · 0.8 = 0.275.
  const means = [0.2, 0.5, 0.8];
  const pb = [0.8, 0.1, 0.1];
  const pl = [0.1, 0.1, 0.8];
  let seedState = 12345;
  const u = (): number => {
    seedState = (Math.imul(seedState, 1664525) + 1013904223) >>> 0;
    return seedState / 4294967296;
  };
  const draw = (p: number[]): number => {
    const x = u();
    return x < (p[0] ?? 0) ? 0 : x < (p[0] ?? 0) + (p[1] ?? 0) ? 1 : 2;
  };
  let sumEstimates = 0;
  for (let run = 0; run < 300; run++) {
    const m = new RolloutManager({ splitSalt: `run-${run}`, phases: { canary: { trafficShare: 0.25, minSamples: 1, minDurationDays: 0, deadlineDays: 1 } } }, t0);
    m.promote('test', 'into canary', t0);
    let sum = 0;
    const n = 1000;
    for (let i = 0; i < n; i++) {
      const key = `session-${Math.floor(i / 5)}`;
      const arm = draw(m.servedBy(key) === 'learned' ? pl : pb);
      const reward = u() < (means[arm] ?? 0) ? 1 : 0;
      const propensity = mixturePropensity(pb[arm] ?? 0, pl[arm] ?? 0, m.share);
      if (arm === 2) sum += reward / propensity;
    }
    sumEstimates += sum / n;
  }
  const mean = sumEstimates / 300;
  assert.ok(Math.abs(mean - 0.8) < 0.02, `mean IPS estimate ${mean}`);
});
