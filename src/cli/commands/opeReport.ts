// What `paramloop ope` computes from the rounds and how it prints it: the estimators with their
// bootstrap intervals (whole sessions resampled when the rounds have them), replay when asked, the
// weight diagnostics, and warnings in words (an effective sample size too small to decide on).
import { bootstrapIntervals, type BootstrapInterval } from '../../core/ope/bootstrap';
import { evaluateCandidate, type Evaluation } from '../../core/ope/evaluate';
import type { LoggedRounds } from '../../core/ope/loggedRounds';
import { buildReplayTerms, deterministicCandidateActions, replayEstimators, replayEvaluation, type ReplayResult } from '../../core/ope/replay';
import { centredTerms } from '../../core/ope/termTable';
import { createRng } from '../../core/math/random';
import { CliError } from '../io';
import type { NativeInput } from './opeNative';
import type { OpeOptions } from './opeOptions';

interface ReplayReport {
  result: ReplayResult;
  interval?: BootstrapInterval;
  weightedInterval?: BootstrapInterval;
}

/** Everything `ope` reports. */
export interface OpeReport {
  readonly evaluation: Evaluation;
  readonly replay?: ReplayReport;
  readonly native?: NativeInput;
  readonly format: 'obp' | 'native';
  /** Below this effective sample size the estimates rest on too few rounds to decide anything. */
  readonly essThreshold: number;
  readonly warnings: readonly string[];
}

/**
 * The effective sample size below which `ope` warns: max(10, 1% of the rounds). Below 10 a few
 * rounds carry the whole estimate whatever n is; at large n, 1% still means the candidate is
 * supported by a sliver of the log (3.9 of 3,000 rounds passed silently before this warning).
 */
export function essThreshold(n: number): number {
  return Math.max(10, 0.01 * n);
}

/** Evaluates the rounds as the options say; `native` carries the sessions and the candidate's story. */
export function evaluateRounds(rounds: LoggedRounds, options: OpeOptions, format: 'obp' | 'native', native?: NativeInput): OpeReport {
  const clusters = native?.clusters;
  const bootstrap = options.resamples > 0 ? { resamples: options.resamples, alpha: options.alpha, rng: createRng(options.seed), ...(clusters ? { clusters } : {}) } : undefined;
  const evaluation = evaluateCandidate(rounds, { estimators: options.estimators, params: options.params, ...(bootstrap ? { bootstrap } : {}) });
  const threshold = essThreshold(evaluation.n);
  const warnings: string[] = [];
  const ess = evaluation.diagnostics.effectiveSampleSize;
  if (ess < threshold) {
    warnings.push(
      evaluation.n < threshold
        ? `Only ${plural(evaluation.n, 'round')} (effective sample size ${ess.toFixed(1)}, below ${formatThreshold(threshold)}): too little evidence to decide.`
        : `The effective sample size is ${ess.toFixed(1)} of ${evaluation.n} rounds, below ${formatThreshold(threshold)} (max(10, 1% of the rounds)): ` +
            'a few rounds carry the whole estimate, because the candidate seldom chooses what the logger chose, or chooses it where the logger rarely did. ' +
            'Too little evidence to decide; log more data with exploration the candidate can use.',
    );
  }
  if (native?.candidate.kind === 'trained' && native.candidate.split.kind === 'none') {
    warnings.push('The candidate learned from the same decisions it is scored on (--split none): the estimates flatter it.');
  }
  const report = { evaluation, format, essThreshold: threshold, warnings, ...(native ? { native } : {}) };
  if (!options.replay) return report;
  const candidate = deterministicCandidateActions(rounds);
  if (candidate === undefined) throw new CliError('replay needs a deterministic candidate (probability 1 on one action in every round: in obp input, an action_dist with a 1)', 1);
  const result = replayEvaluation(rounds, candidate);
  if (options.resamples === 0) return { ...report, replay: { result } };
  // The same seed draws the same resamples as the other estimators (same rounds, same clusters).
  const centred = centredTerms(buildReplayTerms(rounds, candidate), replayEstimators, { inPlace: true });
  const [interval, weightedInterval] = bootstrapIntervals(centred.table, centred.estimators, { resamples: options.resamples, alpha: options.alpha, rng: createRng(options.seed), ...(clusters ? { clusters } : {}) });
  return { ...report, replay: { result, ...(interval ? { interval } : {}), ...(weightedInterval ? { weightedInterval } : {}) } };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function formatThreshold(threshold: number): string {
  return Number.isInteger(threshold) ? String(threshold) : threshold.toFixed(1);
}

function intervalJson(interval: BootstrapInterval | undefined): [number, number] | null {
  return interval === undefined ? null : [interval.lower, interval.upper];
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** The --json object. */
export function reportJson(report: OpeReport, options: OpeOptions): Record<string, unknown> {
  const { evaluation, replay, native } = report;
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
      format: report.format,
      source: options.source.kind,
      k: evaluation.k,
      max_weight: finiteOrNull(diagnostics.maxWeight),
      mean_weight: finiteOrNull(diagnostics.meanWeight),
      zero_weight_share: finiteOrNull(diagnostics.zeroWeightShare),
      ess_threshold: report.essThreshold,
      ess_too_small: diagnostics.effectiveSampleSize < report.essThreshold,
      params: { clip: finiteOrNull(options.params.clip), switch_tau: finiteOrNull(options.params.switchTau), dros_lambda: finiteOrNull(options.params.drosLambda) },
      bootstrap:
        options.resamples > 0
          ? { method: 'percentile', resamples: options.resamples, alpha: options.alpha, seed: options.seed, resampled: native?.sessions !== undefined ? 'sessions' : 'rounds', ...(native?.sessions !== undefined ? { sessions: native.sessions } : {}) }
          : null,
      ...(Object.keys(undefinedReplicates).length > 0 ? { undefined_replicates: undefinedReplicates } : {}),
      ...(native ? { native: nativeJson(native, options, evaluation.n) } : {}),
    },
    warnings: report.warnings,
  };
}

