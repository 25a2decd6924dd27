// Flat CSV export (RFC 4180: comma-separated, CRLF line ends, a field is quoted when it holds a
// comma, quote, CR, LF or leading/trailing space, quotes doubled inside). One row per decision;
// outcome columns are empty when no outcome is known. Columns, in order:
//
//   request_id, timestamp (ms since the epoch), time (ISO 8601 UTC), policy_id, policy_version, phase,
//   served_by, arm_index, arm_id, baseline_arm_index, propensity,
//   probabilities (JSON array, index = arm index),
//   temperature, top_p, top_k, max_tokens, frequency_penalty, presence_penalty, seed, model,
//   reasoning_effort, stop (JSON array)            — the requested parameters, empty when unset: one
//                                                    column per parameter of src/core/parameters.ts,
//                                                    in its order, lists (stop) last,
//   honoured_params, dropped_params (names joined by ';'),
//   context_fingerprint, context_features (JSON object feature name -> value),
//   shadow_arm_index, shadow_propensity, waivers (';'-joined),
//   session_key (the sticky split's traffic key), eligible_arms (';'-joined arm indices the budget
//   allowed; empty when every arm was),
//   prompt_text                                    — only present when prompt text is included,
//   outcome_timestamp, latency_ms, ttft_ms, tokens_in, tokens_out, finish_reason, error, quality,
//   verdict, rating, cost, defaulted (true/false), reward, violations (';'-joined)
import { listParameters, parameterNames } from '../../core/parameters';
import type { LoggedDecision } from '../events';
import type { ExportOptions } from './jsonl';
import { forExport } from './jsonl';

type Cell = string | number | boolean | undefined;

/** The parameters, one column each: single values in declaration order, then lists (JSON arrays). */
const parameterColumns = [...parameterNames.filter((name) => !listParameters.includes(name)), ...listParameters];

/** A parameter's column name: its name in snake_case (`maxTokens` → `max_tokens`). */
function columnName(parameter: string): string {
  return parameter.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

const baseColumns = [
  'request_id', 'timestamp', 'time', 'policy_id', 'policy_version', 'phase', 'served_by', 'arm_index', 'arm_id',
  'baseline_arm_index', 'propensity', 'probabilities', ...parameterColumns.map(columnName), 'honoured_params',
  'dropped_params', 'context_fingerprint', 'context_features', 'shadow_arm_index', 'shadow_propensity', 'waivers',
  'session_key', 'eligible_arms',
];
const outcomeColumns = [
  'outcome_timestamp', 'latency_ms', 'ttft_ms', 'tokens_in', 'tokens_out', 'finish_reason', 'error', 'quality',
  'verdict', 'rating', 'cost', 'defaulted', 'reward', 'violations',
] as const;

/** The header row's column names for the given options. */
export function csvColumns(options: ExportOptions = {}): string[] {
  return [...baseColumns, ...(options.includePromptText === true ? ['prompt_text'] : []), ...outcomeColumns];
}

/** Quotes one field as RFC 4180 requires. */
export function csvField(value: Cell): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function row(cells: readonly Cell[]): string {
  return cells.map(csvField).join(',');
}

/** One data row (without line end). */
export function csvRow(input: LoggedDecision, options: ExportOptions = {}): string {
  const { decision: d, outcome: o, reward } = forExport(input, options);
  const features: Record<string, number> = {};
  d.featureNames.forEach((name, i) => (features[name] = d.contextFeatures[i] ?? Number.NaN));
  const p = d.params;
  const cells: Cell[] = [
    d.requestId, d.timestamp, new Date(d.timestamp).toISOString(), d.policyId, d.policyVersion, d.phase, d.servedBy,
    d.armIndex, d.armId, d.baselineArmIndex, d.propensity, JSON.stringify(d.probabilities),
    ...parameterColumns.map((name) => {
      const value = p[name];
      return Array.isArray(value) ? JSON.stringify(value) : value;
    }),
    d.honouredParams?.join(';'), d.droppedParams?.join(';'),
    d.contextFingerprint, JSON.stringify(features), d.shadow?.armIndex, d.shadow?.propensity, d.waivers?.join(';'),
    d.sessionKey, d.eligibleArms?.join(';'),
  ];
  if (options.includePromptText === true) cells.push(d.promptText);
  cells.push(
    o?.timestamp, o?.latencyMs, o?.timeToFirstTokenMs, o?.tokensIn, o?.tokensOut, o?.finishReason, o?.error, o?.quality,
    o?.verdict, o?.rating, o?.cost, o?.defaulted, reward?.reward, reward?.violations.join(';'),
  );
  return row(cells);
}

/** Every line of a CSV export (without line ends): the header row, then one row per decision. */
export function* csvLines(records: Iterable<LoggedDecision>, options: ExportOptions = {}): Generator<string> {
  yield row(csvColumns(options));
  for (const logged of records) yield csvRow(logged, options);
}

/** Line terminator of the CSV export (RFC 4180). */
export const csvLineEnd = '\r\n';
