/**
 * A simulated LLM server over real HTTP, for tests of the providers, the extension and the CLI. It
 * serves OpenAI-compatible `/v1/chat/completions` (streamed and not) and `/v1/models`, and
 * Anthropic's `/v1/messages` (streamed and not), and writes numbered plans whose quality, length
 * and latency respond to the parameters by task type along a known landscape (simLandscape.ts: `expectedQuality`,
 * `expectedPlanTokens`), with noise seeded per request. Faults are switched on with `setFault`:
 * 429 with Retry-After, 5xx, 529 and in-stream overload, a stream cut midway, a hang, a quota error.
 *
 * Models: any name works; `sim-reasoning` (and any name containing `reasoning`) answers as OpenAI's
 * reasoning models do (400 `unsupported_parameter`/`unsupported_value` on temperature ≠ 1, top_p,
 * penalties and `max_tokens`, with OpenAI's exact error shape). On `/v1/messages`, models not named
 * `claude-3*` refuse temperature and top_p together, as recent Anthropic models do.
 *
 * The task type is read from a line `Task type: <planTask|planSelection|breakDownTodo|planTests>` in
 * the messages (the planning prompts open the user turn with it); planTask when there is none.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { hashString, streamRng } from '../../core/math/random';
import type { ArmParameters } from '../../core/types';
import { drawPlan, simTokens, taskTypeOf, type SimPlan } from './simLandscape';

export * from './simLandscape';

/** A fault the server plays on the next `times` requests (of `api`, when given). */
export type SimFault = { times?: number; api?: 'openai' | 'anthropic' } & (
  | { kind: 'rateLimit'; retryAfterSeconds?: number; retryAfterMs?: number; retryAfterDate?: string }
  | { kind: 'serverError'; status?: number }
  /** Anthropic: HTTP 529 overloaded_error; OpenAI: 503. */
  | { kind: 'overloaded' }
  /** Streams an error event before any text (Anthropic `overloaded_error`; OpenAI `{"error":…}` chunk). */
  | { kind: 'overloadedInStream' }
  /** Drops the connection after `afterChars` characters of text (default half the plan). */
  | { kind: 'streamCut'; afterChars?: number }
  /** Never answers (`afterHeaders`: sends the headers and some text, then nothing). */
  | { kind: 'hang'; afterHeaders?: boolean }
  /** 429 with OpenAI's `insufficient_quota` code. */
  | { kind: 'quota' }
);

/** A request the server received. */
export interface SimRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** What the server answered (status), once decided. */
  status?: number;
  fault?: SimFault['kind'];
}

export interface SimServerOptions {
  /** A key every request must carry (`Authorization: Bearer …` or `x-api-key`); else 401. */
  requireKey?: string;
  /** Milliseconds per output token, spread over the stream (default 0.2). */
  msPerToken?: number;
  /** Milliseconds from the response's headers (sent at once) to the first token (default 2). */
  firstTokenMs?: number;
  /** Seeds the noise: request n draws from stream n of this seed (default 1). */
  seed?: number;
  /** Characters of plan text per streamed chunk (default 24). */
  chunkChars?: number;
}

export interface SimServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `<url>/v1`, the base URL of the OpenAI-compatible API. */
  openAiBaseUrl: string;
  /** `<url>`, the base URL of the Anthropic API (`/v1/messages` under it). */
  anthropicBaseUrl: string;
  /** Every request received, in order. */
  requests: SimRequest[];
  /** Plays `fault` on the next `fault.times` (default 1) requests; none clears it. */
  setFault(fault?: SimFault): void;
  /** The plans drawn, in order (the truth behind each answer). */
  plans: SimPlan[];
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function openAiError(message: string, type: string, param: string | null, code: string | null): unknown {
  return { error: { message, type, param, code } };
}

function anthropicError(type: string, message: string): unknown {
  return { type: 'error', error: { type, message } };
}

type Json = Record<string, unknown>;

