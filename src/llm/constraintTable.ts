/**
 * The table of what each provider and model does with each parameter: its entries' shape, and the
 * built-in entries. modelConstraints.ts matches them to a model, with the user's and what was
 * learned live.
 */
import type { NumericParameter, ParameterName, ReasoningEffort } from '../core/parameters';
import type { ProviderId } from './provider';

/** The OpenAI-compatible servers whose differences matter (known from the base URL). */
export const serverKinds = ['openai', 'ollama', 'lmstudio', 'vllm', 'llama.cpp'] as const;
export type ServerKind = (typeof serverKinds)[number];

/** Values a model accepts for a numeric parameter. */
export interface ValueConstraint {
  min?: number;
  max?: number;
  /** The only values accepted (e.g. temperature 1 only). */
  only?: number[];
}

/** One entry of the table: what a provider (on a server) does with a model's parameters. */
export interface ConstraintEntry {
  provider: ProviderId;
  /** A model-name pattern, case-insensitive; `*` matches any run of characters (`o3*`, `claude-opus-4-7*`, `*`). */
  model: string;
  /** Only on this OpenAI-compatible server (from the base URL); absent: any. */
  server?: ServerKind;
  /**
   * Only for VS Code chat models of this vendor (`vscode-lm` entries: `copilot`, or the vendor an
   * extension registers its models under); absent: any vendor. Each vendor's chat provider decides
   * which `modelOptions` reach its models.
   */
  vendor?: string;
  /** Honoured here, whatever a less specific entry says. */
  honoured?: ParameterName[];
  /** Silently ignored by the model: not sent, dropped. */
  ignored?: ParameterName[];
  /** Refused by the model with an error: never sent, dropped. */
  rejected?: ParameterName[];
  /** Wire names that differ from the provider's usual ones (e.g. `maxTokens` → `max_completion_tokens`). */
  renamed?: Partial<Record<ParameterName, string>>;
  /** Values the model accepts; an arm asking for another is ineligible on it. */
  values?: Partial<Record<NumericParameter, ValueConstraint>>;
  /** Pairs that may not both be sent: the first is kept, the second dropped. */
  exclusive?: Array<[ParameterName, ParameterName]>;
  /** Reasoning efforts the model accepts (when it honours `reasoningEffort`); another makes the arm ineligible. */
  reasoningEfforts?: ReasoningEffort[];
  /** `max_tokens` sent when the arm sets none (the provider requires one). */
  defaultMaxTokens?: number;
  /** The model's input window in tokens, when known. */
  inputWindow?: number;
}

const openAiReasoningRejected: ParameterName[] = ['temperature', 'topP', 'frequencyPenalty', 'presencePenalty'];

/**
 * The built-in table (from the providers' SDKs, documentation and issue threads; providers change,
 * so the user's setting `paramloop.modelConstraints` extends it and live rejections teach it).
 *
 * Anthropic's `reasoningEffort` is dropped: Paramloop does not turn extended thinking on (with it,
 * temperature must be 1 and the thinking budget counts against `max_tokens`, so one parameter would
 * silently change three), and dropping it means arms that differ only in effort share a key.
 */
