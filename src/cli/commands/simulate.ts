// `paramloop simulate`: plays a policy against a rounds file or the built-in LLM-planning
// environment and reports regret and throughput. With --json one JSON object on stdout.
import { randomBytes } from 'node:crypto';
import { parsePolicySettings, policyKinds, type PolicyKind, type PolicySettings } from '../../core/policies';
import { parseRewardSettings } from '../../core/reward';
import { buildSpace } from '../../core/space';
import { createLlmPlanningEnvironment } from '../../sim/llmPlanning';
import { readRoundsFile } from '../../sim/roundsFile';
import { runLlmPlanning } from '../../sim/runLlm';
import { runRollout } from '../../sim/runRollout';
import { runRounds } from '../../sim/runRounds';
import { StoreEventSink } from '../../service/storeEventSink';
import { runLoggedRollout } from './simulateLog';
import { openSimulationSink } from '../../store/simulationSink';
import { defaultWasmDir } from '../../store/sqlite';
import { parseCommandArgs, parseNumberOption } from '../args';
import { CliError, type CliCommand, type CliIo } from '../io';
import { readJsonFile } from '../jsonFile';
import { checkInputFile } from '../paths';
import { acceptLossHelp, openForCommand } from '../storeAccess';

const environments = ['llm-planning', 'llm-planning-flat'] as const;

/** The product's default policy: what a new user gets without --policy. */
const defaultPolicy: PolicyKind = 'thompson';

const help = `usage: paramloop simulate (--rounds-file FILE | --env NAME) [--policy KIND] [options]

Plays a policy through simulated requests and measures its regret against the best arm.

  --rounds-file FILE   full-information rounds, one JSON line per round {"x": [...], "mu": [...], "r": [...]};
                       the model is linear in x per arm, with an intercept (disjoint feature map)
  --env NAME           a built-in environment: llm-planning (planning requests whose quality, latency and
                       tokens respond to temperature, top_p and max_tokens per task type), or
                       llm-planning-flat (the same requests, but every arm behaves as the baseline arm
                       does: no candidate has an advantage, so any promotion is a false one)
  --policy KIND        ${policyKinds.join(' | ')} (default ${defaultPolicy}, the product's default)
  --rounds N           number of rounds (default: every line of the file; 3000 for --env)
  --seed S             seed of the policy's randomness and the environment (default 1)
  --feature-map KIND   disjoint | shared, for --env (default shared)
  --settings FILE      JSON policy settings (the paramloop.policy settings object)
  --space FILE         JSON parameter space settings for --env (the paramloop.space settings object)
  --requests-per-day N simulated traffic for --env (default 30: one developer)
  --db DIR             persist every decision and outcome (--env only) in the store in DIR, printing
                       'committed N' on stderr each time the journal has durably synced (N decisions);
                       request ids start with a fresh 8-hex-digit nonce per run
  ${acceptLossHelp}
  --rollout            (--env only) run the safety machinery from shadow on: budget, trust region, sticky
                       split by session (a new key after 1 h idle or 2 h of work), SLO monitor with
                       rollback, OPE promotion gate; adds {"rollout": {"finalPhase","status","events":
                       [{"round","day","from","to","kind","actor","reason"}…],"incidents":[…],…}}
  --candidate-shift D  with --rollout: add D to the true mean quality of every request the learned
                       policy serves (negative: an injected regression)
  --auto-resume        with --rollout: after a rollback, resume at once (as a person acknowledging the
                       incident would); without it a rollback holds until the end of the run
  --json               print one JSON object:
                       {"policy","rounds","cumulativeRegret","averageReward","optimalAverageReward",
                        "decisionsPerSecond","seed", …}`;

function positiveInteger(value: string | undefined, name: string): number | undefined {
  return value === undefined ? undefined : parseNumberOption(value, `--${name}`, 0, { min: 1, integer: true });
}

