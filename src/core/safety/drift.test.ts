import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriftDetector, PageHinkley, binProportions, featurePsi, populationStabilityIndex, psiCutPoints } from './drift';
import { createRng } from '../math/random';

/** A seeded uniform stream from the project's generator, so every run below is reproducible. */
function seeded(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.next();
}
const normal = (u: () => number): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
const clip01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
const close = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test('PSI by hand: reference [1, 1, 2, 2], current [1, 2, 2, 2], 2 bins cut at 1.5: 0.25·ln 2 + 0.25·ln 1.5 = 0.274653', () => {
  assert.deepEqual(psiCutPoints([1, 1, 2, 2], 2), [1.5]);
  assert.deepEqual(binProportions([1, 2, 2, 2], [1.5]), [0.25, 0.75]);
  close(featurePsi([1, 1, 2, 2], [1, 2, 2, 2], 2), 0.274653);
});

test('PSI with an empty bin floors it at ε = 1e-4: [0.5, 0.5] → [1, 0] gives 0.5·ln 2 + (1e-4 − 0.5)·ln(1e-4/0.5) = 4.604320', () => {
  close(populationStabilityIndex([0.5, 0.5], [1, 0], 1e-4), 0.5 * Math.log(2) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5));
  close(populationStabilityIndex([0.5, 0.5], [1, 0], 1e-4), 4.60432);
  assert.equal(populationStabilityIndex([0.3, 0.7], [0.3, 0.7]), 0);
});

test('a 0/1 feature gets merged cut points and PSI(30% → 60% ones) = 0.3·ln(7/4) + 0.3·ln 2 = 0.375819', () => {
  const ref = [...new Array<number>(70).fill(0), ...new Array<number>(30).fill(1)];
  const cur = [...new Array<number>(40).fill(0), ...new Array<number>(60).fill(1)];
  const cuts = psiCutPoints(ref, 10);
  assert.ok(cuts.length <= 3, `cuts ${cuts.join(', ')}`);
  close(featurePsi(ref, cur, 10), 0.375819);
});

test('Page-Hinkley (δ 0.05, λ 8) stays quiet on 200 stationary streams of 2000 rewards (mean 0.6, sd 0.15)', () => {
  let alarms = 0;
  for (let run = 0; run < 200; run++) {
    const u = seeded(1 + run);
    const ph = new PageHinkley(0.05, 8, 30);
    for (let i = 0; i < 2000; i++) {
      if (ph.push(clip01(0.6 + 0.15 * normal(u)))) {
        alarms++;
        break;
      }
    }
  }
  assert.equal(alarms, 0);
});

test('Page-Hinkley detects a reward drop of 0.2 (0.6 → 0.4, sd 0.15) after step 500 in all 200 runs within 150 rewards, as a decrease', () => {
  const delays: number[] = [];
  for (let run = 0; run < 200; run++) {
    const u = seeded(10_001 + run);
    const ph = new PageHinkley(0.05, 8, 30);
    let delay = Infinity;
    for (let i = 0; i < 2000; i++) {
      const alarm = ph.push(clip01((i < 500 ? 0.6 : 0.4) + 0.15 * normal(u)));
      if (alarm) {
        assert.ok(i >= 500, `alarm before the change at ${i}`);
        assert.equal(alarm, 'decrease');
        delay = i - 500;
        break;
      }
    }
    delays.push(delay);
  }
  delays.sort((a, b) => a - b);
  assert.ok((delays[199] as number) <= 150, `worst delay ${delays[199]}`);
  assert.ok((delays[100] as number) <= 80, `median delay ${delays[100]}`);
});

test('Page-Hinkley reports a rise of 0.2 as an increase', () => {
  const u = seeded(5);
  const ph = new PageHinkley(0.05, 8, 30);
  let alarm;
  for (let i = 0; i < 1000 && !alarm; i++) alarm = ph.push(clip01((i < 300 ? 0.4 : 0.6) + 0.15 * normal(u)));
  assert.equal(alarm, 'increase');
});

