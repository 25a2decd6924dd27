// Our own export format: JSON Lines, versioned. The first line is a header naming the format and
// its version; every other line is one decision with its outcome and reward inside it when known:
//   {"format":"paramloop.decisions","version":2,"schemaVersion":3}
//   {"decision":{…Decision},"outcome":{…Outcome},"reward":{"reward":0.61,"violations":[]}}
// Import validates every line against the schemas below (a decision's parameters against
// `recordedArmParametersSchema`, src/core/parameters.ts; unknown fields are errors, so a typo
// cannot silently drop data) and the invariants of a logged choice (src/core/decisionChecks.ts:
// probabilities sum to 1, the propensity is the served arm's probability, …), and is all or
// nothing. Across lines, an arm index names one arm: the same armIndex with two armIds (or one
// armId at two indices) is refused, within the file and against the store imported into.
//
// Versions: 1, the first; 2 adds the optional decision fields `eligibleArms` and `sessionKey`; 3 adds
// `taskType`, `randomStream` and `modelUsed`. An older Paramloop refuses a newer file by its header
// instead of failing on the new fields line by line; this one reads all three.
import { z } from 'zod';
import { checkLoggedChoice } from '../../core/decisionChecks';
import { describeJsonValue, nonFiniteToken, parseJsonLine } from '../../core/jsonLine';
import { recordedArmParametersSchema } from '../../core/parameters';
import { taskTypes } from '../../core/types';
import { finishReasons, parameterNames, rolloutPhases, verdicts } from './vocabulary';
import type { LoggedDecision } from '../events';
import { schemaVersion } from '../schema';

export const jsonlFormatName = 'paramloop.decisions';
/** Version of the line format (independent of the database schema version). */
export const jsonlFormatVersion = 3;

export interface ExportOptions {
  /** Include prompt text when the store holds it (the user opted in). Default false. */
  includePromptText?: boolean;
}

/** Drops what an export must not carry unless asked: prompt text. */
export function forExport(logged: LoggedDecision, options: ExportOptions): LoggedDecision {
  if (options.includePromptText === true || logged.decision.promptText === undefined) return logged;
  const { promptText: _omitted, ...decision } = logged.decision;
  return { ...logged, decision };
}

/** The header line (without newline). */
export function jsonlHeader(): string {
  return JSON.stringify({ format: jsonlFormatName, version: jsonlFormatVersion, schemaVersion });
}

/** Encodes one decision line (without newline). */
export function jsonlLine(logged: LoggedDecision, options: ExportOptions = {}): string {
  const { decision, outcome, reward } = forExport(logged, options);
  return JSON.stringify(outcome === undefined ? { decision } : reward === undefined ? { decision, outcome } : { decision, outcome, reward });
}

/** Every line of a JSONL export (without newlines): the header, then one per decision. */
export function* jsonlLines(records: Iterable<LoggedDecision>, options: ExportOptions = {}): Generator<string> {
  yield jsonlHeader();
  for (const logged of records) yield jsonlLine(logged, options);
}

const finite = z.number().finite();
const probability = finite.min(0).max(1);

/**
 * An array whose every element passes `ok`, checked in one pass: a decision carries a few hundred
 * numbers and names, and `z.array` makes objects per element (about 30 KiB per decision parsed, on
 * every recommendation a client receives and every line imported). Each element that fails is
 * named by its index, as `z.array` would.
 */
function arrayOf<T>(ok: (value: unknown) => value is T, what: string): z.ZodType<T[]> {
  return z
    .custom<unknown[]>((value) => Array.isArray(value), { error: (issue) => `expected an array of ${what}, received ${describeJsonValue(issue.input)}` })
    .superRefine((values, ctx) => {
      for (let i = 0; i < values.length; i++) {
        if (!ok(values[i])) ctx.addIssue({ code: 'custom', message: `must be ${what}, got ${describeJsonValue(values[i])}`, path: [i], input: values[i] });
      }
    }) as unknown as z.ZodType<T[]>;
}
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isProbability = (value: unknown): value is number => isFiniteNumber(value) && value >= 0 && value <= 1;
const isIndex = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isString = (value: unknown): value is string => typeof value === 'string';
const finiteNumbers = arrayOf(isFiniteNumber, 'a finite number');
const probabilities = arrayOf(isProbability, 'a probability (0 to 1)');

export const decisionSchema = z.strictObject({
  requestId: z.string().min(1),
  timestamp: finite,
  contextFeatures: finiteNumbers,
  featureNames: arrayOf(isString, 'a string') as z.ZodType<readonly string[]>,
  contextFingerprint: z.string(),
  armIndex: z.number().int().min(0),
  armId: z.string(),
  params: recordedArmParametersSchema,
  propensity: probability,
  probabilities,
  policyId: z.string(),
  policyVersion: z.number().int(),
  phase: z.enum(rolloutPhases),
  servedBy: z.enum(['learned', 'baseline']),
  baselineArmIndex: z.number().int().min(0),
  shadow: z.strictObject({ armIndex: z.number().int().min(0), propensity: probability, probabilities }).optional(),
  honouredParams: z.array(z.enum(parameterNames)).optional(),
  droppedParams: z.array(z.enum(parameterNames)).optional(),
  waivers: z.array(z.string()).optional(),
  eligibleArms: arrayOf(isIndex, 'an arm index').optional(),
  sessionKey: z.string().min(1).optional(),
  taskType: z.enum(taskTypes).optional(),
  randomStream: z.number().int().min(0).optional(),
  modelUsed: z.string().min(1).optional(),
  promptText: z.string().optional(),
});

