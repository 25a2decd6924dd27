/**
 * A provider for Anthropic's Messages API: streamed `POST {baseUrl}/v1/messages` with `x-api-key`
 * and `anthropic-version: 2023-06-01`, the system text as `system`, and `max_tokens` always sent (the
 * API requires it: the arm's, else the constraint table's default). Overload (529, or an `error`
 * event in the stream before any text) is retried; a 400 that two parameters "cannot both be
 * specified" teaches the model's exclusive pair and the request is sent once more with the first.
 */
import { mapArm, modelFamily, ModelConstraints, parameterForWireName, wireName } from './modelConstraints';
import { LlmError, type LlmErrorKind, type LlmProvider, type LlmRequest, type LlmResult, type RequestMapping } from './provider';
import { SseParser } from './sse';
import { kindForStatus, streamRequest, type ApiDialect, type Lesson, type StreamedAnswer } from './streamRequest';
import { Transport, retryDelayMs, type Exchange, type TransportDeps } from './transport';
import type { ArmParameters, FinishReason, ParameterName } from '../core/types';

export interface AnthropicOptions extends TransportDeps {
  /** Default `https://api.anthropic.com`. */
  baseUrl?: string;
  apiKey: string;
  /** The constraint table in force (shared by a window's providers); default the built-in one. */
  constraints?: ModelConstraints;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

/** The API version this provider speaks. */
export const anthropicVersion = '2023-06-01';

const kindsByType: Record<string, LlmErrorKind> = {
  invalid_request_error: 'badRequest',
  authentication_error: 'auth',
  permission_error: 'permission',
  not_found_error: 'notFound',
  rate_limit_error: 'rateLimited',
  overloaded_error: 'overloaded',
  api_error: 'server',
  billing_error: 'quota',
  request_too_large: 'badRequest',
  timeout_error: 'timeout',
};

function parseError(body: string): { type?: string; message: string } {
  try {
    const json = JSON.parse(body) as { error?: { type?: unknown; message?: unknown } };
    if (json?.error && typeof json.error === 'object') {
      return { ...(typeof json.error.type === 'string' ? { type: json.error.type } : {}), message: typeof json.error.message === 'string' ? json.error.message : body };
    }
  } catch {
    // Not JSON: the text is the message.
  }
  return { message: body.trim().slice(0, 500) };
}

function stopReasonOf(reason: string): FinishReason {
  if (reason === 'end_turn' || reason === 'stop_sequence' || reason === 'tool_use') return 'stop';
  if (reason === 'max_tokens') return 'length';
  if (reason === 'refusal') return 'error';
  return 'unknown';
}

/** Creates the Anthropic provider. */
export function createAnthropicProvider(options: AnthropicOptions): LlmProvider {
  const baseUrl = (options.baseUrl ?? 'https://api.anthropic.com').replace(/\/+$/, '');
  const url = `${baseUrl}/v1/messages`;
  const constraints = options.constraints ?? new ModelConstraints();
  const transport = new Transport(options);
  const id = 'anthropic' as const;
  const unreachableHint = 'check the network connection (and a proxy, if one is needed) and the base URL.';

  const map = (params: ArmParameters, model: string): RequestMapping => mapArm(id, model, params, constraints);

  /** What a 400's message says the model refuses: two parameters together, or one at all. */
  const refusalIn = (message: string, mapping: RequestMapping): { keep?: ParameterName; drop: ParameterName } | undefined => {
    if (/cannot both be specified/i.test(message)) {
      const named = [...message.matchAll(/`([a-z_]+)`/g)].map((m) => parameterForWireName(id, m[1]!)).filter((p): p is ParameterName => p !== undefined);
      const [keep, drop] = named.length === 2 ? (named as [ParameterName, ParameterName]) : (['temperature', 'topP'] as const);
      return mapping.sent[keep] !== undefined && mapping.sent[drop] !== undefined ? { keep, drop } : undefined;
    }
    const field = /^([a-z_]+):\s*(Extra inputs are not permitted|.*not supported)/i.exec(message)?.[1];
    const param = field ? parameterForWireName(id, field) : undefined;
    return param && param !== 'model' && mapping.sent[param] !== undefined ? { drop: param } : undefined;
  };

  const dialect: ApiDialect = {
    httpRequest(request, mapping) {
      const system = request.messages
        .filter((m) => m.role === 'system')
        .map((m) => m.content)
        .join('\n\n');
      const values = { ...mapping.providerDefaults, ...mapping.sent } as Record<ParameterName, unknown>;
      const body: Record<string, unknown> = {
        model: request.model,
        max_tokens: values.maxTokens ?? 4096,
        messages: request.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, content: m.content })),
        stream: true,
      };
      if (system !== '') body.system = system;
      for (const [name, value] of Object.entries(values) as Array<[ParameterName, unknown]>) {
        if (name === 'model' || name === 'maxTokens' || value === undefined) continue;
        body[wireName(id, name, mapping)] = value;
      }
      const headers = { ...options.headers, 'x-api-key': options.apiKey, 'anthropic-version': anthropicVersion };
      return { url, headers, body, signal: request.signal, idleTimeoutMs: request.idleTimeoutMs, unreachableHint };
    },

    rejection(status, headers, body, request, mapping) {
      const error = parseError(body);
      const kind = (error.type && kindsByType[error.type]) || kindForStatus(status);
      const details = { status, ...(error.type ? { code: error.type } : {}) };
      const model = request.model;
      const text = (() => {
        switch (kind) {
          case 'auth':
            return `Anthropic refused the API key (HTTP ${status}): ${error.message}. Set a valid key.`;
          case 'notFound':
            return `Anthropic has no model ${model} (HTTP ${status}): ${error.message}`;
          case 'overloaded':
            return `Anthropic is overloaded (HTTP ${status}) after the retries: ${error.message}`;
          case 'rateLimited':
            return `rate limited by Anthropic (HTTP ${status}) after the retries: ${error.message}`;
          default:
            return `Anthropic answered HTTP ${status}: ${error.message}`;
        }
      })();
      const refused = status === 400 ? refusalIn(error.message, mapping) : undefined;
      if (refused) {
        const { keep, drop } = refused;
        const failure = new LlmError('unsupportedParameter', `${model} rejects ${wireName(id, drop, mapping)}${keep ? ` with ${wireName(id, keep, mapping)}` : ''}: ${error.message}`, { ...details, param: drop });
        const lesson = (): Lesson => {
          if (keep) constraints.markExclusive(id, model, keep, drop);
          else constraints.markUnsupported(id, model, drop);
          return { mapping: map(mapping.requested, model), learned: drop };
        };
        return { error: failure, lesson };
      }
      const failure = new LlmError(kind, text, details);
      if (kind === 'rateLimited' || kind === 'overloaded') failure.details.retryAfterMs = retryDelayMs(0, headers, () => 0, transport.now);
      return { error: failure };
    },

    consume(exchange, onText) {
      return consumeStream(exchange, onText, url);
    },
  };

  return {
    id,
    family: modelFamily,
    map,
    inputWindow: (model) => constraints.resolve(id, model).inputWindow,
    stream: (request: LlmRequest): Promise<LlmResult> => streamRequest(transport, dialect, request),
  };
}