test('the detector names the shifted feature (prompt tokens 1000 → 1600) and not the stable one (hour), and pauses promotion when set', () => {
  const u = seeded(9);
  const d = new DriftDetector(['promptTokens', 'hour'], { referenceSize: 500, recentSize: 300, minRecent: 100, pausePromotion: true });
  for (let i = 0; i < 500; i++) d.observeContext([1000 + 200 * normal(u), Math.floor(24 * u())]);
  for (let i = 0; i < 99; i++) d.observeContext([1600 + 200 * normal(u), Math.floor(24 * u())]);
  assert.deepEqual(d.report().features, [], 'no PSI before 100 recent contexts');
  for (let i = 0; i < 201; i++) d.observeContext([1600 + 200 * normal(u), Math.floor(24 * u())]);
  const r = d.report();
  const byName = Object.fromEntries(r.features.map((f) => [f.name, f]));
  assert.equal(byName.promptTokens?.level, 'major');
  assert.equal(byName.hour?.level, 'none');
  close(r.noiseLevel, 9 * (1 / 500 + 1 / 300));
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0] ?? '', /Major shift .*promptTokens \(PSI \d/);
  assert.doesNotMatch(r.warnings[0] ?? '', /hour/);
  assert.equal(r.pausePromotion, true);
  d.resetReference();
  for (let i = 0; i < 300; i++) d.observeContext([1600 + 200 * normal(u), Math.floor(24 * u())]);
  assert.equal(d.report().pausePromotion, false, 'the shifted population accepted as the new reference');
});

test('a reward alarm shows in the report until acknowledged; with pausePromotion off it only warns', () => {
  const u = seeded(3);
  const d = new DriftDetector(['x'], { pausePromotion: false });
  let alarm;
  for (let i = 0; i < 1000 && !alarm; i++) alarm = d.observeReward(clip01((i < 300 ? 0.7 : 0.3) + 0.1 * normal(u)), i);
  assert.equal(alarm?.direction, 'decrease');
  const r = d.report();
  assert.match(r.warnings.join(' '), /Reward decreased/);
  assert.equal(r.pausePromotion, false);
  d.acknowledgeRewardAlarm();
  assert.equal(d.report().rewardAlarm, undefined);
});

test('with no shift, PSI averages its noise level (B − 1)(1/R + 1/M) = 0.048 over 200 runs (10 bins, R 500, M 300), within 20%', () => {
  let sum = 0;
  for (let run = 0; run < 200; run++) {
    const u = seeded(70_000 + run);
    const ref = Array.from({ length: 500 }, () => normal(u));
    const cur = Array.from({ length: 300 }, () => normal(u));
    sum += featurePsi(ref, cur, 10);
  }
  const mean = sum / 200;
  const noise = 9 * (1 / 500 + 1 / 300);
  assert.ok(Math.abs(mean - noise) < 0.2 * noise, `mean PSI ${mean} vs ${noise}`);
});

test('a detector restored from its JSON state reports the same PSI and keeps its Page-Hinkley sums', () => {
  const u = seeded(12);
  const d = new DriftDetector(['a', 'b'], { referenceSize: 100, recentSize: 60, minRecent: 30 });
  for (let i = 0; i < 190; i++) {
    d.observeContext([normal(u) + (i > 120 ? 1 : 0), u()]);
    d.observeReward(clip01(0.6 + 0.1 * normal(u)), i);
  }
  const r = new DriftDetector(['a', 'b'], { referenceSize: 100, recentSize: 60, minRecent: 30 });
  r.restore(JSON.parse(JSON.stringify(d.toJSON())));
  assert.deepEqual(r.report(), d.report());
  for (let i = 0; i < 400; i++) {
    const x = clip01(0.3 + 0.1 * normal(u));
    assert.deepEqual(r.observeReward(x, i), d.observeReward(x, i));
  }
});
