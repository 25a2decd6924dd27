/**
 * What each provider and model does with each parameter (ARCHITECTURE.md §"LLM providers"): a
 * built-in table matched by model-name pattern, a user setting that extends or overrides it, and
 * what was learned live (a model that rejected a parameter is never sent it again). `mapArm` turns
 * an arm into the port's `RequestMapping` under all three.
 *
 * Matching: every entry whose provider, server or vendor (when the entry names one) and model
 * pattern match applies; for each parameter the most specific entry that says anything about it wins
 * (a longer literal pattern is more specific, an entry naming a server or vendor more still; on a tie
 * the later entry wins, so a user's entry beats a built-in one). The table is constraintTable.ts.
 */
import { z } from 'zod';
import { parameterNames, reasoningEfforts, type ArmParameters, type NumericParameter, type ParameterName, type ReasoningEffort } from '../core/parameters';
import { builtInConstraints, serverKinds, type ConstraintEntry, type ServerKind, type ValueConstraint } from './constraintTable';
import { providerIds, type ProviderId, type RequestMapping } from './provider';

export { builtInConstraints, serverKinds, type ConstraintEntry, type ServerKind, type ValueConstraint };

/** What applies to one model, all matching entries (and what was learned) folded together. */
export interface ResolvedConstraints {
  /** Per parameter: honoured, or dropped because the model ignores or rejects it. */
  status: Record<ParameterName, 'honoured' | 'ignored' | 'rejected'>;
  /** Which entry decided each parameter's status (its pattern), or `learned`. */
  because: Partial<Record<ParameterName, string>>;
  renamed: Partial<Record<ParameterName, string>>;
  values: Partial<Record<NumericParameter, ValueConstraint>>;
  exclusive: Array<[ParameterName, ParameterName]>;
  reasoningEfforts?: ReasoningEffort[];
  defaultMaxTokens?: number;
  inputWindow?: number;
}

/** A problem with the user's constraints setting, naming the entry and the field. */
export class ModelConstraintsError extends Error {
  override readonly name = 'ModelConstraintsError';
}

const parameterNameSchema = z.enum(parameterNames as [ParameterName, ...ParameterName[]]);
const numericNames = ['temperature', 'topP', 'topK', 'maxTokens', 'frequencyPenalty', 'presencePenalty'] as const satisfies readonly NumericParameter[];
const valueConstraintSchema = z
  .strictObject({ min: z.number().finite().optional(), max: z.number().finite().optional(), only: z.array(z.number().finite()).min(1).optional() })
  .refine((v) => v.min === undefined || v.max === undefined || v.min <= v.max, { message: 'min must not exceed max' });

/** One entry of the `paramloop.modelConstraints` setting; unknown fields are errors. */
export const constraintEntrySchema = z
  .strictObject({
    provider: z.enum(providerIds),
    model: z.string().min(1),
    server: z.enum(serverKinds).optional(),
    vendor: z.string().min(1).optional(),
    honoured: z.array(parameterNameSchema).optional(),
    ignored: z.array(parameterNameSchema).optional(),
    rejected: z.array(parameterNameSchema).optional(),
    renamed: z.partialRecord(parameterNameSchema, z.string().min(1)).optional(),
    values: z.partialRecord(z.enum(numericNames), valueConstraintSchema).optional(),
    exclusive: z.array(z.tuple([parameterNameSchema, parameterNameSchema])).optional(),
    reasoningEfforts: z.array(z.enum(reasoningEfforts)).optional(),
    defaultMaxTokens: z.number().int().min(1).optional(),
    inputWindow: z.number().int().min(1).optional(),
  })
  .refine((entry) => entry.vendor === undefined || entry.provider === 'vscode-lm', {
    message: 'vendor applies to vscode-lm entries only (a VS Code chat model vendor such as "copilot")',
    path: ['vendor'],
  })
  .refine((entry) => entry.server === undefined || entry.provider === 'openai-compatible', {
    message: 'server applies to openai-compatible entries only',
    path: ['server'],
  }) satisfies z.ZodType<ConstraintEntry>;

/**
 * Parses the user's constraint entries (a JSON text or the parsed value): a list of entries as
 * `ConstraintEntry` says. Throws a `ModelConstraintsError` naming the entry and the field, e.g.
 * `paramloop.modelConstraints[1].values.temperature.max: expected number, received string`.
 */
