// The optimizer service at one user's lifetime of decisions: a log of 300k decisions written through
// the service (LinUCB, for the time it takes to build: the restore's cost does not depend on the
// policy kind beyond the size of its checkpoint), closed, then opened again. Reported: the time to
// open the store and restore the learner (target < 2 s) and the longest event-loop block meanwhile
// (target < 50 ms), by a 1 ms drift probe. `PARAMLOOP_BENCH_SERVICE_DECISIONS` sets the size.
import type { BenchSection } from './sections';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePolicySettings } from '../src/core/policies';
import { parseRewardSettings } from '../src/core/reward';
import { OptimizerService, type ServiceSettings } from '../src/service/optimizerService';
import { createLlmPlanningEnvironment } from '../src/sim/llmPlanning';
import { runRollout, SimulatedClock } from '../src/sim/runRollout';
import { openStore } from '../src/store/store';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { driftProbe } from './eventLoop';

// As the store bench finds them (bench/store.bench.ts): from bench/ or from the bundle in out/.
const wasmDir = fileURLToPath(new URL('../node_modules/sql.js/dist', import.meta.url));
const bundledWorker = fileURLToPath(new URL('../out/storeWorker.js', import.meta.url));
const workerScript = import.meta.url.endsWith('/out/bench.mjs') && existsSync(bundledWorker) ? bundledWorker : fileURLToPath(new URL('../src/store/compactWorker.ts', import.meta.url));
const env = createLlmPlanningEnvironment();
const settings: ServiceSettings = { space: env.space, policyKind: 'linucb', policySettings: parsePolicySettings({}), rewardSettings: parseRewardSettings({}) };

const ms = (x: number): number => Math.round(x * 10) / 10;

export const serviceSection: BenchSection = {
  name: 'service',
  async run() {
    const decisions = Number(process.env.PARAMLOOP_BENCH_SERVICE_DECISIONS ?? 300_000);
    const dir = await mkdtemp(join(tmpdir(), 'paramloop-bench-service-'));
    try {
      const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 9));
      const store = { wasmDir, compactionWorker: { script: workerScript } };
      const building = performance.now();
      const writer = await OptimizerService.open(dir, settings, { clock, seed: 1, store, syncEvery: 1000 });
      runRollout({ environment: env, policy: 'linucb', policySettings: settings.policySettings, rewardSettings: settings.rewardSettings, rounds: decisions, seed: 1, resume: { optimizer: writer.guarded, clock } });
      await writer.close();
      const buildSeconds = (performance.now() - building) / 1000;
      // The store alone first (its own open is measured by the store bench), then the service: the
      // difference is restoring the learner.
      const storeProbe = driftProbe();
      const storeStarted = performance.now();
      const alone = await openStore(dir, store);
      const storeOpenMs = performance.now() - storeStarted;
      const storeBlock = storeProbe.stop();
      await alone.close();
      const probe = driftProbe();
      const started = performance.now();
      const reopened = await OptimizerService.open(dir, settings, { clock, store });
      const openMs = performance.now() - started;
      const longestBlock = probe.stop();
      const status = reopened.status();
      await reopened.close();
      return {
        targets: { openAndRestoreMs: 2000, longestBlockMs: 50 },
        decisions: status.decisions,
        policyVersion: status.policyVersion,
        phase: status.phase,
        openAndRestoreMs: ms(openMs),
        longestBlockMsDriftProbe: ms(longestBlock),
        storeAloneOpenMs: ms(storeOpenMs),
        storeAloneLongestBlockMs: ms(storeBlock),
        buildSeconds: ms(buildSeconds),
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
