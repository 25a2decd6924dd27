// `paramloop simulate --rollout --db DIR`: the simulation runs through the optimizer service, so a
// folder that already holds a log is continued, not restarted: the learner, its rollout phase, its
// random streams and budget come back from the log, and the simulated world (its clock, random
// stream and sessions) from a record the previous run left. Two runs of N rounds leave the state one
// run of 2N leaves.
import type { PolicyKind, PolicySettings } from '../../core/policies';
import type { RewardSettings } from '../../core/reward';
import { OptimizerService } from '../../service/optimizerService';
import type { LlmPlanningEnvironment } from '../../sim/llmPlanning';
import { runRollout, SimulatedClock, type RolloutRunOptions, type RolloutRunResult, type SimulationWorld } from '../../sim/runRollout';
import { defaultWasmDir } from '../../store/sqlite';
import { CliError, type CliIo } from '../io';
import { openForCommand } from '../storeAccess';

/** The checkpoint slot that keeps the simulated world between runs. */
export const simulationWorldSlot = 'simulation-world';

export interface LoggedRolloutOptions {
  db: string;
  environment: LlmPlanningEnvironment;
  policy: PolicyKind;
  policySettings: PolicySettings;
  rewardSettings: RewardSettings;
  rounds: number;
  /** The seed asked for; a log keeps the seed it was started with. */
  seed: number;
  /** True when the seed was given on the command line (a log started with another one is then refused). */
  seedGiven: boolean;
  acceptLoss: boolean;
  run: Pick<RolloutRunOptions, 'candidateShift' | 'autoResume' | 'requestsPerDay'>;
}

/** Runs (or continues) the rollout simulation in the store in `db`. */
export async function runLoggedRollout(o: LoggedRolloutOptions, io: CliIo): Promise<{ result: RolloutRunResult; continued: boolean; seed: number }> {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 9));
  const service = await openForCommand('simulate', io, () =>
    OptimizerService.open(
      o.db,
      { space: o.environment.space, policyKind: o.policy, policySettings: o.policySettings, rewardSettings: o.rewardSettings },
      {
        clock,
        seed: o.seed,
        store: { wasmDir: defaultWasmDir(__dirname), refuseLoss: !o.acceptLoss },
        syncEvery: 1000,
      },
    ),
  );
  for (const notice of service.store.notices) io.stderr(`paramloop simulate: ${notice.level}: ${notice.message}\n`);
  try {
    const seed = service.guarded.toJSON().seed;
    if (o.seedGiven && seed !== o.seed) throw new CliError(`the log in ${o.db} was started with --seed ${seed}; continue it with that seed, or leave --seed out`, 2);
    const saved = service.store.checkpoints().find((c) => c.slot === simulationWorldSlot);
    const world = saved?.payload as SimulationWorld | undefined;
    const continued = world !== undefined || service.store.decisionCount() > 0;
    if (world === undefined && service.store.decisionCount() > 0) {
      io.stderr(`paramloop simulate: warning: the log in ${o.db} holds no simulated world to continue (written by an earlier run that did not finish, or by another tool); the learner continues, the world starts anew\n`);
    }
    clock.t = world?.now ?? Math.max(clock.t, service.guarded.toJSON().rollout.phaseStartedAt);
    const { result, world: after } = runRollout({
      ...o.run,
      environment: o.environment,
      policy: o.policy,
      policySettings: o.policySettings,
      rewardSettings: o.rewardSettings,
      rounds: o.rounds,
      seed,
      resume: { optimizer: service.guarded, clock, ...(world ? { world } : {}) },
    });
    service.store.append({ type: 'checkpoint', record: { slot: simulationWorldSlot, timestamp: clock.t, payload: after } });
    return { result, continued, seed };
  } finally {
    await service.close();
  }
}