export function parseModelConstraints(json: unknown, where: string): ConstraintEntry[] {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new ModelConstraintsError(`${where}: not JSON (${(error as Error).message})`);
    }
  }
  const parsed = z.array(constraintEntrySchema).safeParse(value);
  if (parsed.success) return parsed.data;
  const messages = parsed.error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const entry = typeof issue.path[0] === 'number' ? (value as Array<{ model?: unknown }>)[issue.path[0]] : undefined;
    const named = entry && typeof entry.model === 'string' ? ` (model "${entry.model}")` : '';
    return `${where}${path}${named}: ${issue.message}`;
  });
  throw new ModelConstraintsError(messages.join('; '));
}

/** The OpenAI-compatible server behind a base URL, when its address says (default ports, hosts). */
export function serverKindFromBaseUrl(baseUrl: string): ServerKind | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  const host = url.hostname.toLowerCase();
  if (host === 'api.openai.com') return 'openai';
  if (host.includes('ollama') || url.port === '11434') return 'ollama';
  if (url.port === '1234') return 'lmstudio';
  if (url.port === '8000') return 'vllm';
  if (url.port === '8080') return 'llama.cpp';
  return undefined;
}

function patternMatches(pattern: string, model: string): boolean {
  const source = pattern
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(model.toLowerCase());
}

function specificity(entry: ConstraintEntry): number {
  return (entry.server || entry.vendor ? 10_000 : 0) + entry.model.replaceAll('*', '').length;
}

/** Where a model runs, beyond its provider: what entries naming a server or a vendor match. */
export interface ConstraintScope {
  /** The OpenAI-compatible server (from the base URL), when known. */
  server?: ServerKind;
  /** The VS Code chat model's vendor (vscode-lm), when known; unknown matches no vendor's entries. */
  vendor?: string;
}

/**
 * The constraint table in force: the built-in entries, the user's, and what was learned live per
 * (provider, model). One instance is shared by the providers of a window so a lesson is kept.
 */
export class ModelConstraints {
  private readonly entries: ConstraintEntry[];
  private readonly learned = new Map<string, Set<ParameterName>>();
  private readonly learnedExclusive = new Map<string, Array<[ParameterName, ParameterName]>>();
  private readonly learnedRenamed = new Map<string, Partial<Record<ParameterName, string>>>();

  /** `userEntries` extend the built-in table and win over it at equal specificity. */
  constructor(userEntries: readonly ConstraintEntry[] = [], base: readonly ConstraintEntry[] = builtInConstraints) {
    this.entries = [...base, ...userEntries];
  }

  /**
   * Records that `model` rejected `param` (a live 400); it will not be sent to that model again.
   * Returns false when it was already known.
   */
  markUnsupported(provider: ProviderId, model: string, param: ParameterName): boolean {
    const key = `${provider}\u0000${model}`;
    const set = this.learned.get(key) ?? new Set<ParameterName>();
    this.learned.set(key, set);
    if (set.has(param)) return false;
    set.add(param);
    return true;
  }

  /**
   * Records that `model` wants `param` under another wire name (OpenAI: "Use 'max_completion_tokens'
   * instead"). Returns false when it was already known.
   */
  markRenamed(provider: ProviderId, model: string, param: ParameterName, wire: string): boolean {
    const key = `${provider}\u0000${model}`;
    const renamed = this.learnedRenamed.get(key) ?? {};
    this.learnedRenamed.set(key, renamed);
    if (renamed[param] === wire) return false;
    renamed[param] = wire;
    return true;
  }

  /** Records that `model` refuses `keep` and `drop` together; `drop` will be dropped when both are set. */
  markExclusive(provider: ProviderId, model: string, keep: ParameterName, drop: ParameterName): boolean {
    const key = `${provider}\u0000${model}`;
    const pairs = this.learnedExclusive.get(key) ?? [];
    this.learnedExclusive.set(key, pairs);
    if (pairs.some(([a, b]) => (a === keep && b === drop) || (a === drop && b === keep))) return false;
    pairs.push([keep, drop]);
    return true;
  }

  /** The parameters learned unsupported for a model, in the order learned. */
  learnedUnsupported(provider: ProviderId, model: string): ParameterName[] {
    return [...(this.learned.get(`${provider}\u0000${model}`) ?? [])];
  }

