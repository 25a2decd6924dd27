// A child process for the service's kill tests: opens (or continues) the optimizer service in a
// folder and serves simulated planning requests without end, in one synchronous loop, reporting
// `opened N` and `committed N` (decisions durable) on stderr, until it is killed.
//   node serviceWriter.js DIR SEED
import { join } from 'node:path';
import { createRng } from '../../core/math/random';
import { parsePolicySettings } from '../../core/policies';
import { parseRewardSettings } from '../../core/reward';
import { SessionTracker } from '../../core/sessions';
import { createLlmPlanningEnvironment } from '../../sim/llmPlanning';
import { OptimizerService } from '../optimizerService';

const env = createLlmPlanningEnvironment();

async function main(): Promise<void> {
  const [dir, seedText] = process.argv.slice(2);
  if (dir === undefined) throw new Error('usage: serviceWriter DIR SEED');
  const wasmDir = process.env.PARAMLOOP_WASM_DIR ?? join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist');
  const clock = { t: Date.UTC(2026, 0, 5, 9) };
  const service = await OptimizerService.open(
    dir,
    { space: env.space, policyKind: 'thompson', policySettings: parsePolicySettings({}), rewardSettings: parseRewardSettings({}), checkpointEvery: 150, guarded: { budget: { defaultLimits: { daily: 70_000, weekly: null } } } },
    // Small thresholds so that kills land in every phase: batches, snapshots, checkpoints.
    { clock: { now: () => clock.t }, seed: 11, store: { wasmDir, snapshotEveryEvents: 2_000, snapshotIdleMs: 0, snapshotMaxDeferMs: 0 }, syncEvery: 40 },
  );
  for (const notice of [...service.store.notices, ...service.notices]) process.stderr.write(`notice ${notice.level} ${notice.message}\n`);
  service.store.onCommitted((progress) => process.stderr.write(`committed ${progress.decisions}\n`));
  // Each run continues after the log's last decision.
  let last = clock.t;
  for (const logged of service.store.iterateLogged()) last = Math.max(last, logged.decision.timestamp, logged.outcome?.timestamp ?? 0);
  clock.t = last + 60_000;
  const opened = service.store.decisionCount();
  process.stderr.write(`opened ${opened}\n`);
  const world = createRng(Number(seedText ?? 1));
  const sessions = new SessionTracker(clock.t);
  for (;;) {
    clock.t += Math.round((-Math.log(1 - world.next()) * 86_400_000) / 30);
    const context = env.sampleContext(world);
    const rec = service.recommend(context, `s-${seedText}-${sessions.at(clock.t)}`);
    if (rec.kind === 'refused') continue;
    service.logDecision(rec.decision.requestId);
    service.recordOutcome(rec.decision.requestId, env.sampleOutcome(context, env.space.arms[rec.decision.armIndex]!, world, rec.decision.requestId, clock.t));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`error ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
