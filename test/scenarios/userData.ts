// What the scenarios read and write in a session's user data: where the user's decision log lives,
// and per-workspace logs as earlier versions of Paramloop wrote them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../../src/core/math/random';
import { OptimizerService } from '../../src/service/optimizerService';
import { defaultServiceSettings } from '../../src/service/session';
import { createLlmPlanningEnvironment } from '../../src/sim/llmPlanning';
import { openStore } from '../../src/store/store';
import { logSynthetic } from '../../src/store/testing/synthetic';
import { projectRoot } from '../host/paths';
import type { WindowSession } from '../host/windows';

const wasmDir = join(projectRoot, 'node_modules', 'sql.js', 'dist');

/** Where Paramloop keeps the user's decision log in the server's user data. */
export function userLogDir(session: WindowSession): string {
  return join(session.userDataDir, 'User', 'globalStorage', 'paramloop.paramloop', 'decision-log');
}

/** The process holding the store lock of `dir`, if any. */
export function lockHolder(dir: string): number | undefined {
  const file = join(dir, 'store.lock');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid : undefined;
}

/** Writes synthetic decisions first..last (with outcomes) into a store in `dir`, as an earlier version did. */
export async function writeOldLog(dir: string, first: number, last: number): Promise<void> {
  const store = await openStore(dir, { wasmDir, compactionWorker: false });
  await logSynthetic(store, first, last);
  await store.close();
}

/**
 * Writes `count` decisions with their outcomes into a log in `dir`, made by the learner an earlier
 * version ran with the default settings (the space the user's log has): its arms are the user's
 * log's arms, as an earlier version's would be.
 */
export async function writeOldLogOfDefaultSpace(dir: string, count: number, seed: number): Promise<void> {
  const settings = defaultServiceSettings();
  const environment = createLlmPlanningEnvironment();
  const rng = createRng(seed);
  const service = await OptimizerService.open(dir, settings, { clock: { now: () => Date.now() }, store: { wasmDir, compactionWorker: false } });
  try {
    for (let i = 0; i < count; i++) {
      const context = environment.sampleContext(rng);
      const recommendation = service.recommend(context, `old-${i}`);
      if (recommendation.kind !== 'decision') throw new Error('refused');
      const decision = service.logDecision(recommendation.decision.requestId, { honouredParams: ['temperature', 'topP', 'maxTokens'] });
      service.recordOutcome(decision.requestId, environment.sampleOutcome(context, settings.space.arms[decision.armIndex]!, rng, decision.requestId, Date.now()));
    }
  } finally {
    await service.close();
  }
}
