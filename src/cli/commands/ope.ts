// `paramloop ope`: off-policy evaluation of a candidate policy on logged rounds (src/core/ope).
// An obp file is streamed line by line into typed arrays, so a million rounds need little more
// memory than the arrays themselves; a native decision log (small by nature: tens of requests a
// day) is read whole and validated by the store's export schema (./opeNative.ts). Everything is
// read and checked before anything is printed: on bad input stdout stays empty and the error
// names the line and the field.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { parseArgs } from 'node:util';
import { createRng } from '../../core/random';
import { bootstrapIntervals, type BootstrapInterval } from '../../core/ope/bootstrap';
import { defaultEstimatorParams, estimatorNames, type EstimatorName, type EstimatorParams } from '../../core/ope/estimators';
import { evaluateCandidate, type Evaluation } from '../../core/ope/evaluate';
import type { LoggedRounds } from '../../core/ope/loggedRounds';
import { ObpFormatError, ObpRoundsReader } from '../../core/ope/obpFormat';
import { buildReplayTerms, deterministicCandidateActions, replayEstimators, replayEvaluation, type ReplayResult } from '../../core/ope/replay';
import { CliError, type CliCommand } from '../io';
import { readNativeInput, type NativeInput } from './opeNative';

/** Default number of bootstrap resamples: enough for stable 95% percentile bounds, O(B·n) time. */
export const defaultBootstrapResamples = 1000;

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

const help = `usage: paramloop ope --input FILE [options]

Estimates the value of a candidate policy from logged bandit rounds.

input:
  --input FILE          the logged rounds (JSONL)
  --format obp|native   obp: one round per line, {"action": int, "reward": number, "pscore": number,
                        "action_dist": [K numbers], "estimated_rewards": [K numbers]} — action_dist is the
                        candidate's distribution over all K actions, estimated_rewards the reward model's
                        predictions (Open Bandit Pipeline's inputs). native: a decision log written by
                        'paramloop export --format jsonl', with --policy; the candidate's probabilities
                        come from the policy, the reward model is fitted on the log. Default: obp when
                        the first line has "pscore" or "action_dist", else native.
  --policy SNAPSHOT     the candidate policy snapshot, JSON (native format only): a policy snapshot, or
                        {"snapshot", "settings"?, "actionFeatures"? (shared feature map), "baseline"?}
  --ridge-lambda R      native format: ridge penalty of the reward model on φ(x, a) (default 1)
  --folds F             native format: cross-fitting folds of the reward model (default 5; 1: fit once)

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
  --alpha A             intervals have nominal coverage 1 − A (default 0.05)
  --seed S              seed of the resampling (default 0): the same seed gives the same intervals

output:
  --json                one JSON object: {"n", "ess", "estimators": {name: {"estimate", "ci": [lo, hi]}},
                        "diagnostics"}; an undefined number (e.g. SNIPS with every weight 0) is null
  --help                this text

DM and DR intervals treat the reward model as fixed: they do not include its fitting error.`;

interface OpeOptions {
  input: string;
  format: 'obp' | 'native' | undefined;
  policy: string | undefined;
  ridgeLambda: number;
  folds: number;
  estimators: EstimatorName[];
  replay: boolean;
  params: EstimatorParams;
  resamples: number;
  alpha: number;
  seed: number;
  json: boolean;
}

export const opeCommand: CliCommand = {
  summary: 'off-policy evaluation: IPS, SNIPS, DM, DR, SNDR, SwitchDR, DRos with bootstrap intervals',
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        input: { type: 'string' },
        format: { type: 'string' },
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
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.stdout(`${help}\n`);
      return 0;
    }
    const options = parseOptions(values);
    const format = options.format ?? (await detectFormat(options.input));
    let rounds: LoggedRounds;
    let native: NativeInput | undefined;
    if (format === 'native') {
      native = await readNativeInput(options.input, options.policy, { ridgeLambda: options.ridgeLambda, folds: options.folds, seed: options.seed });
      rounds = native.rounds;
    } else {
      if (options.policy !== undefined) throw new CliError('--policy applies to the native format only; in the obp format the candidate is the action_dist of each line');
      rounds = await readObpFile(options.input);
    }
    const report = { ...evaluate(rounds, options), ...(native ? { native } : {}) };
    io.stdout(options.json ? `${JSON.stringify(toJson(report, options, format))}\n` : renderTable(report, options, format));
    return 0;
  },
};

