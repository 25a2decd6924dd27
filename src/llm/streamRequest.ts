/**
 * The request loop both HTTP providers share: send, retry what the transport retries, learn from a
 * rejected parameter once (record it, send again without it), retry an overload reported inside the
 * stream while nothing was streamed yet, and turn what was streamed into an `LlmResult`. What
 * differs by API (the body, the error shapes, the stream's events) is the provider's `api`.
 */
import type { ParameterName } from '../core/types';
import { LlmError, type LlmRequest, type LlmResult, type RequestMapping } from './provider';
import type { Exchange, HttpRequest, Transport } from './transport';
import type { FinishReason } from '../core/types';

/** What a stream produced, as the provider's API reported it. */
export interface StreamedAnswer {
  text: string;
  finishReason: FinishReason;
  tokensIn?: number;
  tokensOut?: number;
  modelUsed?: string;
}

/** What a rejection teaches: the mapping to send instead, and the parameter now known unsupported. */
export interface Lesson {
  mapping: RequestMapping;
  learned?: ParameterName;
}

/** How one API is spoken. */
export interface ApiDialect {
  /** The HTTP request that sends `mapping`. */
  httpRequest(request: LlmRequest, mapping: RequestMapping): HttpRequest;
  /**
   * The error an answer that is not ok stands for, and, when it rejected a parameter the model can
   * do without, the lesson: called at most once per request (its effect, recording the parameter,
   * is the provider's).
   */
  rejection(status: number, headers: Headers, body: string, request: LlmRequest, mapping: RequestMapping): { error: LlmError; lesson?: () => Lesson | undefined };
  /** Reads the stream; `onText` for each piece of text. Throws `LlmError` (with `partialText`). */
  consume(exchange: Exchange, onText: (text: string) => void): Promise<StreamedAnswer>;
}

/** Tokens of a text when the provider did not say: about 4 characters a token. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

const retriedInStream = new Set(['overloaded', 'server', 'rateLimited']);

/** Streams `request` with `api` over `transport`; rejects with an `LlmError` only. */
export async function streamRequest(transport: Transport, api: ApiDialect, request: LlmRequest): Promise<LlmResult> {
  const start = transport.now();
  let mapping = request.mapping;
  let retries = 0;
  let renamedOnce = false;
  let sent = false;
  const learnedUnsupported: ParameterName[] = [];
  for (;;) {
    const http = api.httpRequest(request, mapping);
    let exchange: Exchange;
    try {
      ({ exchange, retries } = await transport.send(http, retries));
    } catch (error) {
      throw withRetries(error, Math.max(retries, error instanceof LlmError ? (error.details.retries ?? 0) : 0), mapping);
    }
    if (!exchange.ok) {
      const body = await exchange.text();
      const { error, lesson } = api.rejection(exchange.status, exchange.headers, body, request, mapping);
      error.details.retries = retries;
      error.details.mapping = mapping;
      if (lesson) {
        const taught = lesson();
        // One resend without each rejected parameter (it is marked unsupported for the model from now
        // on), and one under a parameter's new name; a parameter rejected again fails the request.
        const once = taught?.learned ? !learnedUnsupported.includes(taught.learned) : !renamedOnce;
        if (taught?.learned && once) learnedUnsupported.push(taught.learned);
        if (taught && once) {
          if (!taught.learned) renamedOnce = true;
          mapping = taught.mapping;
          retries++;
          continue;
        }
      }
      throw error;
    }
    if (!sent) {
      sent = true;
      request.onSent?.(mapping);
    }
    let firstTextAt: number | undefined;
    let streamed = '';
    const onText = (text: string): void => {
      if (text === '') return;
      firstTextAt ??= transport.now();
      streamed += text;
      request.onText?.(text);
    };
    try {
      const answer = await api.consume(exchange, onText);
      const end = transport.now();
      const reported = answer.tokensIn !== undefined && answer.tokensOut !== undefined;
      const tokensIn = answer.tokensIn ?? estimateTokens(request.messages.map((m) => m.content).join('\n'));
      const tokensOut = answer.tokensOut ?? estimateTokens(answer.text);
      const result: LlmResult = {
        text: answer.text,
        finishReason: answer.finishReason,
        tokensIn,
        tokensOut,
        usageEstimated: !reported,
        latencyMs: end - start,
        retries,
        mapping,
        learnedUnsupported,
      };
      if (answer.modelUsed !== undefined) result.modelUsed = answer.modelUsed;
      if (firstTextAt !== undefined) result.timeToFirstTokenMs = firstTextAt - start;
      return result;
    } catch (error) {
      exchange.close();
      const failure = withRetries(error, retries, mapping);
      failure.details.partialText = streamed;
      if (streamed === '' && retriedInStream.has(failure.kind) && retries < transport.maxRetries) {
        await transport.wait(transport.delayMs(retries), request.signal, http.url);
        retries++;
        continue;
      }
      throw failure;
    }
  }
}

function withRetries(error: unknown, retries: number, mapping: RequestMapping): LlmError {
  const failure = error instanceof LlmError ? error : new LlmError('server', `unexpected failure: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  failure.details.retries = retries;
  failure.details.mapping = mapping;
  return failure;
}

/** The kind of an HTTP error status, as both APIs use them. */
export function kindForStatus(status: number): LlmError['kind'] {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'notFound';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rateLimited';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server';
  return 'badRequest';
}
