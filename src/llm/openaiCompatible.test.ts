import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelConstraints } from './modelConstraints';
import { createOpenAiCompatibleProvider, type OpenAiCompatibleOptions } from './openaiCompatible';
import { LlmError, type ChatMessage, type LlmProvider } from './provider';
import { startSimServer, type SimServer } from './testing/simServer';
import type { ArmParameters } from '../core/types';

let sim: SimServer;
before(async () => {
  sim = await startSimServer({ requireKey: 'sk-test', msPerToken: 0.01 });
});
after(() => sim.close());

const messages: ChatMessage[] = [
  { role: 'system', content: 'You write plans.' },
  { role: 'user', content: 'Task type: planTask\nTask: add a cache' },
];

/** A provider against the sim server, its waits recorded instead of slept. */
function provider(options: OpenAiCompatibleOptions = {}): { llm: LlmProvider; waits: number[] } {
  const waits: number[] = [];
  const llm = createOpenAiCompatibleProvider({
    baseUrl: sim.openAiBaseUrl,
    apiKey: 'sk-test',
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  return { llm, waits };
}

function send(llm: LlmProvider, params: ArmParameters, model = 'sim-plan', extra: { onText?: (t: string) => void; signal?: AbortSignal; idleTimeoutMs?: number } = {}) {
  return llm.stream({ model, messages, mapping: llm.map(params, model), ...extra });
}

async function rejection(promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LlmError, `not an LlmError: ${String(error)}`);
    return error;
  }
  assert.fail('the request succeeded');
}

test('streams a plan with the arm’s parameters, the server’s usage, time to first token and the model used', async () => {
  const { llm } = provider();
  const pieces: string[] = [];
  const before = sim.requests.length;
  const result = await send(llm, { temperature: 0.3, topP: 0.9, maxTokens: 1024, seed: 3 }, 'sim-plan', { onText: (t) => pieces.push(t) });
  const body = sim.requests[before]!.body as Record<string, unknown>;
  assert.deepEqual(
    { temperature: body.temperature, top_p: body.top_p, max_tokens: body.max_tokens, seed: body.seed, stream: body.stream, stream_options: body.stream_options },
    { temperature: 0.3, top_p: 0.9, max_tokens: 1024, seed: 3, stream: true, stream_options: { include_usage: true } },
  );
  assert.equal(sim.requests[before]!.headers.authorization, 'Bearer sk-test');
  assert.equal(result.text, sim.plans.at(-1)!.text);
  assert.ok(pieces.length > 10, `${pieces.length} pieces`);
  assert.equal(pieces.join(''), result.text);
  assert.equal(result.finishReason, 'stop');
  assert.equal(result.tokensOut, Math.ceil(result.text.length / 4));
  assert.equal(result.tokensIn, Math.ceil('You write plans.\nTask type: planTask\nTask: add a cache'.length / 4));
  assert.equal(result.usageEstimated, false);
  assert.equal(result.modelUsed, 'sim-plan');
  assert.equal(result.retries, 0);
  assert.ok(result.timeToFirstTokenMs !== undefined && result.timeToFirstTokenMs >= 0 && result.timeToFirstTokenMs <= result.latencyMs, `ttft ${result.timeToFirstTokenMs}, latency ${result.latencyMs}`);
  assert.deepEqual(result.learnedUnsupported, []);
});

test('a plan longer than max_tokens finishes with length', async () => {
  const { llm } = provider();
  const result = await send(llm, { temperature: 0.3, maxTokens: 100 });
  assert.equal(result.finishReason, 'length');
  assert.equal(result.text.length, 400);
});

test('429 is retried after the Retry-After seconds, twice, then reported as rate limited', async () => {
  const { llm, waits } = provider();
  sim.setFault({ kind: 'rateLimit', times: 2, retryAfterSeconds: 3 });
  const result = await send(llm, { temperature: 0.3 });
  assert.deepEqual(waits, [3000, 3000]);
  assert.equal(result.retries, 2);
  sim.setFault({ kind: 'rateLimit', times: 3, retryAfterMs: 1500 });
  const error = await rejection(send(llm, { temperature: 0.3 }));
  assert.equal(error.kind, 'rateLimited');
  assert.equal(error.details.status, 429);
  assert.equal(error.details.retries, 2);
  assert.deepEqual(waits, [3000, 3000, 1500, 1500]);
});

test('a Retry-After over 60 s is not trusted: the backoff is 0.5 s doubling, with jitter', async () => {
  const { llm, waits } = provider();
  sim.setFault({ kind: 'rateLimit', times: 2, retryAfterSeconds: 120 });
  await send(llm, { temperature: 0.3 });
  // 500 · 2^n · (1 − 0.25 · 0.5)
  assert.deepEqual(waits, [437.5, 875]);
});

