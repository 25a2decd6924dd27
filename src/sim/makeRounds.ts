/**
 * Generates a full-information rounds file in memory, the same stream as
 * ../shared/bench/make_rounds.mjs (same generator and draw order):
 * x ~ N(0, I_d); mu(x, a) = x·θ_a + b_a; r = mu + N(0, noise²); θ_a ~ N(0, I/d), b_a ~ N(0, 0.25).
 */
import { createRng } from '../core/math/random';
import type { Rounds } from './roundsFile';

export function makeRounds(options: { armCount: number; contextDim: number; rounds: number; seed: number; noise?: number }): Rounds {
  const { armCount: k, contextDim: d, rounds: count, seed } = options;
  const noise = options.noise ?? 0.1;
  const rng = createRng(seed);
  const theta = Array.from({ length: k }, () => Array.from({ length: d }, () => (1 / Math.sqrt(d)) * rng.normal()));
  const bias = Array.from({ length: k }, () => 0.5 * rng.normal());
  const x = new Float64Array(count * d);
  const mu = new Float64Array(count * k);
  const r = new Float64Array(count * k);
  for (let t = 0; t < count; t++) {
    for (let j = 0; j < d; j++) x[t * d + j] = rng.normal();
    for (let a = 0; a < k; a++) {
      let m = bias[a]!;
      for (let j = 0; j < d; j++) m += theta[a]![j]! * x[t * d + j]!;
      mu[t * k + a] = m;
    }
    for (let a = 0; a < k; a++) r[t * k + a] = mu[t * k + a]! + noise * rng.normal();
  }
  return { count, contextDim: d, armCount: k, x, mu, r };
}
