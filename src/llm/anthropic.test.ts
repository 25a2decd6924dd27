import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAnthropicProvider, type AnthropicOptions } from './anthropic';
import { ModelConstraints, parseModelConstraints } from './modelConstraints';
import { LlmError, type ChatMessage, type LlmProvider } from './provider';
import { startSimServer, type SimServer } from './testing/simServer';
import type { ArmParameters } from '../core/types';

let sim: SimServer;
before(async () => {
  sim = await startSimServer({ requireKey: 'ak-test', msPerToken: 0.01 });
});
after(() => sim.close());

const messages: ChatMessage[] = [
  { role: 'system', content: 'You write plans.' },
  { role: 'user', content: 'Task type: planSelection\nTask: split the function' },
];

function provider(options: Partial<AnthropicOptions> = {}): { llm: LlmProvider; waits: number[] } {
  const waits: number[] = [];
  const llm = createAnthropicProvider({
    baseUrl: sim.anthropicBaseUrl,
    apiKey: 'ak-test',
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  return { llm, waits };
}

function send(llm: LlmProvider, params: ArmParameters, model = 'claude-sonnet-4-5', onText?: (t: string) => void) {
  return llm.stream({ model, messages, mapping: llm.map(params, model), ...(onText ? { onText } : {}) });
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

test('streams a plan: the system text as system, max_tokens filled in, usage from message_start and message_delta', async () => {
  const { llm } = provider();
  const pieces: string[] = [];
  const before = sim.requests.length;
  const result = await send(llm, { temperature: 0.2, topP: 0.9, seed: 4, frequencyPenalty: 0.3 }, 'claude-sonnet-4-5', (t) => pieces.push(t));
  const request = sim.requests[before]!;
  const body = request.body as Record<string, unknown>;
  assert.equal(request.headers['x-api-key'], 'ak-test');
  assert.equal(request.headers['anthropic-version'], '2023-06-01');
  assert.equal(body.system, 'You write plans.');
  assert.deepEqual(body.messages, [{ role: 'user', content: 'Task type: planSelection\nTask: split the function' }]);
  assert.equal(body.max_tokens, 4096);
  assert.equal(body.temperature, 0.2);
  assert.deepEqual([body.top_p, body.seed, body.frequency_penalty], [undefined, undefined, undefined]);
  assert.deepEqual(result.mapping.dropped, ['topP', 'frequencyPenalty', 'seed']);
  assert.equal(result.text, sim.plans.at(-1)!.text);
  assert.equal(pieces.join(''), result.text);
  assert.equal(sim.plans.at(-1)!.taskType, 'planSelection');
  assert.equal(result.finishReason, 'stop');
  assert.equal(result.tokensIn, Math.ceil('You write plans.\nTask type: planSelection\nTask: split the function'.length / 4));
  assert.equal(result.tokensOut, Math.ceil(result.text.length / 4));
  assert.equal(result.usageEstimated, false);
  assert.equal(result.modelUsed, 'claude-sonnet-4-5');
  assert.ok(result.timeToFirstTokenMs !== undefined && result.timeToFirstTokenMs <= result.latencyMs);
});

test('max_tokens reached is finish reason length', async () => {
  const { llm } = provider();
  const result = await send(llm, { temperature: 0.2, maxTokens: 50 });
  assert.equal((sim.requests.at(-1)!.body as { max_tokens: number }).max_tokens, 50);
  assert.equal(result.finishReason, 'length');
  assert.equal(result.text.length, 200);
});

test('529 overloaded is retried, and reported as overloaded after two retries', async () => {
  const { llm, waits } = provider();
  sim.setFault({ kind: 'overloaded', times: 1 });
  const result = await send(llm, { temperature: 0.2 });
  assert.equal(result.retries, 1);
  sim.setFault({ kind: 'overloaded', times: 3 });
  const error = await rejection(send(llm, { temperature: 0.2 }));
  assert.equal(error.kind, 'overloaded');
  assert.equal(error.details.status, 529);
  assert.equal(error.details.code, 'overloaded_error');
  assert.equal(error.details.retries, 2);
  // 500 · 2^n · (1 − 0.25 · 0.5)
  assert.deepEqual(waits, [437.5, 437.5, 875]);
});

test('an overloaded_error event before any text is retried', async () => {
  const { llm, waits } = provider();
  sim.setFault({ kind: 'overloadedInStream', times: 1 });
  const result = await send(llm, { temperature: 0.2 });
  assert.equal(result.retries, 1);
  assert.deepEqual(waits, [437.5]);
  sim.setFault({ kind: 'overloadedInStream', times: 3 });
  const error = await rejection(send(llm, { temperature: 0.2 }));
  assert.equal(error.kind, 'overloaded');
  assert.equal(error.details.code, 'overloaded_error');
});

test('429 waits for its retry-after', async () => {
  const { llm, waits } = provider();
  sim.setFault({ kind: 'rateLimit', times: 1, retryAfterSeconds: 2, api: 'anthropic' });
  const result = await send(llm, { temperature: 0.2 });
  assert.equal(result.retries, 1);
  assert.deepEqual(waits, [2000]);
});

test('"cannot both be specified" teaches the exclusive pair and the request is sent once more with temperature only', async () => {
  // A user entry claims the model takes both; the server says otherwise.
  const constraints = new ModelConstraints(parseModelConstraints([{ provider: 'anthropic', model: 'claude-sim*', exclusive: [] }], 'mc'));
  const { llm } = provider({ constraints });
  const before = sim.requests.length;
  const result = await send(llm, { temperature: 0.2, topP: 0.9 }, 'claude-sim-4-5');
  assert.deepEqual(
    sim.requests.slice(before).map((r) => r.status),
    [400, 200],
  );
  assert.equal((sim.requests.at(-1)!.body as { top_p?: number }).top_p, undefined);
  assert.deepEqual(result.learnedUnsupported, ['topP']);
  assert.deepEqual(result.mapping.dropped, ['topP']);
  assert.equal(result.retries, 1);
  assert.deepEqual(llm.map({ temperature: 0.5, topP: 0.5 }, 'claude-sim-4-5').honoured, ['temperature']);
  assert.deepEqual(llm.map({ topP: 0.5 }, 'claude-sim-4-5').honoured, ['topP']);
});

test('a wrong key is an auth error', async () => {
  const { llm } = provider({ apiKey: 'wrong' });
  const error = await rejection(send(llm, { temperature: 0.2 }));
  assert.equal(error.kind, 'auth');
  assert.equal(error.details.code, 'authentication_error');
});

test('a stream cut before message_stop is streamCut with the text received', async () => {
  const { llm } = provider();
  sim.setFault({ kind: 'streamCut', afterChars: 60 });
  const error = await rejection(send(llm, { temperature: 0.2 }));
  assert.equal(error.kind, 'streamCut');
  assert.equal(error.details.partialText, sim.plans.at(-1)!.text.slice(0, 60));
});

test('unknown events, thinking and pings are skipped; usage is the last cumulative one', async () => {
  const events = [
    ['message_start', { message: { model: 'claude-x-20990101', usage: { input_tokens: 12, output_tokens: 1 } } }],
    ['content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } }],
    ['content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }],
    ['ping', {}],
    ['content_block_future', { whatever: true }],
    ['content_block_delta', { index: 1, delta: { type: 'text_delta', text: '1. Do it' } }],
    ['message_delta', { delta: { stop_reason: 'stop_sequence' }, usage: { output_tokens: 5 } }],
    ['message_delta', { delta: {}, usage: { output_tokens: 7 } }],
    ['message_stop', {}],
  ] as const;
  const sse = events.map(([name, data]) => `event: ${name}\r\ndata: ${JSON.stringify({ type: name, ...data })}\r\n\r\n`).join('');
  const fakeFetch = (async () =>
    new Response(
      new ReadableStream({
        start(controller) {
          // Pieces of 7 bytes: events split everywhere.
          const bytes = new TextEncoder().encode(sse);
          for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
          controller.close();
        },
      }),
      { status: 200, headers: { 'content-type': 'text/event-stream' } },
    )) as typeof fetch;
  const llm = createAnthropicProvider({ apiKey: 'k', fetch: fakeFetch });
  const result = await send(llm, { temperature: 0.2 }, 'claude-x');
  assert.deepEqual(
    { text: result.text, finishReason: result.finishReason, tokensIn: result.tokensIn, tokensOut: result.tokensOut, modelUsed: result.modelUsed },
    { text: '1. Do it', finishReason: 'stop', tokensIn: 12, tokensOut: 7, modelUsed: 'claude-x-20990101' },
  );
});
