// Off-policy evaluation throughput (src/core/ope, `paramloop ope`). Targets: every estimator on 1M
// rounds under 1.5 s; a 1000-resample bootstrap over 100k rounds under 3 s. Also the obp JSONL read
// rate (stream + parse + checks into typed arrays). Data: the synthetic bandit of
// src/core/ope/synthetic.ts with K = 10; its generation is not timed. Each figure is the best of a
// few runs; the machine is shared, so figures are noisy.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readObpFile } from '../src/cli/commands/opeObp';
import { bootstrapIntervals } from '../src/core/ope/bootstrap';
import { buildEstimatorTerms, estimatorDefinitions, estimatorNames } from '../src/core/ope/estimators';
import { evaluateCandidate } from '../src/core/ope/evaluate';
import type { LoggedRounds } from '../src/core/ope/loggedRounds';
import { makeSyntheticBandit, sampleSyntheticLog } from '../src/core/ope/synthetic';
import { createRng } from '../src/core/math/random';
import type { BenchSection } from './sections';

const k = 10;

function syntheticRounds(n: number, seed: number): LoggedRounds {
  const bandit = makeSyntheticBandit({ contexts: 1000, dim: 5, actions: k, loggingBeta: 1, candidateBeta: 2, noiseSd: 1 }, createRng(seed));
  const rng = createRng(seed + 1);
  const log = sampleSyntheticLog(bandit, n, rng);
  const estimatedRewards = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const c = log.contextIndex[i] ?? 0;
    for (let a = 0; a < k; a++) estimatedRewards[i * k + a] = (bandit.meanReward[c * k + a] ?? 0) + 0.1 * rng.normal();
  }
  return { ...log.rounds, estimatedRewards };
}

function bestOf(runs: number, work: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

async function bestOfAsync(runs: number, work: () => Promise<void>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    await work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

export const opeSection: BenchSection = {
  name: 'ope',
  async run() {
    const definitions = estimatorNames.map((name) => estimatorDefinitions[name]);
    const million = syntheticRounds(1_000_000, 1);
    let sink = 0;
    const estimatesMs = bestOf(3, () => {
      const evaluation = evaluateCandidate(million, { estimators: estimatorNames });
      sink += evaluation.results[0]?.estimate ?? 0;
    });

    const hundredK = syntheticRounds(100_000, 2);
    const table = buildEstimatorTerms(hundredK);
    const bootstrapMs = bestOf(2, () => {
      const intervals = bootstrapIntervals(table, definitions, { resamples: 1000, alpha: 0.05, rng: createRng(0) });
      sink += intervals[0]?.lower ?? 0;
    });

    // obp JSONL: 200k lines of K = 10 at full double precision, as Python's json module writes them.
    const lineCount = 200_000;
    const source = syntheticRounds(lineCount, 3);
    const lines: string[] = [];
    for (let i = 0; i < lineCount; i++) {
      lines.push(
        JSON.stringify({
          action: source.actions[i],
          reward: source.rewards[i],
          pscore: source.pscores[i],
          action_dist: Array.from(source.actionDist.subarray(i * k, i * k + k)),
          estimated_rewards: Array.from(source.estimatedRewards.subarray(i * k, i * k + k)),
        }),
      );
    }
    const text = `${lines.join('\n')}\n`;
    const dir = mkdtempSync(join(tmpdir(), 'paramloop-ope-bench-'));
    const path = join(dir, 'rounds.jsonl');
    writeFileSync(path, text);
    let readMs: number;
    try {
      readMs = await bestOfAsync(3, async () => {
        const rounds = await readObpFile(path);
        sink += rounds.n;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const bytes = Buffer.byteLength(text);

    return {
      estimatorsOn1MRows: { ms: round(estimatesMs), targetMs: 1500, estimators: estimatorNames.length, k, includes: 'per-round terms, 7 point estimates, weight diagnostics' },
      bootstrap1000On100kRows: { ms: round(bootstrapMs), targetMs: 3000, estimators: estimatorNames.length, resamplesPerSecond: round((1000 / bootstrapMs) * 1000) },
      obpJsonlRead: {
        rows: lineCount,
        megabytes: round(bytes / 2 ** 20),
        ms: round(readMs),
        rowsPerSecond: Math.round((lineCount / readMs) * 1000),
        megabytesPerSecond: round(bytes / 2 ** 20 / (readMs / 1000)),
        projected1MRowsSeconds: round((readMs / lineCount) * 1e6 / 1000),
      },
      checksum: Number.isFinite(sink),
    };
  },
};

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
