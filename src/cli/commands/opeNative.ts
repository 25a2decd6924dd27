// Native input of `paramloop ope`: a decision log exported by `paramloop export --format jsonl`
// and a candidate policy snapshot, read into the LoggedRounds the estimators take
// (src/core/ope/native.ts does the work; this file reads and checks the files).
//
// The --policy file is JSON, one of
//   - a policy snapshot as the policies write it: {"kind", "version", "armCount", "contextDim", "scorer"?, "extra"?}
//   - a stored snapshot record {"payload": <snapshot>, …} (the store's policy_snapshots payload)
//   - {"snapshot": <snapshot>, "settings"?: <policy settings>, "actionFeatures"?: [[…] per arm],
//      "baseline"?: {"baselineArm": int, "trustRegionArms": [int…]}, "eligibleArms"?: [int…]}
// "settings" are the policy settings (defaults when absent); "actionFeatures" are needed for a
// shared feature map, "baseline" for a baseline candidate; "eligibleArms" confines the candidate
// to those arms (as the optimizer confines the learned policy to the trust region). The reward model regresses on the
// policy's feature map (for a baseline candidate: shared with actionFeatures, else disjoint).
import { readFile } from 'node:fs/promises';
import { nativeLoggedRounds, NativeRoundError, type NativeRound, type NativeRounds } from '../../core/ope/native';
import { createPolicy, disjointFeatureMap, parsePolicySettings, policyKinds, sharedFeatureMap, type JointFeatureMap, type PolicySnapshot } from '../../core/policies';
import { createRng } from '../../core/random';
import { ImportError, parseJsonl } from '../../store/formats/jsonl';
import { CliError } from '../io';

/** Reward model settings of native mode. */
export interface NativeReadOptions {
  readonly ridgeLambda: number;
  readonly folds: number;
  readonly seed: number;
}

/** The rounds, with what was left out and the support diagnostic. */
export interface NativeInput extends NativeRounds {
  /** Logged decisions without an outcome or reward yet: not evaluated. */
  readonly skippedWithoutReward: number;
  readonly policyKind: string;
}

