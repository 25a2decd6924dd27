/**
 * A provider for OpenAI's Chat Completions API and the servers that copy it (Ollama, LM Studio,
 * vLLM, llama.cpp, OpenAI itself): streamed `POST {baseUrl}/chat/completions` with usage in the last
 * chunk. The arm's temperature and top_p are always sent when honoured (Ollama's /v1 takes an
 * omitted one as 1.0). A 400 naming an unsupported parameter teaches the model's constraints and
 * the request is sent once more without it.
 */
import { mapArm, modelFamily, ModelConstraints, parameterForWireName, serverKindFromBaseUrl, wireName, type ServerKind } from './modelConstraints';
import { LlmError, type LlmProvider, type LlmRequest, type LlmResult, type RequestMapping } from './provider';
import { SseParser } from './sse';
import { kindForStatus, streamRequest, type ApiDialect, type Lesson, type StreamedAnswer } from './streamRequest';
import { Transport, retryDelayMs, type Exchange, type TransportDeps } from './transport';
import type { ArmParameters, FinishReason, ParameterName } from '../core/types';

export interface OpenAiCompatibleOptions extends TransportDeps {
  /** Default `http://localhost:11434/v1` (Ollama). */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer …` when given (Ollama takes any). */
  apiKey?: string;
  /** The constraint table in force (shared by a window's providers); default the built-in one. */
  constraints?: ModelConstraints;
  /** The server behind the base URL, when its address does not say (`serverKindFromBaseUrl`). */
  server?: ServerKind;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

interface OpenAiErrorBody {
  message?: string;
  type?: string;
  param?: string | null;
  code?: string | null;
}

function parseErrorBody(body: string): OpenAiErrorBody {
  try {
    const json = JSON.parse(body) as { error?: unknown };
    if (json && typeof json.error === 'object' && json.error !== null) return json.error as OpenAiErrorBody;
    if (json && typeof json.error === 'string') return { message: json.error };
  } catch {
    // Not JSON: the text is the message.
  }
  return { message: body.trim().slice(0, 500) };
}

function finishReasonOf(reason: string): FinishReason {
  if (reason === 'stop' || reason === 'tool_calls' || reason === 'function_call') return 'stop';
  if (reason === 'length') return 'length';
  if (reason === 'content_filter') return 'error';
  return 'unknown';
}

/** Creates the OpenAI-compatible provider. */
export function createOpenAiCompatibleProvider(options: OpenAiCompatibleOptions = {}): LlmProvider {
  const baseUrl = (options.baseUrl ?? 'http://localhost:11434/v1').replace(/\/+$/, '');
  const url = `${baseUrl}/chat/completions`;
  const server = options.server ?? serverKindFromBaseUrl(baseUrl);
  const constraints = options.constraints ?? new ModelConstraints();
  const transport = new Transport(options);
  const id = 'openai-compatible' as const;
  const unreachableHint =
    server === 'ollama'
      ? 'is Ollama running? Start it with `ollama serve`, or correct the base URL.'
      : server === 'lmstudio'
        ? "is LM Studio's server running (Developer tab, Start Server)? Or correct the base URL."
        : 'is the server running, and is the base URL (ending in /v1) right?';

  const map = (params: ArmParameters, model: string): RequestMapping => mapArm(id, model, params, constraints, server ? { server } : {});

  const explain = (kind: LlmError['kind'], status: number, model: string, said: string): string => {
    // The server's own sentence, without its closing period: ours follows.
    const message = said.trim().replace(/[.\s]+$/, '');
    switch (kind) {
      case 'auth':
        return `${baseUrl} refused the API key (HTTP ${status}): ${message}. Set the key for this endpoint ("Paramloop: Set API Key…", or PARAMLOOP_API_KEY for the command line).`;
      case 'permission':
        return `${baseUrl} does not let this key use ${model} (HTTP ${status}): ${message}`;
      case 'notFound':
        return `${baseUrl} has no model ${model} (HTTP ${status}): ${message}.${server === 'ollama' ? ` Pull it with \`ollama pull ${model}\`.` : ''}`;
      case 'quota':
        return `out of quota at ${baseUrl} (HTTP ${status}): ${message}`;
      case 'rateLimited':
        return `rate limited by ${baseUrl} (HTTP ${status}) after the retries: ${message}`;
      default:
        return `${baseUrl} answered HTTP ${status}: ${message}`;
    }
  };

  const dialect: ApiDialect = {
    httpRequest(request, mapping) {
      const body: Record<string, unknown> = {
        model: request.model,
        messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
        stream: true,
        stream_options: { include_usage: true },
      };
      const values = { ...mapping.providerDefaults, ...mapping.sent } as Record<ParameterName, unknown>;
      for (const [name, value] of Object.entries(values) as Array<[ParameterName, unknown]>) {
        if (name === 'model' || value === undefined) continue;
        body[wireName(id, name, mapping)] = value;
      }
      const headers: Record<string, string> = { ...options.headers };
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      return { url, headers, body, signal: request.signal, idleTimeoutMs: request.idleTimeoutMs, unreachableHint };
    },

    rejection(status, headers, body, request, mapping) {
      const error = parseErrorBody(body);
      const message = error.message ?? `HTTP ${status}`;
      const code = error.code ?? error.type ?? undefined;
      const param = error.param ? parameterForWireName(id, error.param) : undefined;
      const model = request.model;
      const details = { status, ...(code ? { code } : {}), ...(param ? { param } : {}) };
      if (status === 429 && (code === 'insufficient_quota' || error.type === 'insufficient_quota')) {
        return { error: new LlmError('quota', explain('quota', status, model, message), details) };
      }
      if (status === 400 && (code === 'unsupported_parameter' || code === 'unsupported_value') && param) {
        const wire = String(error.param);
        const failure = new LlmError('unsupportedParameter', `${model || 'the model'} at ${baseUrl} rejects ${wire}: ${message}`, details);
        return { error: failure, lesson: (): Lesson | undefined => lessonFrom(model, mapping, param, message, wire) };
      }
      const kind = kindForStatus(status);
      const failure = new LlmError(kind, explain(kind, status, model, message), details);
      if (kind === 'rateLimited' || kind === 'overloaded') failure.details.retryAfterMs = retryDelayMs(0, headers, () => 0, transport.now);
      return { error: failure };
    },

    consume(exchange, onText) {
      return consumeStream(exchange, onText, baseUrl);
    },
  };

  /** What a rejection of `param` teaches, for the model the mapping was made for. */
  const lessonFrom = (model: string, mapping: RequestMapping, param: ParameterName, message: string, wire: string): Lesson | undefined => {
    if (mapping.sent[param] === undefined) return undefined;
    const renamedTo = /use '([a-z_]+)' instead/i.exec(message)?.[1];
    if (renamedTo && renamedTo !== wire && parameterForWireName(id, renamedTo) === param) {
      constraints.markRenamed(id, model, param, renamedTo);
      return { mapping: map(mapping.requested, model) };
    }
    constraints.markUnsupported(id, model, param);
    return { mapping: map(mapping.requested, model), learned: param };
  };

  return {
    id,
    family: modelFamily,
    map,
    inputWindow: (model) => constraints.resolve(id, model, server ? { server } : {}).inputWindow,
    stream: (request: LlmRequest): Promise<LlmResult> => streamRequest(transport, dialect, request),
  };
}

/** Reads a Chat Completions stream (or a whole JSON answer from a server that ignored `stream`). */
async function consumeStream(exchange: Exchange, onText: (text: string) => void, baseUrl: string): Promise<StreamedAnswer> {
  const answer: StreamedAnswer = { text: '', finishReason: 'unknown' };
  if ((exchange.headers.get('content-type') ?? '').includes('application/json')) {
    const json = JSON.parse(await exchange.text()) as { model?: string; choices?: Array<{ message?: { content?: string }; finish_reason?: string }>; usage?: { prompt_tokens?: number; completion_tokens?: number } };
    const choice = json.choices?.[0];
    answer.text = choice?.message?.content ?? '';
    onText(answer.text);
    answer.finishReason = finishReasonOf(choice?.finish_reason ?? '');
    if (json.model) answer.modelUsed = json.model;
    if (typeof json.usage?.prompt_tokens === 'number' && typeof json.usage.completion_tokens === 'number') {
      answer.tokensIn = json.usage.prompt_tokens;
      answer.tokensOut = json.usage.completion_tokens;
    }
    return answer;
  }
  const parser = new SseParser();
  let done = false;
  let finished = false;
  try {
    for await (const piece of exchange.chunks()) {
      for (const event of parser.push(piece)) {
        if (event.data === '[DONE]') {
          done = true;
          continue;
        }
        let chunk: {
          model?: string;
          error?: OpenAiErrorBody | string;
          choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
          usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
        };
        try {
          chunk = JSON.parse(event.data) as typeof chunk;
        } catch {
          continue; // Not JSON: a server's keep-alive or noise.
        }
        if (chunk.error) {
          const error = typeof chunk.error === 'string' ? { message: chunk.error } : chunk.error;
          const code = error.code ?? error.type ?? undefined;
          const kind = /overload/i.test(`${code ?? ''} ${error.message ?? ''}`) ? 'overloaded' : code === 'rate_limit_exceeded' ? 'rateLimited' : 'server';
          throw new LlmError(kind, `${baseUrl} reported an error in the stream: ${error.message ?? code ?? 'unknown'}`, code ? { code } : {});
        }
        if (chunk.model) answer.modelUsed = chunk.model;
        for (const choice of chunk.choices ?? []) {
          const content = choice.delta?.content;
          if (typeof content === 'string' && content !== '') {
            answer.text += content;
            onText(content);
          }
          if (choice.finish_reason) {
            answer.finishReason = finishReasonOf(choice.finish_reason);
            finished = true;
          }
        }
        if (chunk.usage && typeof chunk.usage.prompt_tokens === 'number' && typeof chunk.usage.completion_tokens === 'number') {
          answer.tokensIn = chunk.usage.prompt_tokens;
          answer.tokensOut = chunk.usage.completion_tokens;
        }
      }
    }
  } catch (error) {
    if (error instanceof LlmError) error.details.partialText = answer.text;
    throw error;
  }
  parser.end();
  if (!done && !finished) throw new LlmError('streamCut', `the stream from ${baseUrl} ended before its end (${answer.text.length} characters received)`, { partialText: answer.text });
  return answer;
}