interface ReplayReport {
  result: ReplayResult;
  interval?: BootstrapInterval;
  weightedInterval?: BootstrapInterval;
}

interface Report {
  evaluation: Evaluation;
  replay?: ReplayReport;
  native?: NativeInput;
}

function evaluate(rounds: LoggedRounds, options: OpeOptions): Report {
  const bootstrap = options.resamples > 0 ? { resamples: options.resamples, alpha: options.alpha, rng: createRng(options.seed) } : undefined;
  const evaluation = evaluateCandidate(rounds, { estimators: options.estimators, params: options.params, ...(bootstrap ? { bootstrap } : {}) });
  if (!options.replay) return { evaluation };
  const candidate = deterministicCandidateActions(rounds);
  if (candidate === undefined) throw new CliError('replay needs a deterministic candidate (an action with probability 1 in every action_dist)', 1);
  const result = replayEvaluation(rounds, candidate);
  if (options.resamples === 0) return { evaluation, replay: { result } };
  // The same seed draws the same resamples as the other estimators (same n).
  const [interval, weightedInterval] = bootstrapIntervals(buildReplayTerms(rounds, candidate), replayEstimators, { resamples: options.resamples, alpha: options.alpha, rng: createRng(options.seed) });
  return { evaluation, replay: { result, ...(interval ? { interval } : {}), ...(weightedInterval ? { weightedInterval } : {}) } };
}

function parseOptions(values: Record<string, string | boolean | undefined>): OpeOptions {
  const input = values['input'];
  if (typeof input !== 'string' || input === '') throw new CliError('--input FILE is required (see --help)');
  const format = values['format'];
  if (format !== undefined && format !== 'obp' && format !== 'native') throw new CliError(`--format must be obp or native, got '${String(format)}'`);
  const policy = values['policy'];
  const estimatorList = typeof values['estimators'] === 'string' ? values['estimators'] : estimatorNames.join(',');
  const estimators: EstimatorName[] = [];
  let replay = false;
  for (const raw of estimatorList.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === '') continue;
    const canonical = estimatorAliases[name];
    if (canonical === undefined) throw new CliError(`--estimators: unknown estimator '${raw.trim()}' (known: ${[...estimatorNames, 'replay'].join(', ')})`);
    if (canonical === 'replay') replay = true;
    else if (!estimators.includes(canonical)) estimators.push(canonical);
  }
  if (estimators.length === 0 && !replay) throw new CliError('--estimators: the list is empty');
  const params: EstimatorParams = {
    clip: parseNumber(values['clip'], '--clip', defaultEstimatorParams.clip, { min: 0, allowInfinity: true }),
    switchTau: parseNumber(values['switch-tau'], '--switch-tau', defaultEstimatorParams.switchTau, { min: 0, allowInfinity: true }),
    drosLambda: parseNumber(values['dros-lambda'], '--dros-lambda', defaultEstimatorParams.drosLambda, { min: 0, allowInfinity: true }),
  };
  const resamples = parseNumber(values['bootstrap'], '--bootstrap', defaultBootstrapResamples, { min: 0, integer: true });
  const alpha = parseNumber(values['alpha'], '--alpha', 0.05, { min: 0 });
  if (!(alpha > 0 && alpha < 1)) throw new CliError(`--alpha must be in (0, 1), got ${alpha}`);
  const seed = parseNumber(values['seed'], '--seed', 0, { min: 0, integer: true });
  const ridgeLambda = parseNumber(values['ridge-lambda'], '--ridge-lambda', 1, { min: 0 });
  if (!(ridgeLambda > 0)) throw new CliError(`--ridge-lambda must be positive, got ${ridgeLambda}`);
  const folds = parseNumber(values['folds'], '--folds', 5, { min: 1, integer: true });
  if (seed > 0xffffffff) throw new CliError(`--seed must be at most ${0xffffffff}, got ${seed}`);
  return {
    input,
    format,
    policy: typeof policy === 'string' ? policy : undefined,
    ridgeLambda,
    folds,
    estimators,
    replay,
    params,
    resamples,
    alpha,
    seed,
    json: values['json'] === true,
  };
}