export const outcomeSchema = z.strictObject({
  requestId: z.string().min(1),
  timestamp: finite,
  latencyMs: finite.min(0),
  timeToFirstTokenMs: finite.min(0).optional(),
  tokensIn: finite.min(0),
  tokensOut: finite.min(0),
  finishReason: z.enum(finishReasons),
  error: z.string().optional(),
  quality: finite.min(0).max(1),
  verdict: z.enum(verdicts).optional(),
  rating: finite.min(1).max(5).optional(),
  cost: finite.optional(),
  defaulted: z.boolean().optional(),
});

export const rewardSchema = z.strictObject({ reward: finite, violations: z.array(z.string()) });

export const loggedLineSchema = z
  .strictObject({ decision: decisionSchema, outcome: outcomeSchema.optional(), reward: rewardSchema.optional() })
  .superRefine((line, context) => {
    if (line.outcome !== undefined && line.outcome.requestId !== line.decision.requestId) {
      context.addIssue({ code: 'custom', path: ['outcome', 'requestId'], message: `does not match decision.requestId '${line.decision.requestId}'` });
    }
    if (line.reward !== undefined && line.outcome === undefined) {
      context.addIssue({ code: 'custom', path: ['reward'], message: 'a reward needs an outcome' });
    }
    const { decision } = line;
    for (const issue of checkLoggedChoice(decision)) context.addIssue({ code: 'custom', path: ['decision', issue.field], message: issue.message });
    if (decision.shadow !== undefined) {
      // The learned policy's own draw under its own mask: the same invariants, without the logger's mask.
      for (const issue of checkLoggedChoice(decision.shadow)) context.addIssue({ code: 'custom', path: ['decision', 'shadow', issue.field], message: issue.message });
    }
    if (decision.baselineArmIndex >= decision.probabilities.length) {
      context.addIssue({ code: 'custom', path: ['decision', 'baselineArmIndex'], message: `${decision.baselineArmIndex} is outside the ${decision.probabilities.length} arms of probabilities` });
    }
    if (line.decision.featureNames.length !== line.decision.contextFeatures.length) {
      context.addIssue({ code: 'custom', path: ['decision', 'featureNames'], message: 'must have one name per context feature' });
    }
  });

const headerSchema = z.object({ format: z.literal(jsonlFormatName), version: z.number().int().min(1) });

/** One problem found while importing, with the 1-based line it is on. */
export interface ImportIssue {
  line: number;
  /** Dotted path of the offending field, e.g. "decision.propensity"; empty for the whole line. */
  field: string;
  message: string;
}

/** Thrown by `parseJsonl` when any line is invalid; nothing is imported. */
export class ImportError extends Error {
  constructor(readonly issues: readonly ImportIssue[]) {
    const shown = issues.slice(0, 20).map((i) => `line ${i.line}${i.field === '' ? '' : `, ${i.field}`}: ${i.message}`);
    super(`import refused, ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${shown.join('\n')}${issues.length > 20 ? '\n…' : ''}`);
    this.name = 'ImportError';
  }
}

/** What the lines are checked against besides themselves. */
export interface ParseJsonlOptions {
  /**
   * The arms of the log imported into (arm index → its id, e.g. the store's arm catalog): a line
   * naming an arm index with another id, or an id at another index, is refused.
   */
  readonly arms?: ReadonlyMap<number, { readonly armId: string }>;
}

/**
 * Parses and validates a JSONL export. Returns every record, or throws an ImportError listing each
 * problem with its line number and field. `known(requestId)` flags ids that already exist.
 */
export function parseJsonl(text: string, known: (requestId: string) => boolean = () => false, options: ParseJsonlOptions = {}): LoggedDecision[] {
  const issues: ImportIssue[] = [];
  const records: LoggedDecision[] = [];
  const seen = new Map<string, number>();
  const arms = new ArmIdentity(options.arms);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = index + 1;
    const parsedLine = parseJsonLine(raw);
    if (!parsedLine.ok) {
      issues.push({ line, field: '', message: `not JSON (${parsedLine.reason})` });
      return;
    }
    const { value } = parsedLine;
    if (line === 1) {
      const header = headerSchema.safeParse(value);
      if (!header.success) issues.push({ line, field: '', message: `not a ${jsonlFormatName} header` });
      else if (header.data.version > jsonlFormatVersion) {
        issues.push({ line, field: 'version', message: `format version ${header.data.version} is newer than this Paramloop reads (${jsonlFormatVersion})` });
      }
      return;
    }
    const parsed = loggedLineSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push({ line, field: issue.path.map(String).join('.'), message: describeIssue(value, issue) });
      return;
    }
    arms.record(parsed.data.decision.armIndex, parsed.data.decision.armId, line);
    const id = parsed.data.decision.requestId;
    const earlier = seen.get(id);
    if (earlier !== undefined) issues.push({ line, field: 'decision.requestId', message: `'${id}' already appears on line ${earlier}` });
    else if (known(id)) issues.push({ line, field: 'decision.requestId', message: `'${id}' is already in the store` });
    seen.set(id, line);
    records.push(parsed.data as LoggedDecision);
  });
  if (lines.length === 0) issues.push({ line: 1, field: '', message: 'empty file: no header' });
  issues.push(...arms.issues());
  // Stable: the problems of one line stay in the order they were found.
  issues.sort((a, b) => a.line - b.line);
  if (issues.length > 0) throw new ImportError(issues);
  return records;
}

