/**
 * HTTP for the providers, on Node's global fetch: a JSON POST whose answer is read as a stream, an
 * idle timeout (no byte for so long gives up), cancellation by AbortSignal, and retries as the
 * official SDKs do them: 408, 409, 429 and 5xx (Anthropic's 529 among them), and connection errors,
 * up to 2 times, waiting `retry-after-ms`, else `retry-after` (seconds or an HTTP date) when it is at
 * most 60 s, else 0.5 s doubling up to 8 s with up to 25 % jitter off. Sleep, randomness and the
 * clock are injected so tests run fast and the same every time.
 */
import { LlmError } from './provider';

/** What the transport needs from the outside world; each defaults to the real one. */
export interface TransportDeps {
  fetch?: typeof fetch;
  /** Waits `ms`; resolves early (or rejects) when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** In [0, 1): the jitter of backoff waits. */
  random?: () => number;
  /** Milliseconds since the epoch (HTTP-date `retry-after`, latencies). */
  now?: () => number;
  /** Retries after the first attempt (default 2, as the official SDKs). */
  maxRetries?: number;
}

/** One POST. */
export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal?: AbortSignal;
  /** Gives up when no byte arrives for this long (ms), waiting for the answer or inside it. */
  idleTimeoutMs?: number;
  /** What to tell the user when the server cannot be reached, e.g. "is Ollama running? Start it with `ollama serve`". */
  unreachableHint: string;
}

/** An answer being received: its status and headers, and its body read as text as it arrives. */
export interface Exchange {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: Headers;
  /** The body's text, piece by piece (each piece resets the idle timeout). Throws `LlmError` (timeout, cancelled, streamCut). */
  chunks(): AsyncGenerator<string>;
  /** The whole body as text (error bodies); never throws, gives what arrived. */
  text(): Promise<string>;
  /** Stops receiving (the connection is dropped). */
  close(): void;
}

/** The statuses the official SDKs retry. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Whether an answer should be retried: the server's `x-should-retry` when it says, else by status. */
export function shouldRetry(status: number, headers: Headers): boolean {
  const says = headers.get('x-should-retry');
  if (says === 'true') return true;
  if (says === 'false') return false;
  return isRetryableStatus(status);
}

/**
 * How long to wait before retry number `retriesSoFar + 1` (ms): the server's `retry-after-ms`, else
 * `retry-after` (seconds or an HTTP date), when positive and at most 60 s; else
 * min(0.5 s · 2^retriesSoFar, 8 s) · (1 − 0.25 · random) (the OpenAI SDK's backoff).
 */
export function retryDelayMs(retriesSoFar: number, headers: Headers | undefined, random: () => number, now: () => number): number {
  let fromServer: number | undefined;
  const ms = headers?.get('retry-after-ms') ?? null;
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) fromServer = Number(ms);
  const after = headers?.get('retry-after') ?? null;
  if (fromServer === undefined && after !== null && after.trim() !== '') {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) fromServer = seconds * 1000;
    else {
      const date = Date.parse(after);
      if (Number.isFinite(date)) fromServer = date - now();
    }
  }
  if (fromServer !== undefined && fromServer > 0 && fromServer <= 60_000) return fromServer;
  return Math.min(500 * 2 ** retriesSoFar, 8000) * (1 - 0.25 * random());
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A Node network error's code (ECONNREFUSED, ENOTFOUND…), from the error or its causes. */
function networkCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Watches one attempt: aborts it when the caller cancels or when nothing arrived for the idle
 * timeout, and says which of the two it was.
 */