test('a 500 is retried once and the plan still arrives', async () => {
  const { llm, waits } = provider();
  sim.setFault({ kind: 'serverError', times: 1 });
  const result = await send(llm, { temperature: 0.3 });
  assert.equal(result.retries, 1);
  assert.deepEqual(waits, [437.5]);
  assert.equal(result.finishReason, 'stop');
});

test('a quota error is told apart from a rate limit', async () => {
  const { llm } = provider({ maxRetries: 0 });
  sim.setFault({ kind: 'quota', times: 1 });
  const error = await rejection(send(llm, { temperature: 0.3 }));
  assert.equal(error.kind, 'quota');
  assert.equal(error.details.code, 'insufficient_quota');
});

test('a rejected parameter is learned and the request sent once more without it; a renamed one is sent under its new name', async () => {
  const constraints = new ModelConstraints();
  const { llm } = provider({ constraints });
  const before = sim.requests.length;
  const result = await send(llm, { temperature: 0.2, maxTokens: 600 }, 'sim-reasoning');
  assert.deepEqual(
    sim.requests.slice(before).map((r) => r.status),
    [400, 400, 200],
  );
  const last = sim.requests.at(-1)!.body as Record<string, unknown>;
  assert.equal(last.temperature, undefined);
  assert.equal(last.max_tokens, undefined);
  assert.equal(last.max_completion_tokens, 600);
  assert.deepEqual(result.learnedUnsupported, ['temperature']);
  assert.equal(result.retries, 2);
  assert.deepEqual(result.mapping.dropped, ['temperature']);
  assert.deepEqual(result.mapping.renamed, { maxTokens: 'max_completion_tokens' });
  assert.equal(result.mapping.effectiveKey, '{"maxTokens":600}');
  // What was learned holds for the next request: no rejection this time.
  const again = await send(llm, { temperature: 0.7, maxTokens: 600 }, 'sim-reasoning');
  assert.equal(again.retries, 0);
  assert.deepEqual(llm.map({ temperature: 0.7 }, 'sim-reasoning').dropped, ['temperature']);
});

test('each rejected parameter gets its own resend: temperature and top_p rejected in turn, the third attempt answers, and neither is sent next time', async () => {
  const constraints = new ModelConstraints();
  const { llm } = provider({ constraints });
  const before = sim.requests.length;
  const result = await send(llm, { temperature: 0.2, topP: 0.9 }, 'sim-reasoning');
  assert.deepEqual(
    sim.requests.slice(before).map((r) => r.status),
    [400, 400, 200],
  );
  assert.deepEqual(result.learnedUnsupported, ['temperature', 'topP']);
  assert.deepEqual(constraints.learnedUnsupported('openai-compatible', 'sim-reasoning'), ['temperature', 'topP']);
  const next = await send(llm, { temperature: 0.2, topP: 0.9 }, 'sim-reasoning');
  assert.equal(next.retries, 0);
  assert.deepEqual(next.mapping.honoured, []);
});

test('a stream cut midway is streamCut with the text received', async () => {
  const { llm } = provider();
  sim.setFault({ kind: 'streamCut', afterChars: 100 });
  const error = await rejection(send(llm, { temperature: 0.3, maxTokens: 1024 }));
  assert.equal(error.kind, 'streamCut');
  assert.equal(error.details.partialText?.length, 100);
  assert.equal(error.details.partialText, sim.plans.at(-1)!.text.slice(0, 100));
});

test('an overload reported in the stream before any text is retried', async () => {
  const { llm, waits } = provider();
  sim.setFault({ kind: 'overloadedInStream' });
  const result = await send(llm, { temperature: 0.3 });
  assert.equal(result.retries, 1);
  assert.deepEqual(waits, [437.5]);
  assert.equal(result.finishReason, 'stop');
});

test('cancelling stops the stream with kind cancelled', async () => {
  const slow = await startSimServer({ msPerToken: 2 });
  try {
    const llm = createOpenAiCompatibleProvider({ baseUrl: slow.openAiBaseUrl });
    const controller = new AbortController();
    let received = 0;
    const error = await rejection(
      llm.stream({
        model: 'sim-plan',
        messages,
        mapping: llm.map({ temperature: 0.3, maxTokens: 1024 }, 'sim-plan'),
        signal: controller.signal,
        onText: (t) => {
          received += t.length;
          controller.abort();
        },
      }),
    );
    assert.equal(error.kind, 'cancelled');
    assert.ok(received > 0 && received < slow.plans[0]!.text.length, `${received} of ${slow.plans[0]!.text.length} characters`);
  } finally {
    await slow.close();
  }
});

test('a server that stops answering times out after the idle time, before and after the headers', async () => {
  const { llm } = provider();
  sim.setFault({ kind: 'hang', times: 1 });
  const started = Date.now();
  const before = await rejection(send(llm, { temperature: 0.3 }, 'sim-plan', { idleTimeoutMs: 150 }));
  assert.equal(before.kind, 'timeout');
  assert.ok(Date.now() - started >= 140, `${Date.now() - started} ms`);
  sim.setFault({ kind: 'hang', times: 1, afterHeaders: true });
  const inside = await rejection(send(llm, { temperature: 0.3 }, 'sim-plan', { idleTimeoutMs: 150 }));
  assert.equal(inside.kind, 'timeout');
  assert.equal(inside.details.partialText, 'Hold on');
});

