// A candidate policy snapshot for `paramloop ope --policy`, restored from its JSON file. The file is
// one of
//   - a policy snapshot as the policies write it: {"kind", "version", "armCount", "contextDim", "scorer"?, "extra"?}
//   - a stored snapshot record {"payload": <snapshot>, …} (the store's policy_snapshots payload)
//   - {"snapshot": <snapshot>, "settings"?: <policy settings>, "actionFeatures"?: [[…] per arm],
//      "baseline"?: {"baselineArm": int, "trustRegionArms": [int…]}, "eligibleArms"?: [int…]}
// "settings" are the policy settings (defaults when absent); "actionFeatures" are needed for a
// shared feature map, "baseline" for a baseline candidate; "eligibleArms" confines the candidate
// to those arms (as the optimizer confines the learned policy to the trust region). The reward model
// regresses on the policy's feature map (for a baseline candidate: shared with actionFeatures, else
// disjoint).
import { createPolicy, disjointFeatureMap, parsePolicySettings, policyKinds, sharedFeatureMap, type JointFeatureMap, type Policy, type PolicySnapshot } from '../../core/policies';
import { CliError } from '../io';
import { isJsonObject, readJsonFile } from '../jsonFile';

/** A candidate restored from a snapshot file: the policy, its feature map and its own eligibility mask. */
export interface SnapshotCandidate {
  readonly policy: Policy;
  readonly featureMap: JointFeatureMap;
  readonly eligible?: Uint8Array;
}

/** Reads and restores the policy snapshot at `path` (the formats are in the file comment). */
export async function readPolicySnapshot(path: string): Promise<SnapshotCandidate> {
  const fail = (reason: string): never => {
    throw new CliError(`${path}: ${reason}`, 1);
  };
  const raw = await readJsonFile(path, '--policy');
  if (!isJsonObject(raw)) return fail('must be a JSON object');
  const snapshotValue = raw['snapshot'] ?? raw['payload'] ?? raw;
  if (!isJsonObject(snapshotValue)) return fail('"snapshot" must be an object');
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
  const mapKind = isJsonObject(scorer) && (scorer['kind'] === 'shared' || scorer['kind'] === 'disjoint') ? scorer['kind'] : raw['actionFeatures'] !== undefined ? 'shared' : 'disjoint';
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
    if (!isJsonObject(baselineValue) || typeof baselineValue['baselineArm'] !== 'number' || !Array.isArray(baselineValue['trustRegionArms'])) {
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
