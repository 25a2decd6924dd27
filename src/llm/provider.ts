/**
 * The LLM provider port (ARCHITECTURE.md §"LLM providers"): one interface every provider implements,
 * whatever it talks to (an OpenAI-compatible server, Anthropic's Messages API, VS Code's Language
 * Model API). The planning core sees only this file's types: it asks a provider how it would send an
 * arm to a model (`map`), then streams a request with what the mapping sends. What a provider or a
 * model honours, rejects and renames is declared by the provider (modelConstraints.ts), never listed
 * in the core.
 */
import type { ArmParameters, FinishReason, ParameterName } from '../core/types';

/** The providers Paramloop talks to. */
export const providerIds = ['openai-compatible', 'anthropic', 'vscode-lm'] as const;
export type ProviderId = (typeof providerIds)[number];

/**
 * One turn of a conversation. Providers without a system role (VS Code's Language Model API) put the
 * system text at the head of the first user turn.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * How an arm's parameters go to one model: what is sent (under the provider's names), what the
 * model honours, what it drops (silently ignored by the model, or rejected so never sent), and
 * whether the arm is eligible at all (a value the model refuses, e.g. a temperature other than 1 on a
 * model that accepts only 1, makes the arm ineligible for that model).
 */
export interface RequestMapping {
  /** The arm's parameters as requested. */
  requested: ArmParameters;
  /** The parameters that are sent, in Paramloop's names (a subset of `requested`). */
  sent: ArmParameters;
  /** Parameters of `requested` that reach the model and change what it does. */
  honoured: ParameterName[];
  /** Parameters of `requested` that the model never sees (not sent, or sent and ignored). */
  dropped: ParameterName[];
  /** The wire name of each sent parameter where it differs from the provider's usual one (e.g. `maxTokens` → `max_completion_tokens`). */
  renamed: Partial<Record<ParameterName, string>>;
  /** Why the arm cannot be served on this model; absent when it can. */
  ineligible?: string;
  /**
   * The arm as the model sees it: two arms with equal keys are one arm for this model (they differ
   * only in what it drops). A canonical JSON of the honoured parameters and their values.
   */
  effectiveKey: string;
  /**
   * Values the provider sends for parameters the arm leaves unset, because the API requires them
   * (Anthropic's `max_tokens`). They are not the arm's, so they are neither honoured nor in the key.
   */
  providerDefaults?: ArmParameters;
}

/** A request to stream a completion. */
export interface LlmRequest {
  /** The model to ask for (the arm's `model`, else the configured one). */
  model: string;
  messages: ChatMessage[];
  /** How the arm maps onto this model (from `map`); only `mapping.sent` is sent. */
  mapping: RequestMapping;
  /** Called with each piece of text as it arrives. */
  onText?: (text: string) => void;
  /** Cancels the request; the promise then rejects with an `LlmError` of kind `cancelled`. */
  signal?: AbortSignal;
  /** Gives up when no byte arrives for this long (ms): kind `timeout`. */
  idleTimeoutMs?: number;
  /**
   * Called once, when the provider accepted the request (its answer began), with the mapping as
   * finally sent: after a live rejection, without the rejected parameter.
   */
  onSent?: (mapping: RequestMapping) => void;
}

/** What a completed stream produced. */
export interface LlmResult {
  text: string;
  finishReason: FinishReason;
  /** Tokens in and out: the provider's usage when it reported it, else an estimate (`usageEstimated`). */
  tokensIn: number;
  tokensOut: number;
  usageEstimated: boolean;
  /** The model that answered, when the provider says (it may differ from the one asked for). */
  modelUsed?: string;
  /** From sending the request to the last byte, and to the first text (ms). */
  latencyMs: number;
  timeToFirstTokenMs?: number;
  /** How many times the request was sent again (429, 5xx, overload, an unexpected rejection of a parameter). */
  retries: number;
  /** The mapping as finally sent: after a live rejection, without the rejected parameter. */
  mapping: RequestMapping;
  /** Parameters the model rejected during this request (now marked unsupported for it). */
  learnedUnsupported: ParameterName[];
}

/** What went wrong, in kinds a user can act on. */
export const llmErrorKinds = [
  'unreachable', // no connection (server not running, wrong URL)
  'timeout', // no answer, or a stream that stalled
  'auth', // missing or wrong API key
  'permission', // the key or the user may not use this model (VS Code: no consent)
  'quota', // out of credit or quota
  'rateLimited', // 429 after the retries
  'overloaded', // 529 / 503 after the retries
  'notFound', // no such model or endpoint
  'badRequest', // the request was refused for another reason
  'unsupportedParameter', // a parameter the model rejects, after the retry without it
  'streamCut', // the stream ended without its end
  'server', // 5xx after the retries
  'blocked', // refused by a content filter or policy
  'cancelled', // cancelled by the user
  'noModel', // no model configured or available
] as const;
export type LlmErrorKind = (typeof llmErrorKinds)[number];

/** An error from a provider: its kind, a message that says what to do, and what it carried. */
export class LlmError extends Error {
  override readonly name = 'LlmError';
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly details: {
      status?: number;
      /** The provider's own error code or type, e.g. `unsupported_parameter`, `overloaded_error`. */
      code?: string;
      /** The parameter the provider named, in Paramloop's names when it maps to one. */
      param?: ParameterName;
      retryAfterMs?: number;
      /** Text received before a stream died. */
      partialText?: string;
      retries?: number;
      /** The mapping last sent (after a live rejection, without the rejected parameter). */
      mapping?: RequestMapping;
      cause?: unknown;
    } = {},
  ) {
    super(message);
  }
}

/** A provider: how it maps an arm onto a model, and how it streams a completion. */
export interface LlmProvider {
  readonly id: ProviderId;
  /** A short family name for a model, a request feature: e.g. `llama`, `gpt-4o`, `o3`, `claude-sonnet`. */
  family(model: string): string;
  /** How `params` would be sent to `model`, under the built-in constraints, the user's and those learned live. */
  map(params: ArmParameters, model: string): RequestMapping;
  /** Streams a completion; rejects with an `LlmError` only. */
  stream(request: LlmRequest): Promise<LlmResult>;
  /** The input window of a model, in tokens, when known (prompts are capped to it). */
  inputWindow?(model: string): number | undefined;
}
