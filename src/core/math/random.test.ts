import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from './random';

test('the stream of a seed is pinned: xoshiro128** seeded by splitmix32, normals by Box–Muller', () => {
  const rng = createRng(7);
  assert.deepEqual([rng.next(), rng.next(), rng.normal(), rng.normal(), rng.normal()], [0.23382771760225296, 0.5122324188705534, 0.590717715269077, 1.1193292098291738, -1.0527407156705448]);
  // The pair's second normal is held back, and is part of the state.
  assert.deepEqual(rng.state(), { s: [-516969537, -1276177046, 2025154721, -865128878], spare: 0.17671156334831878 });
});

test('a generator restored from its state continues the same stream, a held-back normal included', () => {
  const rng = createRng(42);
  for (let i = 0; i < 1001; i++) rng.normal();
  const state = rng.state();
  assert.notEqual(state.spare, null);
  const restored = createRng(0, structuredClone(state));
  for (let i = 0; i < 1000; i++) assert.equal(restored.normal(), rng.normal());
  for (let i = 0; i < 1000; i++) assert.equal(restored.next(), rng.next());
});

test('a state of unsigned words (as a fresh generator reported them) restores the same stream', () => {
  const fresh = createRng(7);
  const unsigned = { s: [588686121, 1937383562, 4286812467, 2372217166] as [number, number, number, number], spare: null };
  const restored = createRng(0, unsigned);
  for (let i = 0; i < 1000; i++) assert.equal(restored.next(), fresh.next());
});

test('nextInt32 is the word next() divides by 2³², as a signed integer, on the one stream', () => {
  const words = createRng(7);
  const uniforms = createRng(7);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const word = i % 3 === 0 ? words.next() * 4294967296 : words.nextInt32();
    const expected = uniforms.next() * 4294967296;
    assert.equal(i % 3 === 0 ? word : word >>> 0, expected);
    if (i % 3 !== 0) {
      assert.ok(Number.isInteger(word) && word >= -(2 ** 31) && word < 2 ** 31);
      seen.add(Math.sign(word));
    }
  }
  assert.deepEqual([...seen].sort(), [-1, 1]);
});