/** Reads a decision log and a policy snapshot file into rounds for the estimators. */
export async function readNativeInput(logPath: string, policyPath: string | undefined, options: NativeReadOptions): Promise<NativeInput> {
  if (policyPath === undefined) throw new CliError('the native format needs --policy SNAPSHOT (the candidate policy to evaluate)');
  const logText = await readText(logPath);
  let logged;
  try {
    logged = parseJsonl(logText);
  } catch (error) {
    if (error instanceof ImportError) throw new CliError(`${logPath}: ${error.message}`, 1);
    throw error;
  }
  const { policy, featureMap, eligible } = await readPolicy(policyPath);
  const rows: NativeRound[] = [];
  const lineOf: number[] = [];
  let skippedWithoutReward = 0;
  logged.forEach((entry, index) => {
    if (entry.reward === undefined) {
      skippedWithoutReward++;
      return;
    }
    const { decision } = entry;
    rows.push({ context: decision.contextFeatures, armIndex: decision.armIndex, propensity: decision.propensity, loggingProbabilities: decision.probabilities, reward: entry.reward.reward });
    lineOf.push(index + 2); // line 1 is the header
  });
  if (rows.length === 0) throw new CliError(`${logPath}: no decision has a reward yet (${skippedWithoutReward} without one)`, 1);
  try {
    const native = nativeLoggedRounds(rows, {
      policy,
      featureMap,
      rng: createRng((options.seed ^ 0x5bd1e995) >>> 0),
      rewardModel: { lambda: options.ridgeLambda, folds: options.folds },
      ...(eligible ? { eligible } : {}),
    });
    return { ...native, skippedWithoutReward, policyKind: policy.kind };
  } catch (error) {
    if (error instanceof NativeRoundError) throw new CliError(`${logPath}, line ${lineOf[error.index] ?? '?'}: field "decision.${error.field}": ${error.message.replace(/^round \d+: [^:]+: /, '')}`, 1);
    throw error;
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, 1);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readPolicy(path: string): Promise<{ policy: ReturnType<typeof createPolicy>; featureMap: JointFeatureMap; eligible?: Uint8Array }> {
  const fail = (reason: string): never => {
    throw new CliError(`${path}: ${reason}`, 1);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(await readText(path));
  } catch (error) {
    if (error instanceof CliError) throw error;
    fail(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isRecord(raw)) return fail('must be a JSON object');
  const snapshotValue = raw['snapshot'] ?? raw['payload'] ?? raw;
  if (!isRecord(snapshotValue)) return fail('"snapshot" must be an object');
  const kind = snapshotValue['kind'];
  const armCount = snapshotValue['armCount'];
  const contextDim = snapshotValue['contextDim'];
  if (typeof kind !== 'string' || !(policyKinds as readonly string[]).includes(kind)) return fail(`snapshot "kind" must be one of ${policyKinds.join(', ')}, got ${JSON.stringify(kind)}`);
  if (typeof armCount !== 'number' || !Number.isInteger(armCount) || armCount < 1) return fail(`snapshot "armCount" must be a positive integer, got ${JSON.stringify(armCount)}`);
  if (typeof contextDim !== 'number' || !Number.isInteger(contextDim) || contextDim < 0) return fail(`snapshot "contextDim" must be a non-negative integer, got ${JSON.stringify(contextDim)}`);
  const snapshot = snapshotValue as unknown as PolicySnapshot;
  let settings;
  try {
    settings = parsePolicySettings(raw['settings']);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  const scorer = snapshotValue['scorer'];
  // A learned policy's map is the one its scorer was trained on. A policy without a scorer (the
  // baseline) only needs a map for the reward model: shared when action features are given.
  const mapKind = isRecord(scorer) && (scorer['kind'] === 'shared' || scorer['kind'] === 'disjoint') ? scorer['kind'] : raw['actionFeatures'] !== undefined ? 'shared' : 'disjoint';
  let featureMap: JointFeatureMap;
  if (mapKind === 'shared') {
    const actionFeatures = raw['actionFeatures'];
    if (!Array.isArray(actionFeatures) || actionFeatures.length !== armCount || !actionFeatures.every((row) => Array.isArray(row) && row.every((v) => typeof v === 'number' && Number.isFinite(v)))) {
      return fail(`a shared feature map needs "actionFeatures": one array of numbers per arm (${armCount})`);
    }
    featureMap = sharedFeatureMap(contextDim, actionFeatures as number[][]);
  } else {
    featureMap = disjointFeatureMap(armCount, contextDim);
  }
  const baselineValue = raw['baseline'];
  let baseline = { baselineArm: 0, trustRegionArms: [] as number[] };
  if (kind === 'baseline') {
    if (!isRecord(baselineValue) || typeof baselineValue['baselineArm'] !== 'number' || !Array.isArray(baselineValue['trustRegionArms'])) {
      return fail('a baseline candidate needs "baseline": {"baselineArm": int, "trustRegionArms": [int…]}');
    }
    baseline = { baselineArm: baselineValue['baselineArm'], trustRegionArms: (baselineValue['trustRegionArms'] as unknown[]).map(Number) };
  }
  let eligible: Uint8Array | undefined;
  const eligibleArms = raw['eligibleArms'];
  if (eligibleArms !== undefined) {
    if (!Array.isArray(eligibleArms) || eligibleArms.length === 0 || !eligibleArms.every((a) => Number.isInteger(a) && (a as number) >= 0 && (a as number) < armCount)) {
      return fail(`"eligibleArms" must be a non-empty array of arm indices in 0..${armCount - 1}`);
    }
    eligible = new Uint8Array(armCount);
    for (const a of eligibleArms as number[]) eligible[a] = 1;
  }
  try {
    const policy = createPolicy(kind as PolicySnapshot['kind'], featureMap, settings, baseline);
    policy.restore(snapshot);
    return eligible ? { policy, featureMap, eligible } : { policy, featureMap };
  } catch (error) {
    return fail(`cannot restore the policy: ${error instanceof Error ? error.message : String(error)}`);
  }
}