export const simulateCommand: CliCommand = {
  summary: 'simulate a policy on a rounds file or the LLM-planning environment; report regret',
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      'rounds-file': { type: 'string' },
      env: { type: 'string' },
      policy: { type: 'string' },
      rounds: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'feature-map': { type: 'string' },
      settings: { type: 'string' },
      space: { type: 'string' },
      'requests-per-day': { type: 'string' },
      db: { type: 'string' },
      rollout: { type: 'boolean', default: false },
      'candidate-shift': { type: 'string' },
      'auto-resume': { type: 'boolean', default: false },
      'accept-loss': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      io.stdout(`${help}\n`);
      return 0;
    }
    if ((values['rounds-file'] === undefined) === (values.env === undefined)) throw new CliError('give exactly one of --rounds-file FILE or --env NAME');
    if (values.db !== undefined && values.env === undefined) throw new CliError('--db needs --env (a rounds file has no decision records to store)');
    if (values['accept-loss'] && values.db === undefined) throw new CliError('--accept-loss needs --db');
    if (values.rollout && values.env === undefined) throw new CliError('--rollout needs --env');
    if (values['candidate-shift'] !== undefined && !values.rollout) throw new CliError('--candidate-shift needs --rollout');
    if (values['auto-resume'] && !values.rollout) throw new CliError('--auto-resume needs --rollout');
    const candidateShift = parseNumberOption(values['candidate-shift'], '--candidate-shift', 0, { min: -1, max: 1 });
    const policyName = values.policy ?? defaultPolicy;
    if (!(policyKinds as readonly string[]).includes(policyName)) throw new CliError(`--policy must be one of ${policyKinds.join(', ')}, got '${policyName}'`);
    const policy = policyName as PolicyKind;
    const seed = parseNumberOption(values.seed, '--seed', 1, { min: 0, integer: true });
    const rounds = positiveInteger(values.rounds, 'rounds');
    const rawSettings = values.settings !== undefined ? await readJsonFile(values.settings, '--settings') : {};
    let settings: PolicySettings;
    try {
      const merged = typeof rawSettings === 'object' && rawSettings !== null ? { ...rawSettings } : rawSettings;
      if (values['feature-map'] !== undefined && typeof merged === 'object' && merged !== null) (merged as Record<string, unknown>).featureMap = values['feature-map'];
      settings = parsePolicySettings(merged);
    } catch (error) {
      throw new CliError(error instanceof Error ? error.message : String(error));
    }

    let result: Record<string, unknown>;
    if (values['rounds-file'] !== undefined) {
      await checkInputFile(values['rounds-file'], '--rounds-file');
      let data;
      try {
        data = await readRoundsFile(values['rounds-file']);
      } catch (error) {
        throw new CliError(error instanceof Error ? error.message : String(error));
      }
      const { minPropensity, ...rest } = runRounds(data, policy, settings, seed, rounds);
      result = { ...rest, source: values['rounds-file'], arms: data.armCount, contextDim: data.contextDim, featureMap: 'disjoint', minPropensity };
    } else {
      if (!(environments as readonly string[]).includes(values.env!)) throw new CliError(`unknown environment '${values.env}'; available: ${environments.join(', ')}`);
      let space;
      try {
        space = buildSpace(values.space !== undefined ? await readJsonFile(values.space, '--space') : {});
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(error instanceof Error ? error.message : String(error));
      }
      const requestsPerDay = positiveInteger(values['requests-per-day'], 'requests-per-day');
      const db = values.db;
      const environment = createLlmPlanningEnvironment(space, { flat: values.env === 'llm-planning-flat' });
      if (values.rollout && db !== undefined) {
        // Through the optimizer service: a folder that holds a log is continued.
        const started = performance.now();
        const logged = await runLoggedRollout(
          {
            db,
            environment,
            policy,
            policySettings: settings,
            rewardSettings: parseRewardSettings({}),
            rounds: rounds ?? 3000,
            seed,
            seedGiven: args.some((a) => a === '--seed' || a.startsWith('--seed=')),
            acceptLoss: values['accept-loss'],
            run: { candidateShift, autoResume: values['auto-resume'], ...(requestsPerDay !== undefined ? { requestsPerDay } : {}) },
          },
          io,
        );
        const { finalPhase, status, events, incidents, rounds: played, simulatedDays, averageReward, ...rest } = logged.result;
        result = {
          policy,
          seed: logged.seed,
          continued: logged.continued,
          rounds: played,
          simulatedDays,
          averageReward,
          seconds: (performance.now() - started) / 1000,
          rollout: { finalPhase, status, events, incidents, candidateShift, ...rest },
          env: values.env,
          arms: space.arms.length,
          featureMap: settings.featureMap,
        };
        return print(result, values.json, io);
      }
      const sink =
        db === undefined
          ? undefined
          : await openForCommand('simulate', io, () =>
              openSimulationSink(db, { wasmDir: defaultWasmDir(__dirname), refuseLoss: !values['accept-loss'], onCommitted: (p) => io.stderr(`committed ${p.decisions}\n`) }),
            );
      const common = {
        environment,
        policy,
        policySettings: settings,
        rewardSettings: parseRewardSettings({}),
        rounds: rounds ?? 3000,
        seed,
        ...(requestsPerDay !== undefined ? { requestsPerDay } : {}),
        // A fresh nonce per run prefixes every request id: two runs with the same seed into one
        // store log different requests (the store refuses a request id twice).
        ...(sink !== undefined ? { events: new StoreEventSink(sink), requestIdNonce: randomBytes(4).toString('hex') } : {}),
      };
      let run: object;
      if (values.rollout) {
        const started = performance.now();
        const { result: r } = runRollout({ ...common, candidateShift, autoResume: values['auto-resume'] });
        const { finalPhase, status, events, incidents, rounds: played, simulatedDays, averageReward, ...rest } = r;
        run = {
          policy,
          seed,
          rounds: played,
          simulatedDays,
          averageReward,
          seconds: (performance.now() - started) / 1000,
          rollout: { finalPhase, status, events, incidents, candidateShift, ...rest },
        };
      } else {
        run = runLlmPlanning(common).result;
      }
      await sink?.close();
      result = { ...run, env: values.env, arms: space.arms.length, featureMap: settings.featureMap };
    }
    return print(result, values.json, io);
  },
};

function print(result: Record<string, unknown>, json: boolean, io: CliIo): number {
  if (json) {
    io.stdout(`${JSON.stringify(result)}\n`);
  } else {
    const rows = Object.entries(result).map(([k, v]) => `  ${k.padEnd(22)} ${typeof v === 'number' ? formatNumber(v) : typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    io.stdout(`${rows.join('\n')}\n`);
  }
  return 0;
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6);
}