function nativeJson(native: NativeInput, options: OpeOptions, n: number): Record<string, unknown> {
  const { candidate } = native;
  return {
    policy_kind: native.policyKind,
    candidate:
      candidate.kind === 'snapshot'
        ? { kind: 'snapshot', path: candidate.path }
        : {
            kind: candidate.from === 'current' ? 'current' : 'settings',
            ...(candidate.from === 'current' ? {} : { path: candidate.from }),
            split: candidate.split.kind === 'share' ? candidate.split.share : candidate.split.kind === 'until' ? { until: new Date(candidate.split.until).toISOString() } : 'none',
            trained_on: candidate.trainRows,
            trained_until: candidate.trainedUntil === undefined ? null : new Date(candidate.trainedUntil).toISOString(),
          },
    scored: n,
    skipped_without_reward: native.skippedWithoutReward,
    candidate_mass_off_support: finiteOrNull(native.candidateMassOffSupport),
    reward_model: { ridge_lambda: options.ridgeLambda, folds: Math.min(options.folds, n) },
  };
}

function formatNumber(value: number, digits = 6): string {
  return Number.isFinite(value) ? value.toFixed(digits) : Number.isNaN(value) ? 'undefined' : String(value);
}

/** The text report. */
export function reportText(report: OpeReport, options: OpeOptions): string {
  const { evaluation, replay, native } = report;
  const { diagnostics } = evaluation;
  const level = `${Number(((1 - options.alpha) * 100).toFixed(4))}% CI`;
  const lines: string[] = [];
  lines.push(`${evaluation.n} rounds, K = ${evaluation.k} (${report.format} input${options.source.kind === 'db' ? ` from the store in ${options.source.dir}` : ''})`);
  if (native) lines.push(...nativeLines(native, options, evaluation.n));
  lines.push(
    `importance weights: ESS ${diagnostics.effectiveSampleSize.toFixed(1)} (${((100 * diagnostics.effectiveSampleSize) / evaluation.n).toFixed(1)}% of n), ` +
      `max ${formatNumber(diagnostics.maxWeight, 3)}, mean ${formatNumber(diagnostics.meanWeight, 3)}, weight 0 in ${(100 * diagnostics.zeroWeightShare).toFixed(1)}% of rounds`,
  );
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
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
  if (options.resamples > 0) {
    const unit = native?.sessions !== undefined ? `, whole sessions resampled (${native.sessions} sessions)` : '';
    lines.push(`percentile bootstrap, B = ${options.resamples}, seed ${options.seed}${unit}`);
  }
  const notes: string[] = [];
  if (options.estimators.includes('switch_dr') && p.switchTau === Number.POSITIVE_INFINITY) notes.push('switch_dr with τ = ∞ is DR without clipping');
  if (options.estimators.includes('dros') && p.drosLambda === 0) notes.push('dros with λ = 0 is DM');
  if (replay && !replay.result.loggingUniform) notes.push('logging was not uniform: plain replay is biased, prefer the weighted replay');
  for (const note of notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

function nativeLines(native: NativeInput, options: OpeOptions, n: number): string[] {
  const { candidate } = native;
  const lines: string[] = [];
  if (candidate.kind === 'snapshot') {
    lines.push(`candidate: the ${native.policyKind} snapshot ${candidate.path}, scored on every decision with a reward`);
  } else {
    const who = candidate.from === 'current' ? `the log's learned policy (${native.policyKind}, default settings)` : `${native.policyKind} with the settings of ${candidate.from}`;
    const until = candidate.trainedUntil === undefined ? '' : `, logged until ${new Date(candidate.trainedUntil).toISOString()}`;
    const scoredOn = candidate.split.kind === 'none' ? 'scored on the same decisions' : n === 1 ? 'scored on the one later decision' : `scored on the ${n} later ones`;
    lines.push(`candidate: ${who}, trained on ${plural(candidate.trainRows, 'decision')}${until}; ${scoredOn}`);
  }
  const folds = Math.min(options.folds, n);
  lines.push(
    `support: ${(100 * native.candidateMassOffSupport).toFixed(1)}% of the candidate's probability on arms the logger could not serve; ` +
      `reward model ridge λ = ${options.ridgeLambda}, ${folds} fold${folds === 1 ? '' : 's'}` +
      (native.skippedWithoutReward > 0 ? `; ${plural(native.skippedWithoutReward, 'decision')} without a reward left out` : ''),
  );
  return lines;
}