export const builtInConstraints: readonly ConstraintEntry[] = [
  // OpenAI-compatible servers: the OpenAI parameters; top_k is not OpenAI's (Ollama's /v1 ignores it,
  // OpenAI refuses it), so it is honoured only where the server is known to take it.
  { provider: 'openai-compatible', model: '*', ignored: ['topK', 'reasoningEffort'] },
  { provider: 'openai-compatible', model: '*', server: 'lmstudio', honoured: ['topK'] },
  { provider: 'openai-compatible', model: '*', server: 'vllm', honoured: ['topK'] },
  { provider: 'openai-compatible', model: '*', server: 'llama.cpp', honoured: ['topK'] },
  { provider: 'openai-compatible', model: '*', server: 'openai', rejected: ['topK'] },
  // OpenAI's reasoning models: no sampling controls, max_completion_tokens, reasoning_effort.
  { provider: 'openai-compatible', model: 'o1*', rejected: openAiReasoningRejected, honoured: ['reasoningEffort'], renamed: { maxTokens: 'max_completion_tokens' }, reasoningEfforts: ['low', 'medium', 'high'] },
  { provider: 'openai-compatible', model: 'o3*', rejected: [...openAiReasoningRejected, 'stop'], honoured: ['reasoningEffort'], renamed: { maxTokens: 'max_completion_tokens' }, reasoningEfforts: ['low', 'medium', 'high'] },
  { provider: 'openai-compatible', model: 'o4-mini*', rejected: [...openAiReasoningRejected, 'stop'], honoured: ['reasoningEffort'], renamed: { maxTokens: 'max_completion_tokens' }, reasoningEfforts: ['low', 'medium', 'high'] },
  { provider: 'openai-compatible', model: 'gpt-5*', rejected: openAiReasoningRejected, honoured: ['reasoningEffort'], renamed: { maxTokens: 'max_completion_tokens' }, reasoningEfforts: ['minimal', 'low', 'medium', 'high'] },
  // gpt-5.1 defaults to no reasoning and has no `minimal`.
  { provider: 'openai-compatible', model: 'gpt-5.1*', reasoningEfforts: ['low', 'medium', 'high'] },
  // Open-weight reasoning models served through Ollama and others take reasoning_effort.
  { provider: 'openai-compatible', model: 'gpt-oss*', honoured: ['reasoningEffort'], reasoningEfforts: ['low', 'medium', 'high'] },

  // Anthropic: no penalties, no seed, temperature 0–1, max_tokens required; recent models refuse
  // temperature and top_p together (temperature is kept).
  {
    provider: 'anthropic',
    model: '*',
    rejected: ['frequencyPenalty', 'presencePenalty', 'seed'],
    ignored: ['reasoningEffort'],
    values: { temperature: { min: 0, max: 1 } },
    exclusive: [['temperature', 'topP']],
    defaultMaxTokens: 4096,
    inputWindow: 200_000,
  },
  // Older models take temperature and top_p together.
  { provider: 'anthropic', model: 'claude-3*', exclusive: [] },
  { provider: 'anthropic', model: 'claude-sonnet-4-0*', exclusive: [] },
  { provider: 'anthropic', model: 'claude-opus-4-0*', exclusive: [] },
  { provider: 'anthropic', model: 'claude-sonnet-4-2025*', exclusive: [] },
  { provider: 'anthropic', model: 'claude-opus-4-2025*', exclusive: [] },
  // Models after Opus 4.6: temperature 1 only, top_p ≥ 0.99 only, no top_k.
  ...['claude-opus-4-7*', 'claude-opus-5*', 'claude-sonnet-5*', 'claude-haiku-5*'].map(
    (model): ConstraintEntry => ({ provider: 'anthropic', model, rejected: ['topK'], values: { temperature: { only: [1] }, topP: { min: 0.99, max: 1 } } }),
  ),

  // VS Code's Language Model API, Copilot's models: temperature, max_tokens and the penalties reach
  // the model; top_p, top_k, seed and reasoning_effort are dropped, and a list of stops is not
  // passed. Other vendors' chat providers pass what they choose: nothing is assumed of them.
  { provider: 'vscode-lm', vendor: 'copilot', model: '*', ignored: ['topP', 'topK', 'seed', 'stop', 'reasoningEffort'] },
  // Its Anthropic models get only top_p and max_tokens; its Responses-API models only max_tokens.
  { provider: 'vscode-lm', vendor: 'copilot', model: 'claude*', honoured: ['topP'], ignored: ['temperature', 'frequencyPenalty', 'presencePenalty'] },
  ...['o1*', 'o3*', 'o4-mini*', 'gpt-5*'].map(
    (model): ConstraintEntry => ({ provider: 'vscode-lm', vendor: 'copilot', model, ignored: ['temperature', 'frequencyPenalty', 'presencePenalty'] }),
  ),
];