class AttemptWatch {
  readonly controller = new AbortController();
  reason: 'cancelled' | 'timeout' | 'closed' | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort = (): void => this.abort('cancelled');

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly idleTimeoutMs: number | undefined,
  ) {
    if (signal?.aborted) this.abort('cancelled');
    else signal?.addEventListener('abort', this.onAbort, { once: true });
    this.touch();
  }

  /** Something arrived: the idle timeout starts again. */
  touch(): void {
    if (this.idleTimeoutMs === undefined || this.reason) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.abort('timeout'), this.idleTimeoutMs);
  }

  abort(reason: 'cancelled' | 'timeout' | 'closed'): void {
    if (this.reason) return;
    this.reason = reason;
    this.dispose();
    this.controller.abort(new Error(reason));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** Sends requests and retries them as the official SDKs do. */
export class Transport {
  readonly maxRetries: number;
  private readonly fetch: typeof fetch;
  private readonly sleepFn: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly now: () => number;

  constructor(deps: TransportDeps = {}) {
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.sleepFn = deps.sleep ?? defaultSleep;
    this.random = deps.random ?? Math.random;
    this.now = deps.now ?? Date.now;
    this.maxRetries = deps.maxRetries ?? 2;
  }

  /** Waits before a retry; rejects with `cancelled` when the caller cancels meanwhile. */
  async wait(ms: number, signal: AbortSignal | undefined, url: string): Promise<void> {
    await this.sleepFn(ms, signal);
    if (signal?.aborted) throw new LlmError('cancelled', `cancelled while waiting to retry ${url}`);
  }

  /** The wait before retry number `retriesSoFar + 1` (see `retryDelayMs`). */
  delayMs(retriesSoFar: number, headers?: Headers): number {
    return retryDelayMs(retriesSoFar, headers, this.random, this.now);
  }

  /**
   * Sends `request`, retrying retryable answers and connection errors while `retries` (those
   * already made for this request, by this or another cause) stays within `maxRetries`. Returns
   * the last answer, ok or not, and the retries made in all. Throws `LlmError` (unreachable,
   * timeout, cancelled).
   */
  async send(request: HttpRequest, retries = 0): Promise<{ exchange: Exchange; retries: number }> {
    for (;;) {
      let exchange: Exchange;
      try {
        exchange = await this.open(request);
      } catch (error) {
        if (error instanceof LlmError && error.kind === 'unreachable' && retries < this.maxRetries) {
          await this.wait(this.delayMs(retries), request.signal, request.url);
          retries++;
          continue;
        }
        if (error instanceof LlmError) error.details.retries = retries;
        throw error;
      }
      if (exchange.ok || retries >= this.maxRetries || !shouldRetry(exchange.status, exchange.headers)) return { exchange, retries };
      exchange.close();
      await this.wait(this.delayMs(retries, exchange.headers), request.signal, request.url);
      retries++;
    }
  }

  /** One attempt, no retry. */
  async open(request: HttpRequest): Promise<Exchange> {
    const watch = new AttemptWatch(request.signal, request.idleTimeoutMs);
    const failure = (error: unknown, partialText?: string): LlmError => {
      if (error instanceof LlmError) return error;
      if (watch.reason === 'cancelled') return new LlmError('cancelled', `cancelled: ${request.url}`, { partialText, cause: error });
      if (watch.reason === 'timeout') return new LlmError('timeout', `no answer from ${request.url} for ${request.idleTimeoutMs} ms`, { partialText, cause: error });
      return new LlmError('streamCut', `the answer from ${request.url} broke off: ${(error as Error).message}`, { partialText, cause: error });
    };
    let response: Response;
    try {
      response = await this.fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream, application/json', ...request.headers },
        body: JSON.stringify(request.body),
        signal: watch.controller.signal,
      });
    } catch (error) {
      watch.dispose();
      if (watch.reason) throw failure(error);
      const code = networkCode(error);
      throw new LlmError('unreachable', `cannot reach ${request.url}${code ? ` (${code})` : ''}: ${request.unreachableHint}`, { cause: error, ...(code ? { code } : {}) });
    }
    watch.touch();
    let received = '';
    const chunks = async function* (): AsyncGenerator<string> {
      if (!response.body) return;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          watch.touch();
          const text = decoder.decode(value, { stream: true });
          received += text;
          if (text) yield text;
        }
        const rest = decoder.decode();
        if (rest) yield rest;
      } catch (error) {
        throw failure(error, received);
      } finally {
        watch.dispose();
        reader.releaseLock();
      }
    };
    return {
      status: response.status,
      ok: response.ok,
      headers: response.headers,
      chunks,
      async text() {
        let text = '';
        try {
          for await (const piece of chunks()) text += piece;
        } catch {
          // What arrived is what there is.
        }
        return text;
      },
      close() {
        watch.abort('closed');
      },
    };
  }
}
