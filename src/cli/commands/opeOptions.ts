// The options of `paramloop ope`: its help text, and their parsing into one checked object.
import { defaultEstimatorParams, estimatorNames, type EstimatorName, type EstimatorParams } from '../../core/ope/estimators';
import type { TimeSplit } from '../../core/ope/learnedCandidate';
import { parseCommandArgs, parseNumberOption } from '../args';
import { CliError } from '../io';

/** Default number of bootstrap resamples: enough for stable 95% percentile bounds, O(B·n) time. */
export const defaultBootstrapResamples = 1000;

/** Default share of the log a trained candidate learns from (the rest scores it). */
export const defaultTrainShare = 0.5;

export const opeHelp = `usage: paramloop ope (--input FILE | --db DIR) [options]

Estimates the value of a candidate policy from logged bandit rounds.

input (one of):
  --input FILE          logged rounds in a JSONL file, in one of two formats:
                          obp     one round per line, {"action": int, "reward": number, "pscore": number,
                                  "action_dist": [K numbers], "estimated_rewards": [K numbers]}: action_dist is the
                                  candidate's distribution over all K actions, estimated_rewards the reward model's
                                  predictions (Open Bandit Pipeline's inputs); the candidate is in the file
                          native  a decision log as 'paramloop export --format jsonl' writes it; the candidate is
                                  --candidate or --policy, the reward model is fitted on the log
  --format obp|native   the format of --input (default: obp when its first line has "pscore" or
                        "action_dist", else native)
  --db DIR              the decision log in the store in DIR ('paramloop simulate --db', the extension),
                        read without changing anything; evaluated as a native log

candidate (native input and --db):
  --candidate current|FILE
                        current (the default): the learned policy rebuilt from the log, a policy of the
                        log's policy kind (the policyId of its latest decision) with default settings,
                        updated with the logged outcomes in the order they were logged. FILE: a JSON
                        object {"kind": "thompson"|"linucb"|"epsilon"|"baseline", "settings"?: {…}} (the
                        settings as in the paramloop.policy setting), trained on the log the same way.
  --split S             a trained candidate learns from the earliest share S of the decisions with a
                        reward and is scored on the later ones (default ${defaultTrainShare}); 'none' learns from and
                        scores every decision, which flatters the candidate (it has fitted the noise of
                        the rows it is scored on)
  --train-until TIME    instead of --split: learn from decisions logged before TIME (ISO 8601, e.g.
                        2026-01-20 or 2026-01-20T12:00Z, or ms since the epoch), score the rest
  --space FILE          the parameter space the log was written with (the paramloop.space setting, JSON;
                        default: the default space); its arms must be the log's arms
  --policy SNAPSHOT     instead of --candidate: a policy snapshot, JSON, scored on every decision: a
                        snapshot {"kind", "version", "armCount", "contextDim", "scorer"?, "extra"?}, or
                        {"snapshot", "settings"?, "actionFeatures"? (shared feature map), "baseline"?,
                        "eligibleArms"?}
  --ridge-lambda R      ridge penalty of the reward model on φ(x, a) (default 1)
  --folds F             cross-fitting folds of the reward model (default 5; 1: fit once)
The candidate is scored under each decision's logged eligibility mask (eligibleArms, e.g. a token
budget), when the log has one: what it would have chosen under the same constraints.

estimators (Open Bandit Pipeline's definitions; defaults equal OBP's):
  --estimators LIST     comma-separated, default ${estimatorNames.join(',')}; also replay (deterministic
                        candidates: Li et al. 2011, unbiased only under uniform logging; the
                        propensity-weighted replay is reported next to it). OBP names are accepted too:
                        ipw, snipw, switch-dr, dr-os, rm.
  --clip C              weight clipping of IPS and DR, w → min(w, C), as OBP's lambda_ of those two
                        (default: none). SNIPS, SNDR, SwitchDR and DRos are not clipped.
  --switch-tau T        SwitchDR keeps the DR correction where w ≤ T (default: inf, which is DR)
  --dros-lambda L       DRos shrinks w to L·w/(w² + L) (default: 0, which makes DRos equal to DM, as in
                        OBP; inf makes it DR)

intervals:
  --bootstrap B         percentile bootstrap resamples (default ${defaultBootstrapResamples}; 0: no intervals). Cost O(B·n).
                        When decisions carry a sessionKey, whole sessions are resampled.
  --alpha A             intervals have nominal coverage 1 − A (default 0.05)
  --seed S              seed of the resampling (default 0): the same seed gives the same intervals

output:
  --json                one JSON object: {"n", "ess", "estimators": {name: {"estimate", "ci": [lo, hi]}},
                        "diagnostics", "warnings": [sentences]}; an undefined number (e.g. SNIPS with every
                        weight 0) is null
  --help                this text

A warning says when the effective sample size of the importance weights is below max(10, 1% of
the rounds): too few rounds carry the estimate to decide anything. DM and DR intervals treat the
reward model as fixed: they do not include its fitting error.`;

const estimatorAliases: Readonly<Record<string, EstimatorName | 'replay'>> = {
  ips: 'ips',
  ipw: 'ips',
  snips: 'snips',
  snipw: 'snips',
  dm: 'dm',
  dr: 'dr',
  sndr: 'sndr',
  switch_dr: 'switch_dr',
  'switch-dr': 'switch_dr',
  switchdr: 'switch_dr',
  dros: 'dros',
  'dr-os': 'dros',
  replay: 'replay',
  rm: 'replay',
};

/** Where the logged rounds come from. */
export type OpeSource = { readonly kind: 'file'; readonly path: string; readonly format: 'obp' | 'native' | undefined } | { readonly kind: 'db'; readonly dir: string };