test('a wrong key is an auth error, not retried', async () => {
  const { llm, waits } = provider({ apiKey: 'sk-wrong' });
  const before = sim.requests.length;
  const error = await rejection(send(llm, { temperature: 0.3 }));
  assert.equal(error.kind, 'auth');
  assert.equal(error.details.status, 401);
  assert.equal(sim.requests.length - before, 1);
  assert.deepEqual(waits, []);
});

test('a missing model is notFound, with the pull command for Ollama', async () => {
  const { llm } = provider({ server: 'ollama' });
  const error = await rejection(send(llm, {}, 'missing-model'));
  assert.equal(error.kind, 'notFound');
  assert.match(error.message, /ollama pull missing-model/);
});

test('no server at the address is unreachable, naming the URL and what to do, after the retries', async () => {
  const closed = await startSimServer();
  const baseUrl = closed.openAiBaseUrl;
  await closed.close();
  const waits: number[] = [];
  const llm = createOpenAiCompatibleProvider({ baseUrl, server: 'ollama', sleep: async (ms) => void waits.push(ms), random: () => 0 });
  const error = await rejection(send(llm, { temperature: 0.3 }));
  assert.equal(error.kind, 'unreachable');
  assert.match(error.message, new RegExp(`cannot reach ${baseUrl.replace(/[.]/g, '\\.')}/chat/completions \\(ECONNREFUSED\\): is Ollama running\\? Start it with \`ollama serve\``));
  assert.deepEqual(waits, [500, 1000]);
  assert.equal(error.details.retries, 2);
});

/** A fetch that answers every request with `sse`, in pieces of 5 bytes. */
function fetchAnswering(sse: string, contentType = 'text/event-stream'): typeof fetch {
  return (async () =>
    new Response(
      new ReadableStream({
        start(controller) {
          const bytes = new TextEncoder().encode(sse);
          for (let i = 0; i < bytes.length; i += 5) controller.enqueue(bytes.slice(i, i + 5));
          controller.close();
        },
      }),
      { status: 200, headers: { 'content-type': contentType } },
    )) as typeof fetch;
}

test('without usage in the stream, tokens are estimated at 4 characters a token', async () => {
  const chunk = (content: string, finish: string | null = null) => `data: ${JSON.stringify({ model: 'llama3.2:3b', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
  const llm = createOpenAiCompatibleProvider({ fetch: fetchAnswering(chunk('1. Read the code.\n') + chunk('2. Write the test.', 'stop') + 'data: [DONE]\n\n') });
  const result = await send(llm, { temperature: 0.3 }, 'llama3.2:3b');
  assert.equal(result.text, '1. Read the code.\n2. Write the test.');
  assert.equal(result.usageEstimated, true);
  assert.equal(result.tokensOut, Math.ceil(36 / 4));
  assert.equal(result.tokensIn, Math.ceil('You write plans.\nTask type: planTask\nTask: add a cache'.length / 4));
  assert.equal(result.modelUsed, 'llama3.2:3b');
  assert.equal(llm.family('llama3.2:3b'), 'llama');
});

test('an error chunk after text fails the request with the text received, not retried', async () => {
  const sse = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: '1. Start' } }] })}\n\ndata: ${JSON.stringify({ error: { message: 'model crashed', type: 'server_error' } })}\n\n`;
  const waits: number[] = [];
  const llm = createOpenAiCompatibleProvider({ fetch: fetchAnswering(sse), sleep: async (ms) => void waits.push(ms) });
  const error = await rejection(send(llm, { temperature: 0.3 }));
  assert.equal(error.kind, 'server');
  assert.equal(error.details.partialText, '1. Start');
  assert.match(error.message, /model crashed/);
  assert.deepEqual(waits, []);
});

test('a stream that ends with neither a finish reason nor [DONE] is streamCut', async () => {
  const llm = createOpenAiCompatibleProvider({ fetch: fetchAnswering(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: '1. Half' } }] })}\n\n`) });
  const error = await rejection(send(llm, {}));
  assert.equal(error.kind, 'streamCut');
  assert.equal(error.details.partialText, '1. Half');
});

test('a server that ignores stream and answers JSON is read whole', async () => {
  const body = JSON.stringify({ model: 'm', choices: [{ message: { content: '1. One' }, finish_reason: 'length' }], usage: { prompt_tokens: 9, completion_tokens: 3 } });
  const llm = createOpenAiCompatibleProvider({ fetch: fetchAnswering(body, 'application/json') });
  const result = await send(llm, {});
  assert.deepEqual([result.text, result.finishReason, result.tokensIn, result.tokensOut, result.usageEstimated], ['1. One', 'length', 9, 3, false]);
});
