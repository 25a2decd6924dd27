import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxTrustRegion, conservativeExplorationCheck, evaluateGate, lookLevel, spaceTrustRegion } from './gates';
import type { GateEvidence } from './gates';

// Arms 0–2 have temperatures 0.2, 0.4, 1.2; the trust region allows temperature in [0, 0.6].
const region = boxTrustRegion([{ temperature: 0.2 }, { temperature: 0.4 }, { temperature: 1.2 }], { temperature: [0, 0.6] });

function passing(): GateEvidence {
  return {
    phase: 'canary',
    samples: 20,
    minSamples: 15,
    effectiveSampleSize: 25,
    candidateArms: [0, 1],
    trustRegion: region,
    quality: { mean: 0.72, lower: 0.6, n: 20 },
    value: {
      candidate: { estimate: 0.74, lower: 0.7 },
      baseline: { estimate: 0.68, lower: 0.66 },
      difference: { estimate: 0.06, lower: 0.02 },
      look: 3,
      level: 0.003125,
      trainedOn: 100,
      evaluatedOn: 120,
      sessions: 45,
    },
    candidateMassOffSupport: 0.01,
    budget: { exhausted: false, remaining: 50_000 },
  };
}
const config = { qualityFloor: 0.5, valueMargin: 0.01, minEffectiveSampleSize: 20 };

test('a candidate passing every check is promoted, and the verdict lists all seven checks with their numbers', () => {
  const v = evaluateGate(passing(), config);
  assert.equal(v.passed, true);
  assert.equal(v.summary, 'all checks passed');
  assert.deepEqual(
    v.checks.map((c) => [c.name, c.passed, c.value, Number(c.threshold.toFixed(9))]),
    [
      ['samples', true, 20, 15],
      ['effectiveSampleSize', true, 25, 20],
      ['trustRegion', true, 0, 0],
      ['support', true, 0.01, 0.05],
      ['qualityFloor', true, 0.6, 0.5],
      ['value', true, 0.02, 0.01],
      ['budget', true, 50_000, 0],
    ],
  );
});

const failures: [string, (e: GateEvidence) => void, RegExp][] = [
  ['samples', (e) => (e.samples = 14), /14 samples in canary, 15 required/],
  ['effectiveSampleSize', (e) => (e.effectiveSampleSize = 19.5), /effective sample size 19.5, 20 required/],
  ['trustRegion', (e) => (e.candidateArms = [1, 2]), /arms 2 outside the trust region/],
  ['qualityFloor', (e) => (e.quality = { mean: 0.6, lower: 0.49, n: 20 }), /quality lower bound 0.490 .* vs floor 0.500/],
  ['value', (e) => (e.value.difference = { estimate: 0.04, lower: 0.005 }), /candidate − baseline 0.040 \(lower bound 0.005 at level 0.0031, look 3\) must exceed 0.010; candidate 0.740, baseline arm 0.680, scored on 120 rows in 45 sessions it did not learn from \(trained on 100\)/],
  ['support', (e) => (e.candidateMassOffSupport = 0.22), /22.0% of the candidate's probability on arms the log could not serve, at most 5.0% allowed/],
  ['budget', (e) => (e.budget = { exhausted: true, remaining: 0 }), /token budget exhausted/],
];

for (const [name, breakIt, message] of failures) {
  test(`failing only the ${name} check flips the verdict and names it`, () => {
    const e = passing();
    breakIt(e);
    const v = evaluateGate(e, config);
    assert.equal(v.passed, false);
    assert.deepEqual(
      v.checks.filter((c) => !c.passed).map((c) => c.name),
      [name],
    );
    assert.match(v.summary, message);
  });
}

test('a difference lower bound of exactly the margin is no evidence: the value check needs it strictly above', () => {
  const e = passing();
  e.value.difference = { estimate: 0.05, lower: 0.01 };
  assert.equal(evaluateGate(e, config).checks.find((c) => c.name === 'value')?.passed, false);
});

test('the looks of a phase spend the false-promotion rate: 8 planned looks at α/16 each, then (α/2)·8/(j(j−1)), decreasing; the levels of 100,000 looks sum to α', () => {
  assert.equal(lookLevel(0.05, 1), 0.05 / 16);
  assert.equal(lookLevel(0.05, 8), 0.05 / 16);
  assert.ok(Math.abs(lookLevel(0.05, 9) - (0.025 * 8) / 72) < 1e-15);
  assert.ok(Math.abs(lookLevel(0.05, 10) - (0.025 * 8) / 90) < 1e-15);
  let sum = 0;
  for (let j = 1; j <= 100_000; j++) {
    sum += lookLevel(0.05, j);
    if (j > 1) assert.ok(lookLevel(0.05, j) <= lookLevel(0.05, j - 1));
  }
  assert.ok(sum <= 0.05 && sum > 0.05 - 1e-5, String(sum));
  assert.equal(lookLevel(0.05, 2, 2), 0.0125);
  assert.throws(() => lookLevel(0.05, 0), /positive integer/);
});

test('conservative exploration (Kazerouni et al. 2017): 9 candidate rounds of 100 losing ≤ 0.05 each fit α = 0.1 of a baseline at ≥ 0.6; 20 rounds do not', () => {
  // (9 + 1) · 0.05 = 0.5 ≤ 0.1 · 101 · 0.6 = 6.06
  const ok = conservativeExplorationCheck({ learnedRounds: 9, totalRounds: 100, differenceUpper: 0.05, baselineLower: 0.6 }, 0.1);
  assert.equal(ok.allowed, true);
  assert.ok(Math.abs(ok.allowance - 6.06) < 1e-9);
  // Losing up to 0.3 per round: (20 + 1) · 0.3 = 6.3 > 6.06
  const no = conservativeExplorationCheck({ learnedRounds: 20, totalRounds: 100, differenceUpper: 0.3, baselineLower: 0.6 }, 0.1);
  assert.equal(no.allowed, false);
  assert.ok(Math.abs(no.loss - 6.3) < 1e-9);
  // A candidate known to be better (loss bound negative) is always allowed.
  assert.equal(conservativeExplorationCheck({ learnedRounds: 1000, totalRounds: 1000, differenceUpper: -0.01, baselineLower: 0 }, 0.1).allowed, true);
});

test('with conservative exploration on, the check joins the verdict and can fail it alone', () => {
  const e = passing();
  e.conservative = { learnedRounds: 20, totalRounds: 100, differenceUpper: 0.3, baselineLower: 0.6 };
  const v = evaluateGate(e, { ...config, conservative: { enabled: true, alpha: 0.1 } });
  assert.equal(v.passed, false);
  assert.deepEqual(
    v.checks.filter((c) => !c.passed).map((c) => c.name),
    ['conservative'],
  );
  e.conservative = { learnedRounds: 9, totalRounds: 100, differenceUpper: 0.05, baselineLower: 0.6 };
  assert.equal(evaluateGate(e, { ...config, conservative: { enabled: true } }).passed, true);
});

test('an arm that leaves a parameter unset is inside a box on that parameter', () => {
  const r = boxTrustRegion([{ topP: 0.9 }, {}], { temperature: [0, 0.5], topP: [0.8, 1] });
  assert.equal(r.contains(0), true);
  assert.equal(r.contains(1), true);
  assert.equal(r.contains(2), false);
});

test('the space adapter reads trustRegionArms: arms 0 and 3 of [0, 3] inside, arm 1 outside', () => {
  const r = spaceTrustRegion({ trustRegionArms: [0, 3] });
  assert.deepEqual([r.contains(0), r.contains(1), r.contains(3)], [true, false, true]);
});
