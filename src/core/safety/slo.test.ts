import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BernoulliMixtureSequence, BoundedMeanSequence, SloMonitor, TwoSampleSequentialTest, quantile, sloObservationOf } from './slo';
import type { SloObservation } from './slo';
import { createRng } from '../math/random';

/** A seeded uniform stream from the project's generator, so every run below is reproducible. */
function seeded(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.next();
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const clip01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

test('each one-sided bound misses a Bernoulli(0.3) mean in at most a = 2.5% of 500 runs checked after each of 2000 observations', () => {
  let missLow = 0;
  let missHigh = 0;
  for (let run = 0; run < 500; run++) {
    const u = seeded(1000 + run);
    const cs = new BoundedMeanSequence(0.025);
    let low = false;
    let high = false;
    for (let i = 0; i < 2000 && !(low && high); i++) {
      cs.push(u() < 0.3 ? 1 : 0);
      if (cs.lower > 0.3) low = true;
      if (cs.upper < 0.3) high = true;
    }
    if (low) missLow++;
    if (high) missHigh++;
  }
  assert.ok(missLow / 500 <= 0.025, `lower bound missed in ${missLow}/500 runs`);
  assert.ok(missHigh / 500 <= 0.025, `upper bound missed in ${missHigh}/500 runs`);
});

for (const rate of [0.03, 0.3]) {
  // A mixture of likelihood ratios nearly attains Ville's bound, so the miss rate sits close to a
  // (unlike betting's, far below it): the allowance is a plus three Monte Carlo standard deviations,
  // 12.5 + 3·3.5 ≈ 22 of 500 runs.
  test(`the 0/1 mixture sequence: each one-sided bound misses a rate of ${rate} in at most a = 2.5% (+3 sd) of 500 runs checked after each of 3000 observations`, () => {
    let missLow = 0;
    let missHigh = 0;
    for (let run = 0; run < 500; run++) {
      const u = seeded(5000 + run);
      const cs = new BernoulliMixtureSequence(0.025);
      let low = false;
      let high = false;
      for (let i = 0; i < 3000 && !(low && high); i++) {
        cs.push(u() < rate ? 1 : 0);
        if (cs.lower > rate) low = true;
        if (cs.upper < rate) high = true;
      }
      if (low) missLow++;
      if (high) missHigh++;
    }
    assert.ok(missLow <= 22, `lower bound missed in ${missLow}/500 runs`);
    assert.ok(missHigh <= 22, `upper bound missed in ${missHigh}/500 runs`);
  });
}

test('the 0/1 mixture bounds hold the rate and are tighter than betting\'s for a rare event: 20 errors in 1000 requests', () => {
  const mixture = new BernoulliMixtureSequence(0.005);
  const betting = new BoundedMeanSequence(0.005);
  for (let i = 0; i < 1000; i++) {
    const x = i % 50 === 0 ? 1 : 0;
    mixture.push(x);
    betting.push(x);
  }
  assert.equal(mixture.mean, 0.02);
  assert.ok(mixture.lower < 0.02 && mixture.upper > 0.02);
  assert.ok(mixture.upper - mixture.lower < betting.upper - betting.lower, `mixture [${mixture.lower}, ${mixture.upper}] vs betting [${betting.lower}, ${betting.upper}]`);
  const restored = new BernoulliMixtureSequence(0.005);
  restored.restore(JSON.parse(JSON.stringify(mixture.toJSON())));
  assert.deepEqual(restored.bounds(), mixture.bounds());
});

test('error-rate power at one developer\'s traffic (30 a day, 25% learned): errors going from 2% to 10% are caught within 90 days in ≥ 60 of 100 runs with the 0/1 mixture (betting caught 40), and an equal rate in none', () => {
  const caught = { indicator: 0, bounded: 0, equal: 0 };
  for (let seed = 1; seed <= 100; seed++) {
    for (const [kind, learnedRate] of [['indicator', 0.1], ['bounded', 0.1], ['equal', 0.02]] as const) {
      const u = seeded(seed);
      const t = new TwoSampleSequentialTest(0.01, 0.02, false, kind === 'bounded' ? 'bounded' : 'indicator');
      for (let i = 0; i < 30 * 90; i++) {
        const learned = u() < 0.25;
        (learned ? t.learned : t.baseline).push(u() < (learned ? learnedRate : 0.02) ? 1 : 0);
        if (t.learned.count >= 8 && t.baseline.count >= 30 && t.worse()) {
          caught[kind]++;
          break;
        }
      }
    }
  }
  assert.ok(caught.indicator >= 60, JSON.stringify(caught));
  assert.ok(caught.bounded < caught.indicator, JSON.stringify(caught));
  assert.equal(caught.equal, 0, JSON.stringify(caught));
});

test('bounds narrow with data: 200 observations of sd 0.2 around 0.5 give an interval narrower than 0.15 that holds 0.5', () => {
  const u = seeded(7);
  const cs = new BoundedMeanSequence(0.005);
  for (let i = 0; i < 200; i++) cs.push(clip01(0.5 + 0.2 * normal(u)));
  assert.ok(cs.lower < 0.5 && cs.upper > 0.5, `[${cs.lower}, ${cs.upper}]`);
  assert.ok(cs.upper - cs.lower < 0.15, `width ${cs.upper - cs.lower}`);
});

test('two-sample quality test: false alarm ≤ α = 0.05 over 500 runs × 2000 checks when learned equals baseline (tolerance 0)', () => {
  let alarms = 0;
  for (let run = 0; run < 500; run++) {
    const u = seeded(50_000 + run);
    const t = new TwoSampleSequentialTest(0.05, 0, true);
    for (let i = 0; i < 2000; i++) {
      const x = clip01(0.7 + 0.2 * normal(u));
      // Half the traffic to each side, the learned share's worst case for the union bound.
      if (u() < 0.5) t.learned.push(x);
      else t.baseline.push(x);
      if (t.worse()) {
        alarms++;
        break;
      }
    }
  }
  assert.ok(alarms / 500 <= 0.05, `false alarms in ${alarms}/500 runs`);
});

test('two-sample quality test detects a learned mean 0.2 below the baseline (0.5 vs 0.7, sd 0.2) in all 200 runs: median ≤ 30, 90th percentile ≤ 60, every run ≤ 150 learned samples', () => {
  const needed: number[] = [];
  for (let run = 0; run < 200; run++) {
    const u = seeded(90_000 + run);
    const t = new TwoSampleSequentialTest(0.02, 0.02, true);
    for (let i = 0; i < 200; i++) t.baseline.push(clip01(0.7 + 0.2 * normal(u)));
    let n = 0;
    while (!t.worse() && n < 1000) {
      t.learned.push(clip01(0.5 + 0.2 * normal(u)));
      n++;
    }
    needed.push(n);
  }
  needed.sort((a, b) => a - b);
  assert.ok((needed[100] ?? Infinity) <= 30, `median ${needed[100]}`);
  assert.ok((needed[180] ?? Infinity) <= 60, `90th percentile ${needed[180]}`);
  assert.ok((needed[199] ?? Infinity) <= 150, `worst run needed ${needed[199]} learned samples`);
});

function latencyMonitor(): SloMonitor {
  return new SloMonitor({
    metrics: {
      quality: { enabled: false, alpha: 0.02, tolerance: 0 },
      errorRate: { enabled: false, alpha: 0.01, tolerance: 0 },
      tokens: { enabled: false, alpha: 0.01, tolerance: 0 },
      latencyP95: { alpha: 0.03, tolerance: 0.02 },
      latencyP99: { alpha: 0.02, tolerance: 0.01 },
    },
    minLearnedSamples: 1,
    minBaselineSamples: 1,
    quantileReferenceSize: 100,
  });
}

const obsWithLatency = (latencyMs: number): SloObservation => ({ quality: 0.7, latencyMs, tokens: 1000, failed: false });

test('latency exceedance tests: false alarm ≤ α = 0.05 (p95 + p99) over 300 runs × 2000 checks with identical log-normal latencies', () => {
  let alarms = 0;
  for (let run = 0; run < 300; run++) {
    const u = seeded(200_000 + run);
    const monitor = latencyMonitor();
    for (let i = 0; i < 2000; i++) {
      const latency = Math.exp(8 + 0.5 * normal(u));
      // Baseline first fills the quantile reference (shadow), then a 50/50 split.
      const servedBy = i < 100 || u() < 0.5 ? 'baseline' : 'learned';
      if (monitor.observe(servedBy, obsWithLatency(latency), i)) {
        alarms++;
        break;
      }
    }
  }
  assert.ok(alarms / 300 <= 0.05, `false alarms in ${alarms}/300 runs`);
});

test('latency exceedance test catches a candidate twice as slow (median 3000 → 6000 ms) in all 100 runs: median ≤ 30, every run ≤ 250 learned requests', () => {
  const needed: number[] = [];
  for (let run = 0; run < 100; run++) {
    const u = seeded(300_000 + run);
    const monitor = latencyMonitor();
    for (let i = 0; i < 300; i++) monitor.observe('baseline', obsWithLatency(Math.exp(8 + 0.5 * normal(u))), i);
    assert.ok(monitor.latencyThresholds !== undefined);
    let n = 0;
    let breach;
    while (!breach && n < 1000) {
      n++;
      breach = monitor.observe('learned', obsWithLatency(2 * Math.exp(8 + 0.5 * normal(u))), 300 + n);
    }
    assert.ok(breach && (breach.metric === 'latencyP95' || breach.metric === 'latencyP99'));
    needed.push(n);
  }
  needed.sort((a, b) => a - b);
  assert.ok((needed[50] ?? Infinity) <= 30, `median ${needed[50]}`);
  assert.ok((needed[99] ?? Infinity) <= 250, `worst run needed ${needed[99]} learned requests`);
});

test('minimum-sample guard: 7 learned failures with quality 0 raise nothing when 8 learned samples are required, the 8th does', () => {
  const monitor = new SloMonitor({ minLearnedSamples: 8, minBaselineSamples: 30 });
  const u = seeded(3);
  for (let i = 0; i < 200; i++) monitor.observe('baseline', { quality: clip01(0.8 + 0.1 * normal(u)), latencyMs: 1000, tokens: 500, failed: false }, i);
  const bad: SloObservation = { quality: 0, latencyMs: 1000, tokens: 500, failed: true };
  for (let i = 0; i < 7; i++) assert.equal(monitor.observe('learned', bad, 1000 + i), undefined);
  const breach = monitor.observe('learned', bad, 2000);
  assert.ok(breach, 'breach on the 8th learned sample');
  assert.equal(breach.timestamp, 2000);
  assert.equal(breach.learned.n, 8);
  assert.equal(breach.baseline.n, 200);
  assert.ok(breach.learned.upper + breach.tolerance < breach.baseline.lower || breach.learned.lower - breach.tolerance > breach.baseline.upper);
  assert.match(breach.message, /learned .* over 8 requests/);
  // One breach per epoch; a restart opens a new epoch in which both streams start afresh, or the
  // learned one alone when the baseline's carries over (a phase where it serves nothing).
  assert.equal(monitor.observe('learned', bad, 2001), undefined);
  monitor.restartEpoch(true);
  assert.equal(monitor.breach, undefined);
  assert.equal(monitor.status()[0]?.learned.n, 0);
  assert.equal(monitor.status()[0]?.baseline.n, 200);
  monitor.restartEpoch();
  assert.equal(monitor.status()[0]?.baseline.n, 0);
});

test('an equal candidate is not flagged by any metric over 2000 requests with all five metrics on (seed 11)', () => {
  const monitor = new SloMonitor();
  const u = seeded(11);
  for (let i = 0; i < 2000; i++) {
    const obs: SloObservation = {
      quality: clip01(0.7 + 0.2 * normal(u)),
      latencyMs: Math.exp(8 + 0.5 * normal(u)),
      tokens: 800 + 300 * u(),
      failed: u() < 0.05,
    };
    assert.equal(monitor.observe(u() < 0.25 ? 'learned' : 'baseline', obs, i), undefined);
  }
  assert.equal(monitor.status().filter((s) => s.breached).length, 0);
  assert.equal(monitor.recentWindows().learned.quality.length, 200);
});

test('quantile is the type-7 interpolated quantile: p95 of 1..21 is 20, p50 of [1, 2, 3, 4] is 2.5', () => {
  assert.equal(quantile(Array.from({ length: 21 }, (_, i) => i + 1), 0.95), 20);
  assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
});

test('an outcome that errored counts as failed and its tokens are in + out', () => {
  const obs = sloObservationOf({ quality: 0.1, latencyMs: 10, tokensIn: 300, tokensOut: 200, finishReason: 'error' });
  assert.deepEqual(obs, { quality: 0.1, latencyMs: 10, tokens: 500, failed: true });
});

test('a sequence restored from its JSON state gives the same bounds and continues identically', () => {
  const u = seeded(21);
  const a = new BoundedMeanSequence(0.01);
  for (let i = 0; i < 300; i++) a.push(clip01(0.6 + 0.2 * normal(u)));
  const b = new BoundedMeanSequence(0.01);
  b.restore(JSON.parse(JSON.stringify(a.toJSON())));
  assert.deepEqual(b.bounds(), a.bounds());
  for (const x of [0.1, 0.9, 0.5]) {
    a.push(x);
    b.push(x);
  }
  assert.deepEqual(b.bounds(), a.bounds());
});

test('a monitor restored from its JSON state (after 300 requests) reaches the same breach at the same request as the original', () => {
  const make = (): SloMonitor => new SloMonitor({ windowSize: 50 });
  const u = seeded(31);
  const stream: Array<['learned' | 'baseline', SloObservation]> = [];
  for (let i = 0; i < 2000; i++) {
    const learned = u() < 0.2;
    stream.push([
      learned ? 'learned' : 'baseline',
      { quality: clip01((learned ? 0.55 : 0.7) + 0.2 * normal(u)), latencyMs: Math.exp(8 + 0.5 * normal(u)), tokens: 1200, failed: u() < 0.03 },
    ]);
  }
  const original = make();
  let at = -1;
  for (let i = 0; i < stream.length && at < 0; i++) if (original.observe(stream[i]![0], stream[i]![1], i)) at = i;
  assert.ok(at > 300, `breach at ${at}`);
  const first = make();
  for (let i = 0; i < 300; i++) first.observe(stream[i]![0], stream[i]![1], i);
  const restored = make();
  restored.restore(JSON.parse(JSON.stringify(first.toJSON())));
  assert.deepEqual(restored.recentWindows(), first.recentWindows());
  let atRestored = -1;
  for (let i = 300; i < stream.length && atRestored < 0; i++) if (restored.observe(stream[i]![0], stream[i]![1], i)) atRestored = i;
  assert.equal(atRestored, at);
});

test('display windows hold the most recent values oldest first: window 3 after 1..5 is [3, 4, 5]', () => {
  const m = new SloMonitor({ windowSize: 3 });
  for (let i = 1; i <= 5; i++) m.observe('baseline', { quality: i / 10, latencyMs: i, tokens: i, failed: false }, i);
  assert.deepEqual(m.recentWindows().baseline.latencyMs, [3, 4, 5]);
});
