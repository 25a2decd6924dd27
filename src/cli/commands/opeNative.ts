// Native input of `paramloop ope`: a decision log (an export file or a store, ./opeLog.ts) and a
// candidate, turned into the LoggedRounds the estimators take (src/core/ope/native.ts does the
// work). The candidate is a snapshot scored as it is (--policy, ./opePolicySnapshot.ts), or a policy
// trained on the log's earlier decisions and scored on the later ones (--candidate,
// src/core/ope/learnedCandidate.ts). Each decision is scored under its logged eligibility mask, and
// the sessions its decisions carry become the bootstrap's clusters.
import { clusterIndices } from '../../core/ope/bootstrap';
import { learnedCandidate, splitRows, TrainingRowError, type TimeSplit } from '../../core/ope/learnedCandidate';
import { nativeLoggedRounds, NativeRoundError, type NativeRounds } from '../../core/ope/native';
import { parsePolicySettings, policyKinds, type JointFeatureMap, type Policy, type PolicyKind, type PolicySettings } from '../../core/policies';
import { createRng } from '../../core/math/random';
import { buildSpace, type ParameterSpace } from '../../core/space';
import { eligibilityMask } from '../../core/decisionChecks';
import { CliError } from '../io';
import { isJsonObject, readJsonFile } from '../jsonFile';
import type { DecisionLog, RewardedDecision } from './opeLog';
import type { NativeCandidate } from './opeOptions';
import { readPolicySnapshot } from './opePolicySnapshot';

/** Reward model settings of native mode. */
export interface NativeReadOptions {
  readonly ridgeLambda: number;
  readonly folds: number;
  readonly seed: number;
}

/** How the candidate was obtained. */
export type CandidateReport =
  | { readonly kind: 'snapshot'; readonly path: string }
  | {
      readonly kind: 'trained';
      /** 'current' (the log's own policy kind, default settings) or the settings file. */
      readonly from: string;
      readonly split: TimeSplit;
      readonly trainRows: number;
      /** Timestamp of the last decision learned from. */
      readonly trainedUntil: number | undefined;
    };

/** The rounds, with what was left out, the support diagnostic and the sessions. */
export interface NativeInput extends NativeRounds {
  /** Logged decisions without an outcome or reward yet: not evaluated. */
  readonly skippedWithoutReward: number;
  readonly policyKind: PolicyKind;
  readonly candidate: CandidateReport;
  /** Session of every scored round (dense indices), when the decisions carry session keys. */
  readonly clusters?: Int32Array;
  readonly sessions?: number;
}

/** Builds the rounds of `log` for the candidate of `candidate`. */
export async function readNativeInput(log: DecisionLog, candidate: NativeCandidate, options: NativeReadOptions): Promise<NativeInput> {
  let policy: Policy;
  let featureMap: JointFeatureMap;
  let eligible: Uint8Array | undefined;
  let scored: readonly RewardedDecision[];
  let report: CandidateReport;
  if (candidate.kind === 'snapshot') {
    ({ policy, featureMap, eligible } = await readPolicySnapshot(candidate.path));
    scored = log.rows;
    report = { kind: 'snapshot', path: candidate.path };
  } else {
    const space = await readSpace(candidate.spacePath);
    checkArmsAgainstSpace(log, space, candidate.spacePath);
    const { kind, settings, from } = await candidateSettings(log, candidate.settingsPath);
    const { train, score } = splitRows(log.rows.map((row) => ({ ...row, timestamp: row.decision.timestamp })), candidate.split);
    if (train.length === 0 || score.length === 0) throw new CliError(emptySplitMessage(log, candidate.split, train.length, score.length), 2);
    const contextDim = log.rows[0]?.decision.contextFeatures.length ?? 0;
    try {
      ({ policy, featureMap } = learnedCandidate(
        train.map((row) => ({ context: row.decision.contextFeatures, armIndex: row.decision.armIndex, reward: row.reward })),
        { kind, settings, space, contextDim },
      ));
    } catch (error) {
      if (error instanceof TrainingRowError) throw new CliError(`${train[error.index]?.where ?? log.label}: cannot learn from this decision: ${error.reason}`, 1);
      throw error;
    }
    scored = score;
    report = { kind: 'trained', from, split: candidate.split, trainRows: train.length, trainedUntil: train[train.length - 1]?.decision.timestamp };
  }
  const k = policy.armCount;
  try {
    const native = nativeLoggedRounds(
      scored.map(({ decision, reward }) => {
        const mask = eligibilityMask(decision.eligibleArms, k);
        return { context: decision.contextFeatures, armIndex: decision.armIndex, propensity: decision.propensity, loggingProbabilities: decision.probabilities, reward, ...(mask ? { eligible: mask } : {}) };
      }),
      {
        policy,
        featureMap,
        rng: createRng((options.seed ^ 0x5bd1e995) >>> 0),
        rewardModel: { lambda: options.ridgeLambda, folds: options.folds },
        ...(eligible ? { eligible } : {}),
      },
    );
    const sessions = sessionClusters(scored);
    return { ...native, skippedWithoutReward: log.skippedWithoutReward, policyKind: policy.kind, candidate: report, ...sessions };
  } catch (error) {
    if (error instanceof NativeRoundError) {
      const reason = error.message.replace(/^round \d+: [^:]+: /, '');
      throw new CliError(`${scored[error.index]?.where ?? log.label}: field "decision.${error.field}": ${reason}`, 1);
    }
    throw error;
  }
}