function parseNumber(raw: string | boolean | undefined, flag: string, fallback: number, rules: { min: number; integer?: boolean; allowInfinity?: boolean }): number {
  if (raw === undefined) return fallback;
  const text = String(raw).trim().toLowerCase();
  const value = rules.allowInfinity && (text === 'inf' || text === 'infinity' || text === 'none') ? Number.POSITIVE_INFINITY : Number(text);
  if (text === '' || Number.isNaN(value) || (!rules.allowInfinity && !Number.isFinite(value))) throw new CliError(`${flag} must be a number, got '${String(raw)}'`);
  if (rules.integer && !Number.isInteger(value)) throw new CliError(`${flag} must be an integer, got '${String(raw)}'`);
  if (value < rules.min) throw new CliError(`${flag} must be at least ${rules.min}, got '${String(raw)}'`);
  return value;
}

/** obp when the first non-blank line names an obp key; native otherwise. */
async function detectFormat(path: string): Promise<'obp' | 'native'> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, 1);
  }
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.toString('utf8', 0, bytesRead);
    const firstLine = head.split('\n').find((line) => line.trim() !== '') ?? '';
    return /"(pscore|action_dist)"\s*:/.test(firstLine) || firstLine.length === 0 ? 'obp' : 'native';
  } finally {
    await handle.close();
  }
}

/** Streams an obp JSONL file into typed arrays; format errors become CliErrors naming file, line and field. */
export async function readObpFile(path: string): Promise<LoggedRounds> {
  const reader = new ObpRoundsReader();
  try {
    await forEachLine(path, (line, number) => reader.addLine(line, number));
    return reader.finish();
  } catch (error) {
    if (error instanceof ObpFormatError) throw new CliError(error.line > 0 ? `${path}, ${error.message}` : `${path}: ${error.reason}`, 1);
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, 1);
  }
}