  /** Everything that applies to `model` on `provider` (on the OpenAI-compatible server, or of the chat model vendor, `scope` names). */
  resolve(provider: ProviderId, model: string, scope: ConstraintScope = {}): ResolvedConstraints {
    const vendor = scope.vendor?.toLowerCase();
    const matching = this.entries
      .map((entry, order) => ({ entry, order }))
      .filter(
        ({ entry }) =>
          entry.provider === provider &&
          (entry.server === undefined || entry.server === scope.server) &&
          (entry.vendor === undefined || entry.vendor.toLowerCase() === vendor) &&
          patternMatches(entry.model, model),
      )
      .sort((a, b) => specificity(a.entry) - specificity(b.entry) || a.order - b.order)
      .map(({ entry }) => entry);
    const resolved: ResolvedConstraints = {
      status: Object.fromEntries(parameterNames.map((name) => [name, 'honoured'])) as ResolvedConstraints['status'],
      because: {},
      renamed: {},
      values: {},
      exclusive: [],
    };
    // Least specific first, so each later (more specific) entry overrides what it mentions.
    for (const entry of matching) {
      const where = `${entry.provider} ${entry.server ? `on ${entry.server} ` : ''}${entry.vendor ? `of ${entry.vendor} ` : ''}"${entry.model}"`;
      for (const [list, status] of [
        [entry.ignored, 'ignored'],
        [entry.rejected, 'rejected'],
        [entry.honoured, 'honoured'],
      ] as const) {
        for (const name of list ?? []) {
          resolved.status[name] = status;
          resolved.because[name] = where;
        }
      }
      Object.assign(resolved.renamed, entry.renamed);
      Object.assign(resolved.values, entry.values);
      if (entry.exclusive) resolved.exclusive = entry.exclusive.map(([a, b]) => [a, b]);
      if (entry.reasoningEfforts) resolved.reasoningEfforts = [...entry.reasoningEfforts];
      if (entry.defaultMaxTokens !== undefined) resolved.defaultMaxTokens = entry.defaultMaxTokens;
      if (entry.inputWindow !== undefined) resolved.inputWindow = entry.inputWindow;
    }
    for (const name of this.learned.get(`${provider}\u0000${model}`) ?? []) {
      resolved.status[name] = 'rejected';
      resolved.because[name] = 'learned';
    }
    Object.assign(resolved.renamed, this.learnedRenamed.get(`${provider}\u0000${model}`));
    resolved.exclusive.push(...(this.learnedExclusive.get(`${provider}\u0000${model}`) ?? []));
    // The model is what is asked for, not a parameter a model can refuse.
    resolved.status.model = 'honoured';
    return resolved;
  }
}

/** Options of `mapArm`: where the model runs (its server or vendor), when known. */
export type MapArmOptions = ConstraintScope;

function describeValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function valueProblem(name: NumericParameter, value: number, rule: ValueConstraint): string | undefined {
  if (rule.only && !rule.only.includes(value)) return `${name} ${value} is refused: only ${rule.only.join(' or ')}`;
  if (rule.min !== undefined && value < rule.min) return `${name} ${value} is refused: at least ${rule.min}`;
  if (rule.max !== undefined && value > rule.max) return `${name} ${value} is refused: at most ${rule.max}`;
  return undefined;
}

/** A canonical JSON of parameters: keys sorted, so equal parameters give equal text. */
export function canonicalParameters(params: ArmParameters): string {
  const sorted = Object.keys(params)
    .sort()
    .filter((key) => (params as Record<string, unknown>)[key] !== undefined)
    .map((key) => [key, (params as Record<string, unknown>)[key]]);
  return JSON.stringify(Object.fromEntries(sorted));
}

/**
 * How `params` go to `model` on `provider`: what is sent, honoured, dropped (ignored or rejected,
 * or the second of an exclusive pair), renamed, and whether the arm is ineligible (a value the model
 * refuses). `effectiveKey` is the canonical JSON of the honoured parameters and their values.
 */
export function mapArm(provider: ProviderId, model: string, params: ArmParameters, constraints: ModelConstraints, options: MapArmOptions = {}): RequestMapping {
  const resolved = constraints.resolve(provider, model, options);
  const requested: ArmParameters = { ...params };
  const sent: Record<string, unknown> = {};
  const honoured: ParameterName[] = [];
  const dropped: ParameterName[] = [];
  const problems: string[] = [];
  for (const name of parameterNames) {
    const value = params[name];
    if (value === undefined) continue;
    if (resolved.status[name] !== 'honoured') dropped.push(name);
    else sent[name] = value;
  }
  for (const [keep, drop] of resolved.exclusive) {
    if (sent[keep] !== undefined && sent[drop] !== undefined) {
      delete sent[drop];
      dropped.push(drop);
    }
  }
  for (const name of parameterNames) {
    const value = sent[name];
    if (value === undefined) continue;
    honoured.push(name);
    const rule = (resolved.values as Partial<Record<string, ValueConstraint>>)[name];
    if (rule && typeof value === 'number') {
      const problem = valueProblem(name as NumericParameter, value, rule);
      if (problem) problems.push(problem);
    }
    if (name === 'reasoningEffort' && resolved.reasoningEfforts && !resolved.reasoningEfforts.includes(value as ReasoningEffort)) {
      problems.push(`reasoningEffort ${describeValue(value)} is refused: only ${resolved.reasoningEfforts.join(', ')}`);
    }
  }
  const renamed: Partial<Record<ParameterName, string>> = {};
  for (const name of honoured) {
    const wire = resolved.renamed[name];
    if (wire !== undefined) renamed[name] = wire;
  }
  const mapping: RequestMapping = {
    requested,
    sent: sent as ArmParameters,
    honoured,
    dropped: parameterNames.filter((name) => dropped.includes(name)),
    renamed,
    effectiveKey: canonicalParameters(sent as ArmParameters),
  };
  if (problems.length > 0) mapping.ineligible = `${model}: ${problems.join('; ')}`;
  if (resolved.defaultMaxTokens !== undefined && sent.maxTokens === undefined) mapping.providerDefaults = { maxTokens: resolved.defaultMaxTokens };
  return mapping;
}