interface MessagesEvent {
  type?: string;
  message?: { model?: string; usage?: { input_tokens?: number; output_tokens?: number } };
  delta?: { type?: string; text?: string; stop_reason?: string | null };
  usage?: { input_tokens?: number; output_tokens?: number };
  error?: { type?: string; message?: string };
}

/** Reads a Messages stream: message_start, content blocks, message_delta, message_stop; ping and unknown events skipped. */
async function consumeStream(exchange: Exchange, onText: (text: string) => void, url: string): Promise<StreamedAnswer> {
  const answer: StreamedAnswer = { text: '', finishReason: 'unknown' };
  const parser = new SseParser();
  let stopped = false;
  try {
    for await (const piece of exchange.chunks()) {
      for (const event of parser.push(piece)) {
        let data: MessagesEvent;
        try {
          data = JSON.parse(event.data) as MessagesEvent;
        } catch {
          continue;
        }
        const type = event.event !== 'message' ? event.event : (data.type ?? '');
        switch (type) {
          case 'message_start':
            if (data.message?.model) answer.modelUsed = data.message.model;
            if (typeof data.message?.usage?.input_tokens === 'number') answer.tokensIn = data.message.usage.input_tokens;
            break;
          case 'content_block_delta':
            if (data.delta?.type === 'text_delta' && typeof data.delta.text === 'string' && data.delta.text !== '') {
              answer.text += data.delta.text;
              onText(data.delta.text);
            }
            break;
          case 'message_delta':
            if (data.delta?.stop_reason) answer.finishReason = stopReasonOf(data.delta.stop_reason);
            // Usage here is cumulative: the last one counts.
            if (typeof data.usage?.output_tokens === 'number') answer.tokensOut = data.usage.output_tokens;
            if (typeof data.usage?.input_tokens === 'number') answer.tokensIn = data.usage.input_tokens;
            break;
          case 'message_stop':
            stopped = true;
            break;
          case 'error': {
            const errorType = data.error?.type ?? 'api_error';
            throw new LlmError(kindsByType[errorType] ?? 'server', `Anthropic reported ${errorType} in the stream: ${data.error?.message ?? ''}`, { code: errorType });
          }
          default:
            break; // ping, content_block_start/stop and events added later
        }
      }
    }
  } catch (error) {
    if (error instanceof LlmError) error.details.partialText = answer.text;
    throw error;
  }
  parser.end();
  if (!stopped) throw new LlmError('streamCut', `the stream from ${url} ended before message_stop (${answer.text.length} characters received)`, { partialText: answer.text });
  return answer;
}
