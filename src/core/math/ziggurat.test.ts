// The ziggurat's variates are standard normal: checked against Φ on a million draws (equiprobable
// bins, the Kolmogorov–Smirnov distance, the moments, the tail beyond the base layer and the wedges'
// rejection step), with the textbook critical values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalCdf, normalQuantile } from './normal';
import { createRng } from './random';
import { fillStandardNormals, zigguratNormal } from './ziggurat';

const n = 1_000_000;
const draws = new Float64Array(n);
fillStandardNormals(createRng(20260105), draws, n);

test('a million variates fall into 100 bins equiprobable under N(0, 1) as a chi-square test allows (99.9%)', () => {
  const bins = 100;
  const edges = Array.from({ length: bins - 1 }, (_, i) => normalQuantile((i + 1) / bins));
  const counts = new Array<number>(bins).fill(0);
  for (const z of draws) {
    let lo = 0;
    let hi = bins - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (z < edges[mid]!) hi = mid;
      else lo = mid + 1;
    }
    counts[lo]!++;
  }
  const expected = n / bins;
  const chiSquare = counts.reduce((s, c) => s + ((c - expected) * (c - expected)) / expected, 0);
  // χ²(99) at 0.999 is 148.2.
  assert.ok(chiSquare < 148.2, `χ² = ${chiSquare.toFixed(1)} over 99 degrees of freedom`);
});

test('the Kolmogorov–Smirnov distance to Φ is within the 1% critical value', () => {
  const sorted = Float64Array.from(draws.subarray(0, 200_000)).sort();
  let d = 0;
  for (let i = 0; i < sorted.length; i++) {
    const f = normalCdf(sorted[i]!);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs((i + 1) / sorted.length - f));
  }
  assert.ok(d < 1.628 / Math.sqrt(sorted.length), `D = ${d}`);
});

test('mean 0, variance 1, skewness 0 and kurtosis 3, each within four standard errors', () => {
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const z of draws) {
    m1 += z;
    m2 += z * z;
    m3 += z * z * z;
    m4 += z * z * z * z;
  }
  m1 /= n;
  m2 /= n;
  m3 /= n;
  m4 /= n;
  // Standard errors of the raw moments of N(0, 1): √(1/n), √(2/n), √(15/n), √(96/n).
  assert.ok(Math.abs(m1) < 4 * Math.sqrt(1 / n), `mean ${m1}`);
  assert.ok(Math.abs(m2 - 1) < 4 * Math.sqrt(2 / n), `variance ${m2}`);
  assert.ok(Math.abs(m3) < 4 * Math.sqrt(15 / n), `third moment ${m3}`);
  assert.ok(Math.abs(m4 - 3) < 4 * Math.sqrt(96 / n), `fourth moment ${m4}`);
});

test('the tail beyond the base layer (|z| > 3.4426) and beyond 4 come as often as under N(0, 1), both signs', () => {
  const r = 3.442619855899;
  for (const [edge, label] of [[r, 'base layer'], [4, '4']] as const) {
    const p = 2 * (1 - normalCdf(edge));
    const expected = n * p;
    let above = 0;
    let below = 0;
    for (const z of draws) {
      if (z > edge) above++;
      else if (z < -edge) below++;
    }
    const sd = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(above + below - expected) < 4 * sd, `beyond ${label}: ${above + below}, expected ${expected.toFixed(1)} ± ${sd.toFixed(1)}`);
    assert.ok(Math.abs(above - below) < 4 * Math.sqrt(above + below), `beyond ${label}: ${above} above, ${below} below`);
  }
});

test('one variate at a time is the same stream as a filled array; a seed gives the same variates again', () => {
  const a = createRng(7);
  const one = Array.from({ length: 1000 }, () => zigguratNormal(a));
  const filled = new Float64Array(1000);
  fillStandardNormals(createRng(7), filled, 1000);
  assert.deepEqual(Float64Array.from(one), filled);
});