/** Dense session indices of the rounds, when any decision carries a session key (the rest are sessions of their own). */
function sessionClusters(rows: readonly RewardedDecision[]): { clusters?: Int32Array; sessions?: number } {
  if (!rows.some((row) => row.decision.sessionKey !== undefined)) return {};
  const clusters = clusterIndices(rows.map((row) => row.decision.sessionKey));
  let sessions = 0;
  for (const c of clusters) sessions = Math.max(sessions, c + 1);
  return { clusters, sessions };
}

async function readSpace(path: string | undefined): Promise<ParameterSpace> {
  const raw = path === undefined ? {} : await readJsonFile(path, '--space');
  try {
    return buildSpace(raw);
  } catch (error) {
    throw new CliError(`${path ?? 'the default parameter space'}: ${error instanceof Error ? error.message : String(error)}`, path === undefined ? 1 : 2);
  }
}

/** Every decision must name an arm of `space`, at the same index, with the space's number of arms. */
function checkArmsAgainstSpace(log: DecisionLog, space: ParameterSpace, spacePath: string | undefined): void {
  const which = spacePath === undefined ? 'the default parameter space' : `the parameter space of ${spacePath}`;
  const advice = spacePath === undefined ? 'give --space FILE with the space the log was written with' : 'give the space the log was written with';
  for (const { decision, where } of log.rows) {
    const k = decision.probabilities.length;
    if (k !== space.arms.length) throw new CliError(`${where}: the log has ${k} arms, ${which} has ${space.arms.length}: ${advice}`, 1);
    const arm = space.arms[decision.armIndex];
    if (arm?.id !== decision.armId) throw new CliError(`${where}: arm ${decision.armIndex} is '${decision.armId}' in the log but '${arm?.id ?? '?'}' in ${which}: ${advice}`, 1);
  }
}

/** The kind and settings of a trained candidate: the log's own (current), or a settings file. */
async function candidateSettings(log: DecisionLog, path: string | undefined): Promise<{ kind: PolicyKind; settings: PolicySettings; from: string }> {
  if (path === undefined) {
    const latest = log.rows[log.rows.length - 1];
    const policyId = latest?.decision.policyId ?? '';
    if (!(policyKinds as readonly string[]).includes(policyId)) {
      throw new CliError(`${latest?.where ?? log.label}: the log's policy '${policyId}' is not a policy kind (${policyKinds.join(', ')}); give --candidate FILE with {"kind", "settings"}`, 1);
    }
    return { kind: policyId as PolicyKind, settings: parsePolicySettings({}), from: 'current' };
  }
  const raw = await readJsonFile(path, '--candidate');
  const fail = (reason: string): never => {
    throw new CliError(`${path} (--candidate): ${reason}`, 2);
  };
  if (!isJsonObject(raw)) return fail('must be a JSON object {"kind", "settings"?}');
  const unknown = Object.keys(raw).filter((key) => key !== 'kind' && key !== 'settings');
  if (unknown.length > 0) fail(`unknown field "${unknown[0]}" (expected {"kind", "settings"?})`);
  const kind = raw['kind'];
  if (typeof kind !== 'string' || !(policyKinds as readonly string[]).includes(kind)) return fail(`"kind" must be one of ${policyKinds.join(', ')}, got ${JSON.stringify(kind) ?? 'nothing'}`);
  try {
    return { kind: kind as PolicyKind, settings: parsePolicySettings(raw['settings']), from: path };
  } catch (error) {
    return fail(`"settings": ${error instanceof Error ? error.message : String(error)}`);
  }
}

function emptySplitMessage(log: DecisionLog, split: TimeSplit, train: number, score: number): string {
  const n = log.rows.length;
  const what = split.kind === 'until' ? `--train-until ${new Date(split.until).toISOString()}` : split.kind === 'share' ? `--split ${split.share}` : '--split none';
  const missing = train === 0 ? 'no decision to learn from' : 'no decision to score';
  return `${what} leaves ${missing} (${n} decision${n === 1 ? '' : 's'} with a reward, ${train} before the split and ${score} after it)`;
}