/**
 * A zod issue's message, except for a value that is not a finite number: NaN and ±Infinity written
 * as bare tokens, and numbers beyond the range of a double, are named as such.
 */
function describeIssue(value: unknown, issue: z.core.$ZodIssue): string {
  let at: unknown = value;
  for (const key of issue.path) at = typeof at === 'object' && at !== null ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  if (nonFiniteToken(at) !== undefined || (typeof at === 'number' && !Number.isFinite(at))) return `must be a finite number, got ${describeJsonValue(at)}`;
  return issue.message;
}

/**
 * One arm per index. Every (arm index, arm id) pair is recorded first and judged at the end, so that
 * the lines that disagree with the rest are the ones named: for an index seen with several ids (or
 * an id seen at several indices), the store's arm wins, else the one most lines agree on (the
 * earliest on a tie), and every other line is reported.
 */
class ArmIdentity {
  private readonly idsOfIndex = new Map<number, Map<string, number[]>>();
  private readonly indicesOfId = new Map<string, Map<number, number[]>>();

  constructor(private readonly known: ReadonlyMap<number, { readonly armId: string }> = new Map()) {}

  record(armIndex: number, armId: string, line: number): void {
    push(this.idsOfIndex, armIndex, armId, line);
    push(this.indicesOfId, armId, armIndex, line);
  }

  /** One issue per line whose pair disagrees with the winner, in line order. */
  issues(): ImportIssue[] {
    const knownIndexOf = new Map<string, number>();
    for (const [armIndex, { armId }] of this.known) knownIndexOf.set(armId, armIndex);
    const byLine = new Map<number, ImportIssue>();
    const suffix = ": an arm index names one arm of the log's parameter space";
    for (const [armIndex, ids] of this.idsOfIndex) {
      const stored = this.known.get(armIndex)?.armId;
      const winner = stored ?? majority(ids);
      for (const [armId, lines] of ids) {
        if (armId === winner) continue;
        const where = stored !== undefined ? 'in the store' : elsewhere(winner === undefined ? [] : (ids.get(winner) ?? []));
        for (const line of lines) byLine.set(line, { line, field: 'decision.armIndex', message: `arm ${armIndex} is '${armId}' here, but '${winner}' ${where}${suffix}` });
      }
    }
    // A line already wrong about its index is no evidence about where its id belongs.
    for (const [armId, all] of this.indicesOfId) {
      const indices = new Map<number, number[]>();
      for (const [armIndex, lines] of all) {
        const kept = lines.filter((line) => !byLine.has(line));
        if (kept.length > 0) indices.set(armIndex, kept);
      }
      const stored = knownIndexOf.get(armId);
      const winner = stored ?? majority(indices);
      for (const [armIndex, lines] of indices) {
        if (armIndex === winner) continue;
        const where = stored !== undefined ? 'in the store' : elsewhere(winner === undefined ? [] : (indices.get(winner) ?? []));
        for (const line of lines) byLine.set(line, { line, field: 'decision.armIndex', message: `'${armId}' is arm ${armIndex} here, but arm ${winner} ${where}${suffix}` });
      }
    }
    return [...byLine.values()].sort((a, b) => a.line - b.line);
  }
}

function push<K, V>(map: Map<K, Map<V, number[]>>, key: K, value: V, line: number): void {
  let inner = map.get(key);
  if (inner === undefined) map.set(key, (inner = new Map()));
  const lines = inner.get(value);
  if (lines === undefined) inner.set(value, [line]);
  else lines.push(line);
}

/** The value most lines have (the earliest on a tie). */
function majority<V>(values: ReadonlyMap<V, readonly number[]>): V | undefined {
  let best: V | undefined;
  let bestCount = 0;
  let bestFirst = Number.POSITIVE_INFINITY;
  for (const [value, lines] of values) {
    const first = lines[0] ?? Number.POSITIVE_INFINITY;
    if (lines.length > bestCount || (lines.length === bestCount && first < bestFirst)) {
      best = value;
      bestCount = lines.length;
      bestFirst = first;
    }
  }
  return best;
}

function elsewhere(lines: readonly number[]): string {
  return lines.length === 1 ? `on line ${lines[0]}` : `on ${lines.length} other lines (the first is line ${lines[0]})`;
}