/** The wire names of the parameters on each provider (before any per-model renaming). */
export const wireNames: Record<ProviderId, Readonly<Record<ParameterName, string>>> = {
  'openai-compatible': {
    temperature: 'temperature',
    topP: 'top_p',
    topK: 'top_k',
    maxTokens: 'max_tokens',
    frequencyPenalty: 'frequency_penalty',
    presencePenalty: 'presence_penalty',
    seed: 'seed',
    stop: 'stop',
    model: 'model',
    reasoningEffort: 'reasoning_effort',
  },
  anthropic: {
    temperature: 'temperature',
    topP: 'top_p',
    topK: 'top_k',
    maxTokens: 'max_tokens',
    frequencyPenalty: 'frequency_penalty',
    presencePenalty: 'presence_penalty',
    seed: 'seed',
    stop: 'stop_sequences',
    model: 'model',
    reasoningEffort: 'reasoning_effort',
  },
  'vscode-lm': {
    temperature: 'temperature',
    topP: 'top_p',
    topK: 'top_k',
    maxTokens: 'max_tokens',
    frequencyPenalty: 'frequency_penalty',
    presencePenalty: 'presence_penalty',
    seed: 'seed',
    stop: 'stop',
    model: 'model',
    reasoningEffort: 'reasoning_effort',
  },
};

/** The wire name of a parameter in a mapping (its renaming, else the provider's usual name). */
export function wireName(provider: ProviderId, name: ParameterName, mapping?: Pick<RequestMapping, 'renamed'>): string {
  return mapping?.renamed[name] ?? wireNames[provider][name];
}

/**
 * The parameter a wire name stands for, e.g. `max_tokens` or `max_completion_tokens` → `maxTokens`,
 * `top_p` → `topP` (a provider's error names the wire parameter). Undefined for other names.
 */
export function parameterForWireName(provider: ProviderId, wire: string): ParameterName | undefined {
  const name = wire.trim().replace(/^'|'$/g, '');
  if (name === 'max_completion_tokens' || name === 'max_output_tokens') return 'maxTokens';
  const names = wireNames[provider];
  for (const parameter of parameterNames) if (names[parameter] === name) return parameter;
  // Some servers name the parameter as the caller would (`topP`), or by OpenAI's name on Anthropic.
  if ((parameterNames as readonly string[]).includes(name)) return name as ParameterName;
  for (const parameter of parameterNames) if (wireNames['openai-compatible'][parameter] === name) return parameter;
  return undefined;
}

/**
 * A model's family, a request feature: the Ollama tag and any date suffix removed, Claude models by
 * tier (`claude-sonnet`), OpenAI's by generation (`gpt-4o`, `o3`), others by their leading name
 * (`llama`, `qwen`).
 */
export function modelFamily(model: string): string {
  const name = (model.toLowerCase().split('/').pop() ?? '').split(':')[0]!.replace(/-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$/, '');
  const tier = /^claude.*?(opus|sonnet|haiku)/.exec(name);
  if (tier) return `claude-${tier[1]}`;
  const reasoning = /^(o\d+)(?![a-z0-9])/.exec(name);
  if (reasoning) return reasoning[1]!;
  if (name.startsWith('gpt-oss')) return 'gpt-oss';
  const gpt = /^gpt-(\d+(?:\.\d+)?o?)/.exec(name);
  if (gpt) return `gpt-${gpt[1]}`;
  return /^[a-z]+/.exec(name)?.[0] ?? (name || 'unknown');
}
