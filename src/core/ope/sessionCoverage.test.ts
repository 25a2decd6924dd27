// Coverage of the bootstrap intervals when requests come in sessions (issue 10, item 2). The sticky
// traffic split serves every request of a session by the same policy, and a session's outcomes share
// a random effect (one project, one mood), so requests are not independent. The world here is small
// enough that the candidate's true value is known exactly: 4 arms with mean rewards μ, a session
// effect u ~ N(0, 0.15²) and request noise N(0, 0.1²); the baseline serves π_b = (0.7, 0.1, 0.1, 0.1),
// the learned policy π_l = (0.1, 0.1, 0.1, 0.7) for a share p of the sessions, every logged
// propensity is the mixture (1 − p)π_b + pπ_l, and the candidate is π_l, whose true value is
// Σ π_l(a) μ(a) = 0.61. Resampling requests undercovers; resampling whole sessions covers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, sampleIndex, type Rng } from '../math/random';
import { bootstrapIntervals, clusterIndices } from './bootstrap';
import { buildEstimatorTerms, estimatorDefinitions } from './estimators';
import type { LoggedRounds } from './loggedRounds';

const mu = [0.4, 0.5, 0.45, 0.65];
const baseline = [0.7, 0.1, 0.1, 0.1];
const learned = [0.1, 0.1, 0.1, 0.7];
const trueValue = learned.reduce((s, p, a) => s + p * mu[a]!, 0);

function sessionLog(rng: Rng, sessions: number, perSession: number, share: number): { rounds: LoggedRounds; keys: string[] } {
  const n = sessions * perSession;
  const k = mu.length;
  const actions = new Int32Array(n);
  const rewards = new Float64Array(n);
  const pscores = new Float64Array(n);
  const actionDist = new Float64Array(n * k);
  const estimatedRewards = new Float64Array(n * k);
  const keys: string[] = [];
  let i = 0;
  for (let s = 0; s < sessions; s++) {
    const served = rng.next() < share ? learned : baseline;
    const effect = 0.15 * rng.normal();
    for (let j = 0; j < perSession; j++, i++) {
      const a = sampleIndex(served, rng.next());
      actions[i] = a;
      rewards[i] = mu[a]! + effect + 0.1 * rng.normal();
      pscores[i] = (1 - share) * baseline[a]! + share * learned[a]!;
      for (let b = 0; b < k; b++) {
        actionDist[i * k + b] = learned[b]!;
        // An imperfect reward model: the true means pulled halfway to 0.5.
        estimatedRewards[i * k + b] = 0.5 * (mu[b]! + 0.5);
      }
      keys.push(`session-${s}`);
    }
  }
  return { rounds: { n, k, actions, rewards, pscores, actionDist, estimatedRewards }, keys };
}

/** Share of `runs` logs whose 90% DR interval covers the true value, by request and by session. */
function coverage(perSession: number, share: number, sessions: number, runs: number): { byRequest: number; bySession: number } {
  const rng = createRng(perSession * 1000 + Math.round(share * 100));
  let byRequest = 0;
  let bySession = 0;
  for (let run = 0; run < runs; run++) {
    const { rounds, keys } = sessionLog(rng, sessions, perSession, share);
    const table = buildEstimatorTerms(rounds);
    const plain = bootstrapIntervals(table, [estimatorDefinitions.dr], { resamples: 200, alpha: 0.1, rng })[0]!;
    const clustered = bootstrapIntervals(table, [estimatorDefinitions.dr], { resamples: 200, alpha: 0.1, rng, clusters: clusterIndices(keys) })[0]!;
    if (plain.lower <= trueValue && trueValue <= plain.upper) byRequest++;
    if (clustered.lower <= trueValue && trueValue <= clustered.upper) bySession++;
  }
  return { byRequest: byRequest / runs, bySession: bySession / runs };
}

for (const [perSession, share, sessions] of [
  [3, 0.25, 100],
  [10, 0.25, 60],
  [30, 0.05, 200],
] as const) {
  test(`a nominal 90% DR interval covers the true value ≥ 0.85 of 300 logs when whole sessions are resampled (${perSession} requests a session, learned share ${share})`, (t) => {
    const c = coverage(perSession, share, sessions, 300);
    t.diagnostic(`coverage by request ${c.byRequest.toFixed(3)}, by session ${c.bySession.toFixed(3)}`);
    assert.ok(c.bySession >= 0.85, `by session ${c.bySession}`);
    assert.ok(c.byRequest < c.bySession, `resampling requests (${c.byRequest}) should cover less than sessions (${c.bySession})`);
  });
}

test('clusterIndices numbers keys densely in order of first appearance; a missing key is a cluster of its own', () => {
  assert.deepEqual(Array.from(clusterIndices(['b', 'a', 'b', undefined, 'a', undefined])), [0, 1, 0, 2, 1, 3]);
});

test('with every round its own cluster the clustered bootstrap is the plain one in distribution: same seed, same replicates when clusters are 0..n−1', () => {
  const { rounds } = sessionLog(createRng(4), 50, 1, 0.25);
  const table = buildEstimatorTerms(rounds);
  const identity = Int32Array.from({ length: rounds.n }, (_, i) => i);
  const plain = bootstrapIntervals(table, [estimatorDefinitions.ips, estimatorDefinitions.snips], { resamples: 100, alpha: 0.1, rng: createRng(8) });
  const clustered = bootstrapIntervals(table, [estimatorDefinitions.ips, estimatorDefinitions.snips], { resamples: 100, alpha: 0.1, rng: createRng(8), clusters: identity });
  assert.deepEqual(clustered, plain);
});

test('cluster indices that are not dense or do not match the rounds are refused', () => {
  const { rounds } = sessionLog(createRng(4), 4, 1, 0.25);
  const table = buildEstimatorTerms(rounds);
  assert.throws(() => bootstrapIntervals(table, [estimatorDefinitions.dr], { resamples: 10, alpha: 0.1, rng: createRng(1), clusters: Int32Array.from([0, 0, 2, 2]) }), /dense/);
  assert.throws(() => bootstrapIntervals(table, [estimatorDefinitions.dr], { resamples: 10, alpha: 0.1, rng: createRng(1), clusters: Int32Array.from([0, 1]) }), /4 rounds/);
});