/** Starts a sim server on 127.0.0.1 at a free port. */
export async function startSimServer(options: SimServerOptions = {}): Promise<SimServer> {
  const msPerToken = options.msPerToken ?? 0.2;
  const firstTokenMs = options.firstTokenMs ?? 2;
  const seed = options.seed ?? 1;
  const chunkChars = options.chunkChars ?? 24;
  const requests: SimRequest[] = [];
  const plans: SimPlan[] = [];
  const sockets = new Set<Socket>();
  let fault: (SimFault & { left: number }) | undefined;
  let drawn = 0;

  const takeFault = (api: 'openai' | 'anthropic'): SimFault | undefined => {
    if (!fault || fault.left <= 0 || (fault.api && fault.api !== api)) return undefined;
    fault.left--;
    const taken = fault;
    if (fault.left <= 0) fault = undefined;
    return taken;
  };

  /** Streams `text` in chunks at the configured pace; false when the connection was cut. */
  const pace = async (res: ServerResponse, pieces: string[], tokens: number): Promise<void> => {
    const total = tokens * msPerToken;
    // A handful of pauses rather than one per chunk: timers are coarse, tests should stay fast.
    const pauses = Math.min(pieces.length, 8);
    const every = Math.max(1, Math.ceil(pieces.length / pauses));
    for (let i = 0; i < pieces.length; i++) {
      if (res.destroyed) return;
      res.write(pieces[i]);
      if (total >= 1 && i % every === every - 1) await sleep(total / pauses);
    }
  };

  /** Drops the connection once what was written has left (destroying at once would discard it). */
  const cut = (res: ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      res.write('', () => {
        res.destroy();
        resolve();
      });
    });

  const chunksOf = (text: string): string[] => {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += chunkChars) out.push(text.slice(i, i + chunkChars));
    return out;
  };

  const authorised = (req: IncomingMessage): boolean => {
    if (options.requireKey === undefined) return true;
    const bearer = req.headers.authorization;
    return bearer === `Bearer ${options.requireKey}` || req.headers['x-api-key'] === options.requireKey;
  };

  const promptOf = (body: Json): string => {
    const messages = Array.isArray(body.messages) ? (body.messages as Array<{ content?: unknown }>) : [];
    const system = typeof body.system === 'string' ? body.system : '';
    return [system, ...messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')))].join('\n');
  };

  const playFault = async (taken: SimFault, res: ServerResponse, api: 'openai' | 'anthropic'): Promise<boolean> => {
    switch (taken.kind) {
      case 'rateLimit': {
        const headers: Record<string, string> = {};
        if (taken.retryAfterSeconds !== undefined) headers['retry-after'] = String(taken.retryAfterSeconds);
        if (taken.retryAfterMs !== undefined) headers['retry-after-ms'] = String(taken.retryAfterMs);
        if (taken.retryAfterDate !== undefined) headers['retry-after'] = taken.retryAfterDate;
        if (api === 'openai') sendJson(res, 429, openAiError('Rate limit reached for requests', 'requests', null, 'rate_limit_exceeded'), headers);
        else sendJson(res, 429, anthropicError('rate_limit_error', 'Number of requests has exceeded your rate limit'), headers);
        return true;
      }
      case 'quota':
        sendJson(res, 429, openAiError('You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', null, 'insufficient_quota'));
        return true;
      case 'serverError':
        if (api === 'openai') sendJson(res, taken.status ?? 500, openAiError('The server had an error while processing your request.', 'server_error', null, null));
        else sendJson(res, taken.status ?? 500, anthropicError('api_error', 'Internal server error'));
        return true;
      case 'overloaded':
        if (api === 'openai') sendJson(res, 503, openAiError('The engine is currently overloaded, please try again later.', 'server_error', null, null));
        else sendJson(res, 529, anthropicError('overloaded_error', 'Overloaded'));
        return true;
      case 'hang':
        if (taken.afterHeaders) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(api === 'openai' ? `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hold on' } }] })}\n\n` : 'event: ping\ndata: {"type":"ping"}\n\n');
        }
        return true;
      default:
        return false;
    }
  };

  const reasoningRejection = (body: Json): unknown => {
    const unsupported = (param: string, extra = ''): unknown => openAiError(`Unsupported parameter: '${param}' is not supported with this model.${extra}`, 'invalid_request_error', param, 'unsupported_parameter');
    if (body.temperature !== undefined && body.temperature !== 1) {
      return openAiError(`Unsupported value: 'temperature' does not support ${String(body.temperature)} with this model. Only the default (1) value is supported.`, 'invalid_request_error', 'temperature', 'unsupported_value');
    }
    for (const param of ['top_p', 'frequency_penalty', 'presence_penalty']) if (body[param] !== undefined) return unsupported(param);
    if (body.max_tokens !== undefined) return unsupported('max_tokens', " Use 'max_completion_tokens' instead.");
    return undefined;
  };

  const handleOpenAi = async (body: Json, res: ServerResponse, log: SimRequest): Promise<void> => {
    const model = typeof body.model === 'string' ? body.model : '';
    if (model === '') return sendJson(res, 400, openAiError('you must provide a model parameter', 'invalid_request_error', 'model', null));
    if (model.includes('missing')) return sendJson(res, 404, openAiError(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found'));
    if (model.includes('reasoning')) {
      const rejection = reasoningRejection(body);
      if (rejection) {
        log.status = 400;
        return sendJson(res, 400, rejection);
      }
    }
    const taken = takeFault('openai');
    if (taken) log.fault = taken.kind;
    if (taken && (await playFault(taken, res, 'openai'))) {
      log.status = res.statusCode;
      return;
    }
    const params: ArmParameters = {
      temperature: typeof body.temperature === 'number' ? body.temperature : undefined,
      topP: typeof body.top_p === 'number' ? body.top_p : undefined,
      maxTokens: typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : typeof body.max_tokens === 'number' ? body.max_tokens : undefined,
    };
    const prompt = promptOf(body);
    const plan = drawPlan(taskTypeOf(prompt), params, streamRng(seed ^ hashString(model), drawn++));
    plans.push(plan);
    const promptTokens = simTokens(prompt);
    const completionTokens = simTokens(plan.text);
    const finish = plan.truncated ? 'length' : 'stop';
    const id = `chatcmpl-sim${drawn}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
    log.status = 200;
    if (body.stream !== true) {
      await sleep(firstTokenMs + completionTokens * msPerToken);
      return sendJson(res, 200, { id, object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content: plan.text }, finish_reason: finish }], usage });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // The headers at once, the first token after the model's delay (as OpenAI's API and vLLM answer).
    res.flushHeaders();
    const chunk = (choices: unknown[], extra: Json = {}): string => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`;
    await sleep(firstTokenMs);
    res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
    if (taken?.kind === 'overloadedInStream') {
      res.end(`data: ${JSON.stringify({ error: { message: 'The server is overloaded', type: 'server_error', param: null, code: 'overloaded' } })}\n\n`);
      return;
    }
    const text = taken?.kind === 'streamCut' ? plan.text.slice(0, taken.afterChars ?? Math.floor(plan.text.length / 2)) : plan.text;
    await pace(
      res,
      chunksOf(text).map((piece) => chunk([{ index: 0, delta: { content: piece }, finish_reason: null }])),
      simTokens(text),
    );
    if (taken?.kind === 'streamCut') return cut(res);
    res.write(chunk([{ index: 0, delta: {}, finish_reason: finish }]));
    const streamOptions = body.stream_options as { include_usage?: unknown } | undefined;
    if (streamOptions?.include_usage === true) res.write(chunk([], { usage }));
    res.end('data: [DONE]\n\n');
  };

  const handleAnthropic = async (req: IncomingMessage, body: Json, res: ServerResponse, log: SimRequest): Promise<void> => {
    const invalid = (message: string): void => {
      log.status = 400;
      sendJson(res, 400, anthropicError('invalid_request_error', message));
    };
    if (req.headers['anthropic-version'] === undefined) return invalid('anthropic-version: header is required');
    const model = typeof body.model === 'string' ? body.model : '';
    if (model === '') return invalid('model: Field required');
    if (typeof body.max_tokens !== 'number') return invalid('max_tokens: Field required');
    if (model.includes('missing')) {
      log.status = 404;
      return sendJson(res, 404, anthropicError('not_found_error', `model: ${model}`));
    }
    for (const field of ['frequency_penalty', 'presence_penalty', 'seed', 'reasoning_effort']) if (body[field] !== undefined) return invalid(`${field}: Extra inputs are not permitted`);
    if (typeof body.temperature === 'number' && (body.temperature < 0 || body.temperature > 1)) return invalid('temperature: Input should be less than or equal to 1');
    if (!model.startsWith('claude-3') && body.temperature !== undefined && body.top_p !== undefined) {
      return invalid('`temperature` and `top_p` cannot both be specified for this model. Please use only one.');
    }
    const taken = takeFault('anthropic');
    if (taken) log.fault = taken.kind;
    if (taken && (await playFault(taken, res, 'anthropic'))) {
      log.status = res.statusCode;
      return;
    }
    const params: ArmParameters = {
      temperature: typeof body.temperature === 'number' ? body.temperature : undefined,
      topP: typeof body.top_p === 'number' ? body.top_p : undefined,
      maxTokens: body.max_tokens,
    };
    const prompt = promptOf(body);
    const plan = drawPlan(taskTypeOf(prompt), params, streamRng(seed ^ hashString(model), drawn++));
    plans.push(plan);
    const inputTokens = simTokens(prompt);
    const outputTokens = simTokens(plan.text);
    const stopReason = plan.truncated ? 'max_tokens' : 'end_turn';
    const id = `msg_sim${drawn}`;
    log.status = 200;
    if (body.stream !== true) {
      await sleep(firstTokenMs + outputTokens * msPerToken);
      return sendJson(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text: plan.text }],
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: outputTokens },
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const event = (name: string, data: Json): string => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
    await sleep(firstTokenMs);
    res.write(event('message_start', { message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: 1 } } }));
    if (taken?.kind === 'overloadedInStream') {
      res.end(event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
      return;
    }
    res.write(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    res.write(event('ping', {}));
    const text = taken?.kind === 'streamCut' ? plan.text.slice(0, taken.afterChars ?? Math.floor(plan.text.length / 2)) : plan.text;
    await pace(
      res,
      chunksOf(text).map((piece) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } })),
      simTokens(text),
    );
    if (taken?.kind === 'streamCut') return cut(res);
    res.write(event('content_block_stop', { index: 0 }));
    res.write(event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } }));
    res.end(event('message_stop', {}));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    let body: unknown = undefined;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const log: SimRequest = { method: req.method ?? 'GET', path, headers: { ...req.headers }, body };
    requests.push(log);
    const anthropic = path === '/v1/messages';
    if (!authorised(req)) {
      log.status = 401;
      if (anthropic) return sendJson(res, 401, anthropicError('authentication_error', 'invalid x-api-key'));
      return sendJson(res, 401, openAiError('Incorrect API key provided.', 'invalid_request_error', null, 'invalid_api_key'));
    }
    if (req.method === 'GET' && path === '/v1/models') {
      log.status = 200;
      const ids = ['sim-plan', 'sim-fast', 'sim-reasoning', 'claude-sim-4-5'];
      return sendJson(res, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'paramloop-sim' })) });
    }
    if (req.method !== 'POST' || (path !== '/v1/chat/completions' && !anthropic)) {
      log.status = 404;
      return sendJson(res, 404, openAiError(`no route ${req.method} ${path}`, 'invalid_request_error', null, 'not_found'));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      log.status = 400;
      if (anthropic) return sendJson(res, 400, anthropicError('invalid_request_error', 'the body is not a JSON object'));
      return sendJson(res, 400, openAiError('We could not parse the JSON body of your request.', 'invalid_request_error', null, null));
    }
    if (anthropic) return handleAnthropic(req, body as Json, res, log);
    return handleOpenAi(body as Json, res, log);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, openAiError(`sim server: ${(error as Error).message}`, 'server_error', null, null));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    openAiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    requests,
    plans,
    setFault(next) {
      fault = next ? { ...next, left: next.times ?? 1 } : undefined;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
