import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamRng } from '../../core/math/random';
import { drawPlan, expectedQuality, scorePlan, startSimServer, taskTypeOf } from './simServer';

test('each task type has its best temperature and budget, and quality falls away from them', () => {
  assert.ok(Math.abs(expectedQuality('planTask', { temperature: 0.3, maxTokens: 1024, topP: 1 }) - 0.95) < 1e-12);
  assert.ok(expectedQuality('planTask', { temperature: 0.9, maxTokens: 1024 }) < 0.5);
  assert.ok(expectedQuality('planTask', { temperature: 0.3, maxTokens: 256 }) < 0.6);
  assert.ok(expectedQuality('planTests', { temperature: 0.1, maxTokens: 2048 }) > expectedQuality('planTests', { temperature: 0.3, maxTokens: 2048 }));
  assert.ok(expectedQuality('breakDownTodo', { temperature: 0.6, maxTokens: 384 }) > expectedQuality('breakDownTodo', { temperature: 0.3, maxTokens: 384 }));
  // An omitted temperature is taken as 1, as Ollama's /v1 does.
  assert.equal(expectedQuality('planTask', {}), expectedQuality('planTask', { temperature: 1, topP: 1, maxTokens: 4096 }));
});

test('a drawn plan is numbered, its share of concrete steps tracks the expected quality, and a small budget cuts it', () => {
  let sum = 0;
  for (let n = 0; n < 200; n++) sum += scorePlan(drawPlan('planTask', { temperature: 0.3, maxTokens: 1024 }, streamRng(5, n)).text).score;
  assert.ok(Math.abs(sum / 200 - 0.95) < 0.03, `mean score ${sum / 200}`);
  const full = drawPlan('planTask', { temperature: 0.3, maxTokens: 1024 }, streamRng(5, 0));
  assert.equal(full.truncated, false);
  assert.equal(scorePlan(full.text).steps, 8);
  const cut = drawPlan('planTask', { temperature: 0.3, maxTokens: 128 }, streamRng(5, 0));
  assert.equal(cut.truncated, true);
  assert.equal(cut.text.length, 128 * 4);
});

test('the task type is read from the prompt, planTask when none is named', () => {
  assert.equal(taskTypeOf('Task type: planTests\nLanguage: ts'), 'planTests');
  assert.equal(taskTypeOf('Task type: cooking'), 'planTask');
  assert.equal(taskTypeOf('hello'), 'planTask');
});

test('the server answers non-streamed chat completions and lists its models, and refuses a wrong key', async () => {
  const sim = await startSimServer({ requireKey: 'k1', msPerToken: 0 });
  try {
    const models = await fetch(`${sim.openAiBaseUrl}/models`, { headers: { authorization: 'Bearer k1' } });
    assert.equal(models.status, 200);
    assert.ok(((await models.json()) as { data: Array<{ id: string }> }).data.some((m) => m.id === 'sim-reasoning'));
    const body = { model: 'sim-plan', messages: [{ role: 'user', content: 'Task type: breakDownTodo' }], temperature: 0.6, max_tokens: 384 };
    const answer = await fetch(`${sim.openAiBaseUrl}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer k1' }, body: JSON.stringify(body) });
    const json = (await answer.json()) as { choices: Array<{ message: { content: string }; finish_reason: string }>; usage: { completion_tokens: number } };
    assert.equal(json.choices[0]!.finish_reason, 'stop');
    assert.equal(scorePlan(json.choices[0]!.message.content).steps, 5);
    assert.equal(json.usage.completion_tokens, Math.ceil(json.choices[0]!.message.content.length / 4));
    assert.equal(sim.plans[0]!.taskType, 'breakDownTodo');
    const wrong = await fetch(`${sim.openAiBaseUrl}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: JSON.stringify(body) });
    assert.equal(wrong.status, 401);
    assert.deepEqual(sim.requests.map((r) => r.status), [200, 200, 401]);
  } finally {
    await sim.close();
  }
});
