// Section `core`: the optimizer's speed and the quality of its learning against Vowpal Wabbit on the
// same rounds files (../shared/bench/vw-reference.json, when that folder is beside the project).
//
// Targets: recommend p99 < 100 µs at K=64, d=16; ≥ 100k
// recommend+update per second at K=12, d=8; on the rounds files the better policy's regret ≤ 1/4 of
// VW's best explorer and its throughput ≥ 5× VW's.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createPolicy, disjointFeatureMap, parsePolicySettings, type PolicyKind } from '../src/core/policies';
import { createRng } from '../src/core/math/random';
import { makeRounds } from '../src/sim/makeRounds';
import { runRounds } from '../src/sim/runRounds';
import type { BenchSection } from './sections';

interface Latency {
  decisionsPerSecond: number;
  recommendP50Us: number;
  recommendP99Us: number;
  recommendP99SteadyUs: number;
}

/** recommend + update on a linear environment; per-call recommend latency from hrtime. */
function measureLatency(kind: PolicyKind, k: number, d: number, rounds: number): Latency {
  const data = makeRounds({ armCount: k, contextDim: d, rounds, seed: 11 });
  const policy = createPolicy(kind, disjointFeatureMap(k, d), parsePolicySettings({ featureMap: 'disjoint' }), { baselineArm: 0, trustRegionArms: [] });
  const rng = createRng(5);
  const eligible = new Uint8Array(k).fill(1);
  const samples = new Float64Array(rounds);
  const started = process.hrtime.bigint();
  for (let t = 0; t < rounds; t++) {
    const x = data.x.subarray(t * d, (t + 1) * d);
    const before = process.hrtime.bigint();
    const { armIndex } = policy.recommend(x, eligible, rng);
    samples[t] = Number(process.hrtime.bigint() - before) / 1000;
    policy.update(x, armIndex, data.r[t * k + armIndex]!);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const all = Float64Array.from(samples).sort();
  const steady = Float64Array.from(samples.subarray(Math.floor(rounds / 4))).sort();
  const pct = (a: Float64Array, q: number) => round(a[Math.min(a.length - 1, Math.floor(q * a.length))]!, 1);
  return { decisionsPerSecond: Math.round(rounds / seconds), recommendP50Us: pct(all, 0.5), recommendP99Us: pct(all, 0.99), recommendP99SteadyUs: pct(steady, 0.99) };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

interface VwResult {
  K: number;
  d: number;
  seed: number;
  explorer: string;
  cumulativeRegret: number;
  examplesPerSecond: number;
}

function vwReference(): VwResult[] {
  const path = fileURLToPath(new URL('../../shared/bench/vw-reference.json', import.meta.url));
  if (!existsSync(path)) return [];
  return (JSON.parse(readFileSync(path, 'utf8')) as { results: VwResult[] }).results;
}

export const coreSection: BenchSection = {
  name: 'core',
  run() {
    const latency = {
      'thompson K=12 d=8': measureLatency('thompson', 12, 8, 50_000),
      'linucb K=12 d=8': measureLatency('linucb', 12, 8, 50_000),
      'thompson K=64 d=16': measureLatency('thompson', 64, 16, 20_000),
      'linucb K=64 d=16': measureLatency('linucb', 64, 16, 20_000),
    };
    const vw = vwReference();
    const rounds: Array<Record<string, unknown>> = [];
    for (const [k, d] of [
      [12, 8],
      [32, 16],
    ] as const) {
      for (const seed of [1, 2, 3]) {
        const data = makeRounds({ armCount: k, contextDim: d, rounds: 20_000, seed });
        const thompson = runRounds(data, 'thompson', parsePolicySettings({}), seed);
        const linucb = runRounds(data, 'linucb', parsePolicySettings({}), seed);
        const textbook = runRounds(data, 'linucb', parsePolicySettings({ linucb: { alpha: 0.5, exploration: { kind: 'epsilon', epsilon: 0 } } }), seed);
        const references = vw.filter((r) => r.K === k && r.d === d && r.seed === seed);
        const vwBestRegret = references.length > 0 ? Math.min(...references.map((r) => r.cumulativeRegret)) : undefined;
        const vwBestThroughput = references.length > 0 ? Math.max(...references.map((r) => r.examplesPerSecond)) : undefined;
        const best = thompson.cumulativeRegret <= linucb.cumulativeRegret ? thompson : linucb;
        rounds.push({
          K: k,
          d,
          seed,
          thompsonRegret: round(thompson.cumulativeRegret, 1),
          linucbRegret: round(linucb.cumulativeRegret, 1),
          textbookLinucbRegret: round(textbook.cumulativeRegret, 1),
          thompsonDecisionsPerSecond: Math.round(thompson.decisionsPerSecond),
          linucbDecisionsPerSecond: Math.round(linucb.decisionsPerSecond),
          ...(vwBestRegret !== undefined && vwBestThroughput !== undefined
            ? {
                vwBestRegret,
                vwBestExamplesPerSecond: vwBestThroughput,
                bestPolicy: best.policy,
                regretRatioToVw: round(best.cumulativeRegret / vwBestRegret, 3),
                throughputRatioToVw: round(best.decisionsPerSecond / vwBestThroughput, 2),
              }
            : {}),
        });
      }
    }
    return Promise.resolve({ latency, rounds, note: 'regret of policies with valid logged propensities (exploration floor 0.01); textbookLinucbRegret has none' });
  },
};
