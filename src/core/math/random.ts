/**
 * Seeded randomness for the core. Every random choice of the optimizer goes through an {@link Rng}
 * handed in by the caller, so a decision log can be replayed exactly under the same seed.
 */

/** A source of uniform and standard-normal variates. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /**
   * The generator's next 32-bit word as a signed integer: the same draw as `next()` (which is this
   * word over 2³², unsigned), for loops that want the bits. A small integer is never boxed, where a
   * double returned from a call that is not inlined is a fresh heap number.
   */
  nextInt32(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** The generator's full state, to snapshot and restore. */
  state(): RngState;
}

/** Serialisable generator state. */
export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

/**
 * xoshiro128** (Blackman & Vigna 2018) seeded by splitmix32, normals by Box–Muller. The same
 * generator as ../shared/bench/make_rounds.mjs, so simulations can share streams with it.
 */
export function createRng(seed: number, state?: RngState): Rng {
  // The state lives in typed arrays: a double kept in a closure variable is a fresh heap number at
  // every assignment, and Thompson sampling draws tens of thousands of normals per decision.
  const s32 = new Int32Array(4);
  const spareValue = new Float64Array(1);
  let hasSpare = false;
  if (state) {
    for (let i = 0; i < 4; i++) s32[i] = state.s[i]!;
    if (state.spare !== null) {
      spareValue[0] = state.spare;
      hasSpare = true;
    }
  } else {
    let s = seed >>> 0;
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let i = 0; i < 4; i++) s32[i] = splitmix32();
  }
  const nextInt32 = (): number => {
    const a = s32[0]!;
    const b = s32[1]!;
    const b5 = Math.imul(b, 5);
    const r = Math.imul((b5 << 7) | (b5 >>> 25), 9);
    const t = b << 9;
    const c = s32[2]! ^ a;
    const d = s32[3]! ^ b;
    s32[1] = b ^ c;
    s32[0] = a ^ d;
    s32[2] = c ^ t;
    s32[3] = (d << 11) | (d >>> 21);
    return r;
  };
  const next = (): number => (nextInt32() >>> 0) / 4294967296;
  const normal = (): number => {
    if (hasSpare) {
      hasSpare = false;
      return spareValue[0]!;
    }
    let u = 0;
    while (u === 0) u = next();
    const v = next();
    const m = Math.sqrt(-2 * Math.log(u));
    spareValue[0] = m * Math.sin(2 * Math.PI * v);
    hasSpare = true;
    return m * Math.cos(2 * Math.PI * v);
  };
  return { next, nextInt32, normal, state: () => ({ s: [s32[0]!, s32[1]!, s32[2]!, s32[3]!], spare: hasSpare ? spareValue[0]! : null }) };
}

/** Draws an index from a probability vector (entries ≥ 0 summing to 1) with one uniform draw. */
export function sampleIndex(probabilities: ArrayLike<number>, u: number): number {
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] ?? 0;
    if (p <= 0) continue;
    cumulative += p;
    last = i;
    if (u < cumulative) return i;
  }
  // Rounding can leave the cumulative sum a hair below 1: the last positive entry takes the rest.
  return last;
}

/** A 32-bit FNV-1a hash of a string, e.g. to turn a stable key into a seed or a traffic bucket. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The n-th of a family of independent streams under one seed: `createRng` seeded with a 32-bit mix
 * of (seed, n). A consumer that draws a fresh stream per unit of work (a decision, a gate look) has
 * a state of two integers, the seed and the count of units so far, so it can be restored exactly
 * from a log that counts its units.
 */
export function streamRng(seed: number, n: number): Rng {
  // splitmix32's finaliser over seed and index (Steele, Lea & Flood 2014), so neighbouring streams differ in every bit.
  let z = (Math.imul(seed >>> 0, 0x9e3779b9) ^ Math.imul((n >>> 0) + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  z = Math.floor(n / 0x100000000) ^ z ^ (z >>> 16);
  return createRng(z >>> 0);
}