/** The candidate of a native log: a snapshot scored as it is, or a policy trained on the log. */
export type NativeCandidate = { readonly kind: 'snapshot'; readonly path: string } | { readonly kind: 'trained'; readonly settingsPath: string | undefined; readonly split: TimeSplit; readonly spacePath: string | undefined };

/** Every option of `paramloop ope`, checked. */
export interface OpeOptions {
  readonly source: OpeSource;
  readonly candidate: NativeCandidate;
  /** True when a candidate option was given (they do not apply to obp input). */
  readonly candidateGiven: boolean;
  readonly ridgeLambda: number;
  readonly folds: number;
  readonly estimators: EstimatorName[];
  readonly replay: boolean;
  readonly params: EstimatorParams;
  readonly resamples: number;
  readonly alpha: number;
  readonly seed: number;
  readonly json: boolean;
}

/** Parses the arguments; undefined when --help was asked for. */
export function parseOpeOptions(args: readonly string[]): OpeOptions | undefined {
  const { values } = parseCommandArgs(args, {
    input: { type: 'string' },
    db: { type: 'string' },
    format: { type: 'string' },
    candidate: { type: 'string' },
    split: { type: 'string' },
    'train-until': { type: 'string' },
    space: { type: 'string' },
    policy: { type: 'string' },
    'ridge-lambda': { type: 'string' },
    folds: { type: 'string' },
    estimators: { type: 'string' },
    clip: { type: 'string' },
    'switch-tau': { type: 'string' },
    'dros-lambda': { type: 'string' },
    bootstrap: { type: 'string' },
    alpha: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return undefined;
  const { input, db } = values;
  if ((input === undefined) === (db === undefined)) throw new CliError('give exactly one of --input FILE or --db DIR (see --help)');
  if (input === '' || db === '') throw new CliError(`${input === '' ? '--input' : '--db'} needs a path`);
  const format = values.format;
  if (format !== undefined && format !== 'obp' && format !== 'native') throw new CliError(`--format must be obp or native, got '${format}'`);
  if (db !== undefined && format === 'obp') throw new CliError('--db holds a decision log: --format obp applies to --input files only');
  const source: OpeSource = input !== undefined ? { kind: 'file', path: input, format } : { kind: 'db', dir: db ?? '' };

  if (values.policy !== undefined && values.candidate !== undefined) throw new CliError('give --candidate or --policy, not both');
  if (values.policy !== undefined && (values.split !== undefined || values['train-until'] !== undefined || values.space !== undefined)) {
    throw new CliError('--split, --train-until and --space apply to a trained --candidate; a --policy snapshot is scored on every decision as it is');
  }
  if (values.split !== undefined && values['train-until'] !== undefined) throw new CliError('give --split or --train-until, not both');
  const candidate: NativeCandidate =
    values.policy !== undefined
      ? { kind: 'snapshot', path: values.policy }
      : { kind: 'trained', settingsPath: values.candidate === undefined || values.candidate === 'current' ? undefined : values.candidate, split: parseSplit(values.split, values['train-until']), spacePath: values.space };
  const candidateGiven = [values.policy, values.candidate, values.split, values['train-until'], values.space].some((value) => value !== undefined);

  const estimators: EstimatorName[] = [];
  let replay = false;
  for (const raw of (values.estimators ?? estimatorNames.join(',')).split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === '') continue;
    const canonical = estimatorAliases[name];
    if (canonical === undefined) throw new CliError(`--estimators: unknown estimator '${raw.trim()}' (known: ${[...estimatorNames, 'replay'].join(', ')})`);
    if (canonical === 'replay') replay = true;
    else if (!estimators.includes(canonical)) estimators.push(canonical);
  }
  if (estimators.length === 0 && !replay) throw new CliError('--estimators: the list is empty');
  const params: EstimatorParams = {
    clip: parseNumberOption(values.clip, '--clip', defaultEstimatorParams.clip, { min: 0, allowInfinity: true }),
    switchTau: parseNumberOption(values['switch-tau'], '--switch-tau', defaultEstimatorParams.switchTau, { min: 0, allowInfinity: true }),
    drosLambda: parseNumberOption(values['dros-lambda'], '--dros-lambda', defaultEstimatorParams.drosLambda, { min: 0, allowInfinity: true }),
  };
  return {
    source,
    candidate,
    candidateGiven,
    ridgeLambda: parseNumberOption(values['ridge-lambda'], '--ridge-lambda', 1, { min: 0, exclusiveMin: true }),
    folds: parseNumberOption(values.folds, '--folds', 5, { min: 1, integer: true }),
    estimators,
    replay,
    params,
    resamples: parseNumberOption(values.bootstrap, '--bootstrap', defaultBootstrapResamples, { min: 0, integer: true }),
    alpha: parseNumberOption(values.alpha, '--alpha', 0.05, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }),
    seed: parseNumberOption(values.seed, '--seed', 0, { min: 0, max: 0xffffffff, integer: true }),
    json: values.json,
  };
}

/** --split S | none, or --train-until TIME, into a time split (default: the earliest half trains). */
function parseSplit(split: string | undefined, trainUntil: string | undefined): TimeSplit {
  if (trainUntil !== undefined) {
    const text = trainUntil.trim();
    const until = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (!Number.isFinite(until)) throw new CliError(`--train-until must be a time (ISO 8601 such as 2026-01-20T12:00Z, or ms since the epoch), got '${trainUntil}'`);
    return { kind: 'until', until };
  }
  if (split === undefined) return { kind: 'share', share: defaultTrainShare };
  if (split.trim().toLowerCase() === 'none') return { kind: 'none' };
  return { kind: 'share', share: parseNumberOption(split, '--split', defaultTrainShare, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true }) };
}