/** Calls `onLine` for each line of a UTF-8 file (without its line ending), numbering from 1. */
async function forEachLine(path: string, onLine: (line: string, lineNumber: number) => void): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lineNumber = 0;
  const stream = createReadStream(path, { highWaterMark: 4 * 1024 * 1024 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = pending + decoder.write(chunk);
    let start = 0;
    let newline = text.indexOf('\n', start);
    // A byte-order mark some editors write is not part of the first line's JSON.
    if (lineNumber === 0 && start === 0 && text.charCodeAt(0) === 0xfeff) start = 1;
    while (newline >= 0) {
      lineNumber++;
      onLine(stripCarriageReturn(text.slice(start, newline)), lineNumber);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    pending = text.slice(start);
  }
  const rest = pending + decoder.end();
  if (rest !== '') onLine(stripCarriageReturn(rest), lineNumber + 1);
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function intervalJson(interval: BootstrapInterval | undefined): [number, number] | null {
  return interval === undefined ? null : [interval.lower, interval.upper];
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function toJson(report: Report, options: OpeOptions, format: string): Record<string, unknown> {
  const { evaluation, replay } = report;
  const estimators: Record<string, unknown> = {};
  const undefinedReplicates: Record<string, number> = {};
  for (const result of evaluation.results) {
    estimators[result.name] = { estimate: finiteOrNull(result.estimate), ci: intervalJson(result.interval) };
    if (result.interval && result.interval.undefinedReplicates > 0) undefinedReplicates[result.name] = result.interval.undefinedReplicates;
  }
  if (replay) {
    estimators['replay'] = {
      estimate: finiteOrNull(replay.result.estimate),
      ci: intervalJson(replay.interval),
      matches: replay.result.matches,
      logging_uniform: replay.result.loggingUniform,
      weighted_estimate: finiteOrNull(replay.result.weightedEstimate),
      weighted_ci: intervalJson(replay.weightedInterval),
    };
  }
  const { diagnostics } = evaluation;
  return {
    n: evaluation.n,
    ess: diagnostics.effectiveSampleSize,
    estimators,
    diagnostics: {
      format,
      k: evaluation.k,
      max_weight: finiteOrNull(diagnostics.maxWeight),
      mean_weight: finiteOrNull(diagnostics.meanWeight),
      zero_weight_share: finiteOrNull(diagnostics.zeroWeightShare),
      params: { clip: finiteOrNull(options.params.clip), switch_tau: finiteOrNull(options.params.switchTau), dros_lambda: finiteOrNull(options.params.drosLambda) },
      bootstrap: options.resamples > 0 ? { method: 'percentile', resamples: options.resamples, alpha: options.alpha, seed: options.seed } : null,
      ...(Object.keys(undefinedReplicates).length > 0 ? { undefined_replicates: undefinedReplicates } : {}),
      ...(report.native
        ? {
            native: {
              policy_kind: report.native.policyKind,
              skipped_without_reward: report.native.skippedWithoutReward,
              candidate_mass_off_support: finiteOrNull(report.native.candidateMassOffSupport),
              reward_model: { ridge_lambda: options.ridgeLambda, folds: Math.min(options.folds, evaluation.n) },
            },
          }
        : {}),
    },
  };
}

function formatNumber(value: number, digits = 6): string {
  return Number.isFinite(value) ? value.toFixed(digits) : Number.isNaN(value) ? 'undefined' : String(value);
}

function renderTable(report: Report, options: OpeOptions, format: string): string {
  const { evaluation, replay } = report;
  const { diagnostics } = evaluation;
  const level = `${Number(((1 - options.alpha) * 100).toFixed(4))}% CI`;
  const lines: string[] = [];
  lines.push(`${evaluation.n} rounds, K = ${evaluation.k} (${format} input)`);
  lines.push(
    `importance weights: ESS ${diagnostics.effectiveSampleSize.toFixed(1)} (${((100 * diagnostics.effectiveSampleSize) / evaluation.n).toFixed(1)}% of n), ` +
      `max ${formatNumber(diagnostics.maxWeight, 3)}, mean ${formatNumber(diagnostics.meanWeight, 3)}, weight 0 in ${(100 * diagnostics.zeroWeightShare).toFixed(1)}% of rounds`,
  );
  if (report.native) {
    const { native } = report;
    lines.push(
      `candidate ${native.policyKind}: ${(100 * native.candidateMassOffSupport).toFixed(1)}% of its probability on arms the logs never serve; ` +
        `reward model ridge λ = ${options.ridgeLambda}, ${Math.min(options.folds, evaluation.n)} fold${Math.min(options.folds, evaluation.n) === 1 ? '' : 's'}` +
        (native.skippedWithoutReward > 0 ? `; ${native.skippedWithoutReward} decisions without a reward left out` : ''),
    );
  }
  lines.push('');
  const rows: [string, string, string][] = [['estimator', 'estimate', options.resamples > 0 ? level : '']];
  const interval = (i: BootstrapInterval | undefined): string => (i === undefined ? '' : `[${formatNumber(i.lower)}, ${formatNumber(i.upper)}]`);
  for (const result of evaluation.results) rows.push([result.name, formatNumber(result.estimate), interval(result.interval)]);
  if (replay) {
    rows.push([`replay (${replay.result.matches} matches)`, formatNumber(replay.result.estimate), interval(replay.interval)]);
    rows.push(['replay, weighted', formatNumber(replay.result.weightedEstimate), interval(replay.weightedInterval)]);
  }
  const width = Math.max(...rows.map((row) => row[0].length)) + 2;
  for (const [name, estimate, ci] of rows) lines.push(`${name.padEnd(width)}${estimate.padEnd(12)}${ci}`.trimEnd());
  lines.push('');
  const p = options.params;
  const show = (v: number): string => (v === Number.POSITIVE_INFINITY ? '∞' : String(v));
  lines.push(`clip ${p.clip === Number.POSITIVE_INFINITY ? 'none' : show(p.clip)} (IPS, DR), τ = ${show(p.switchTau)} (SwitchDR), λ = ${show(p.drosLambda)} (DRos)`);
  if (options.resamples > 0) lines.push(`percentile bootstrap, B = ${options.resamples}, seed ${options.seed}`);
  const notes: string[] = [];
  if (options.estimators.includes('switch_dr') && p.switchTau === Number.POSITIVE_INFINITY) notes.push('switch_dr with τ = ∞ is DR without clipping');
  if (options.estimators.includes('dros') && p.drosLambda === 0) notes.push('dros with λ = 0 is DM');
  if (replay && !replay.result.loggingUniform) notes.push('logging was not uniform: plain replay is biased, prefer the weighted replay');
  for (const note of notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

