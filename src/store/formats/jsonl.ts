// Our own export format: JSON Lines, versioned. The first line is a header naming the format and
// its version; every other line is one decision with its outcome and reward inside it when known:
//   {"format":"paramloop.decisions","version":1,"schemaVersion":2}
//   {"decision":{…Decision},"outcome":{…Outcome},"reward":{"reward":0.61,"violations":[]}}
// Import validates every line against the schemas below (unknown fields are errors, so a typo
// cannot silently drop data) and is all or nothing.
import { z } from 'zod';
import { finishReasons, parameterNames, reasoningEfforts, rolloutPhases, verdicts } from './vocabulary';
import type { LoggedDecision } from '../events';
import { schemaVersion } from '../schema';

export const jsonlFormatName = 'paramloop.decisions';
/** Version of the line format (independent of the database schema version). */
export const jsonlFormatVersion = 1;

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
const armParameters = z.strictObject({
  temperature: finite.optional(),
  topP: finite.optional(),
  topK: finite.optional(),
  maxTokens: finite.optional(),
  frequencyPenalty: finite.optional(),
  presencePenalty: finite.optional(),
  seed: finite.optional(),
  stop: z.array(z.string()).optional(),
  model: z.string().optional(),
  reasoningEffort: z.enum(reasoningEfforts).optional(),
});
const probability = finite.min(0).max(1);

export const decisionSchema = z.strictObject({
  requestId: z.string().min(1),
  timestamp: finite,
  contextFeatures: z.array(finite),
  featureNames: z.array(z.string()),
  contextFingerprint: z.string(),
  armIndex: z.number().int().min(0),
  armId: z.string(),
  params: armParameters,
  propensity: probability,
  probabilities: z.array(probability),
  policyId: z.string(),
  policyVersion: z.number().int(),
  phase: z.enum(rolloutPhases),
  servedBy: z.enum(['learned', 'baseline']),
  baselineArmIndex: z.number().int().min(0),
  shadow: z.strictObject({ armIndex: z.number().int().min(0), propensity: probability, probabilities: z.array(probability) }).optional(),
  honouredParams: z.array(z.enum(parameterNames)).optional(),
  droppedParams: z.array(z.enum(parameterNames)).optional(),
  waivers: z.array(z.string()).optional(),
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
    if (line.decision.armIndex >= line.decision.probabilities.length) {
      context.addIssue({ code: 'custom', path: ['decision', 'armIndex'], message: `is outside probabilities (length ${line.decision.probabilities.length})` });
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

/**
 * Parses and validates a JSONL export. Returns every record, or throws an ImportError listing each
 * problem with its line number and field. `known(requestId)` flags ids that already exist.
 */
export function parseJsonl(text: string, known: (requestId: string) => boolean = () => false): LoggedDecision[] {
  const issues: ImportIssue[] = [];
  const records: LoggedDecision[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = index + 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      issues.push({ line, field: '', message: `not JSON (${error instanceof Error ? error.message : String(error)})` });
      return;
    }
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
      for (const issue of parsed.error.issues) issues.push({ line, field: issue.path.map(String).join('.'), message: issue.message });
      return;
    }
    const id = parsed.data.decision.requestId;
    const earlier = seen.get(id);
    if (earlier !== undefined) issues.push({ line, field: 'decision.requestId', message: `'${id}' already appears on line ${earlier}` });
    else if (known(id)) issues.push({ line, field: 'decision.requestId', message: `'${id}' is already in the store` });
    seen.set(id, line);
    records.push(parsed.data as LoggedDecision);
  });
  if (lines.length === 0) issues.push({ line: 1, field: '', message: 'empty file: no header' });
  if (issues.length > 0) throw new ImportError(issues);
  return records;
}
