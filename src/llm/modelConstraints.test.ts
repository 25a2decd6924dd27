import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapArm, ModelConstraints, ModelConstraintsError, modelFamily, parameterForWireName, parseModelConstraints, serverKindFromBaseUrl, wireName } from './modelConstraints';

const constraints = new ModelConstraints();
const arm = { temperature: 0.2, topP: 0.9, topK: 40, maxTokens: 1024, frequencyPenalty: 0.1, presencePenalty: 0, seed: 7, stop: ['\n\n\n'], reasoningEffort: 'low' as const };

test('a generic OpenAI-compatible model honours the OpenAI parameters and drops top_k and reasoning effort', () => {
  const mapping = mapArm('openai-compatible', 'llama3.2', arm, constraints);
  assert.deepEqual(mapping.honoured, ['temperature', 'topP', 'maxTokens', 'frequencyPenalty', 'presencePenalty', 'seed', 'stop']);
  assert.deepEqual(mapping.dropped, ['topK', 'reasoningEffort']);
  assert.deepEqual(mapping.renamed, {});
  assert.equal(mapping.ineligible, undefined);
  assert.deepEqual(mapping.requested, arm);
  assert.equal(mapping.sent.topK, undefined);
  assert.equal(mapping.sent.temperature, 0.2);
});

test('top_k is honoured on LM Studio, vLLM and llama.cpp, and dropped on Ollama', () => {
  const params = { temperature: 0.5, topK: 40 };
  assert.deepEqual(mapArm('openai-compatible', 'qwen2.5', params, constraints, { server: 'lmstudio' }).honoured, ['temperature', 'topK']);
  assert.deepEqual(mapArm('openai-compatible', 'qwen2.5', params, constraints, { server: 'vllm' }).honoured, ['temperature', 'topK']);
  assert.deepEqual(mapArm('openai-compatible', 'qwen2.5', params, constraints, { server: 'llama.cpp' }).honoured, ['temperature', 'topK']);
  assert.deepEqual(mapArm('openai-compatible', 'qwen2.5', params, constraints, { server: 'ollama' }).dropped, ['topK']);
  assert.equal(serverKindFromBaseUrl('http://localhost:11434/v1'), 'ollama');
  assert.equal(serverKindFromBaseUrl('http://127.0.0.1:1234/v1'), 'lmstudio');
  assert.equal(serverKindFromBaseUrl('https://api.openai.com/v1'), 'openai');
  assert.equal(serverKindFromBaseUrl('http://127.0.0.1:40123/v1'), undefined);
});

test('OpenAI reasoning models drop sampling controls, rename max_tokens and take reasoning_effort', () => {
  const o3 = mapArm('openai-compatible', 'o3-mini', arm, constraints);
  assert.deepEqual(o3.honoured, ['maxTokens', 'seed', 'reasoningEffort']);
  assert.deepEqual(o3.dropped, ['temperature', 'topP', 'topK', 'frequencyPenalty', 'presencePenalty', 'stop']);
  assert.deepEqual(o3.renamed, { maxTokens: 'max_completion_tokens' });
  assert.equal(o3.effectiveKey, '{"maxTokens":1024,"reasoningEffort":"low","seed":7}');
  const gpt5 = mapArm('openai-compatible', 'gpt-5-mini', arm, constraints);
  assert.deepEqual(gpt5.honoured, ['maxTokens', 'seed', 'stop', 'reasoningEffort']);
  assert.equal(wireName('openai-compatible', 'maxTokens', gpt5), 'max_completion_tokens');
  assert.equal(wireName('openai-compatible', 'maxTokens', mapArm('openai-compatible', 'gpt-4o', arm, constraints)), 'max_tokens');
});

test('a reasoning effort the model does not take makes the arm ineligible', () => {
  const mapping = mapArm('openai-compatible', 'o3', { reasoningEffort: 'minimal' }, constraints);
  assert.equal(mapping.ineligible, 'o3: reasoningEffort minimal is refused: only low, medium, high');
  assert.equal(mapArm('openai-compatible', 'gpt-5', { reasoningEffort: 'minimal' }, constraints).ineligible, undefined);
});

test('arms that differ only in dropped parameters share an effective key', () => {
  const a = mapArm('openai-compatible', 'o4-mini', { temperature: 0.2, maxTokens: 2048 }, constraints);
  const b = mapArm('openai-compatible', 'o4-mini', { temperature: 0.9, maxTokens: 2048 }, constraints);
  const c = mapArm('openai-compatible', 'o4-mini', { temperature: 0.9, maxTokens: 4096 }, constraints);
  assert.equal(a.effectiveKey, b.effectiveKey);
  assert.notEqual(a.effectiveKey, c.effectiveKey);
  // The key is canonical: the order parameters were given in does not matter.
  assert.equal(mapArm('openai-compatible', 'llama3', { topP: 0.9, temperature: 0.2 }, constraints).effectiveKey, '{"temperature":0.2,"topP":0.9}');
});

test('Anthropic drops penalties, seed and reasoning effort, keeps temperature over top_p, and fills max_tokens', () => {
  const mapping = mapArm('anthropic', 'claude-sonnet-4-5', { temperature: 0.3, topP: 0.9, topK: 20, seed: 1, frequencyPenalty: 0.5, reasoningEffort: 'high' }, constraints);
  assert.deepEqual(mapping.honoured, ['temperature', 'topK']);
  assert.deepEqual(mapping.dropped, ['topP', 'frequencyPenalty', 'seed', 'reasoningEffort']);
  assert.deepEqual(mapping.providerDefaults, { maxTokens: 4096 });
  assert.equal(mapping.ineligible, undefined);
  // Older models take both.
  assert.deepEqual(mapArm('anthropic', 'claude-3-5-haiku-latest', { temperature: 0.3, topP: 0.9 }, constraints).honoured, ['temperature', 'topP']);
  // top_p alone is sent.
  assert.deepEqual(mapArm('anthropic', 'claude-sonnet-4-5', { topP: 0.9, maxTokens: 800 }, constraints).honoured, ['topP', 'maxTokens']);
  assert.equal(mapArm('anthropic', 'claude-sonnet-4-5', { maxTokens: 800 }, constraints).providerDefaults, undefined);
});

test('Anthropic temperature above 1 is refused, and the newest models take temperature 1 and top_p ≥ 0.99 only', () => {
  assert.equal(mapArm('anthropic', 'claude-sonnet-4-5', { temperature: 1.4 }, constraints).ineligible, 'claude-sonnet-4-5: temperature 1.4 is refused: at most 1');
  const newest = mapArm('anthropic', 'claude-opus-4-7', { temperature: 0.7, topK: 40 }, constraints);
  assert.equal(newest.ineligible, 'claude-opus-4-7: temperature 0.7 is refused: only 1');
  assert.deepEqual(newest.dropped, ['topK']);
  assert.equal(mapArm('anthropic', 'claude-opus-4-7', { temperature: 1 }, constraints).ineligible, undefined);
  assert.equal(mapArm('anthropic', 'claude-opus-4-7', { topP: 0.95 }, constraints).ineligible, 'claude-opus-4-7: topP 0.95 is refused: at least 0.99');
  assert.equal(mapArm('anthropic', 'claude-opus-4-7', { topP: 0.99 }, constraints).ineligible, undefined);
});

test('Copilot’s VS Code models honour temperature, max_tokens and penalties, its Claude only top_p and max_tokens', () => {
  const copilot = { vendor: 'copilot' };
  assert.deepEqual(mapArm('vscode-lm', 'gpt-4.1', arm, constraints, copilot).honoured, ['temperature', 'maxTokens', 'frequencyPenalty', 'presencePenalty']);
  assert.deepEqual(mapArm('vscode-lm', 'claude-sonnet-4', arm, constraints, copilot).honoured, ['topP', 'maxTokens']);
  assert.deepEqual(mapArm('vscode-lm', 'gpt-5-mini', arm, constraints, { vendor: 'Copilot' }).honoured, ['maxTokens'], 'vendors compare without case');
});

test('Copilot’s table is not applied to another vendor’s models of the same name, nor to a model whose vendor is unknown', () => {
  for (const scope of [{ vendor: 'acme-models' }, {}]) {
    for (const model of ['gpt-4.1', 'claude-sonnet-4', 'gpt-5-mini']) {
      const mapping = mapArm('vscode-lm', model, arm, constraints, scope);
      assert.deepEqual(mapping.dropped, [], `${model} of ${scope.vendor ?? 'an unknown vendor'}`);
      assert.deepEqual(mapping.honoured, ['temperature', 'topP', 'topK', 'maxTokens', 'frequencyPenalty', 'presencePenalty', 'seed', 'stop', 'reasoningEffort']);
    }
  }
  // A user's entry for that vendor says what its models drop; it leaves Copilot's alone.
  const user = new ModelConstraints(parseModelConstraints([{ provider: 'vscode-lm', vendor: 'acme-models', model: '*', ignored: ['topP'] }], 'mc'));
  assert.deepEqual(mapArm('vscode-lm', 'gpt-4.1', arm, user, { vendor: 'acme-models' }).dropped, ['topP']);
  assert.deepEqual(mapArm('vscode-lm', 'gpt-4.1', arm, user, { vendor: 'copilot' }).dropped, ['topP', 'topK', 'seed', 'stop', 'reasoningEffort']);
  assert.deepEqual(mapArm('vscode-lm', 'claude-sonnet-4', arm, user, { vendor: 'copilot' }).honoured, ['topP', 'maxTokens']);
  assert.equal(user.resolve('vscode-lm', 'x', { vendor: 'acme-models' }).because.topP, 'vscode-lm of acme-models "*"');
  // An entry without a vendor applies to every vendor's models, below one that names the vendor.
  const any = new ModelConstraints(parseModelConstraints([{ provider: 'vscode-lm', model: 'gpt-4.1', honoured: ['seed'], ignored: ['topP'] }], 'mc'));
  assert.deepEqual(mapArm('vscode-lm', 'gpt-4.1', { topP: 0.9, seed: 1 }, any, { vendor: 'acme-models' }).dropped, ['topP']);
  assert.deepEqual(mapArm('vscode-lm', 'gpt-4.1', { topP: 0.9, seed: 1 }, any, { vendor: 'copilot' }).honoured, [], 'Copilot’s own entry (naming its vendor) wins: it drops both');
});

test('a parameter learned unsupported is dropped for that model only', () => {
  const live = new ModelConstraints();
  assert.equal(live.markUnsupported('openai-compatible', 'sim-reasoning', 'temperature'), true);
  assert.equal(live.markUnsupported('openai-compatible', 'sim-reasoning', 'temperature'), false);
  assert.deepEqual(mapArm('openai-compatible', 'sim-reasoning', { temperature: 0.2, maxTokens: 512 }, live).dropped, ['temperature']);
  assert.deepEqual(mapArm('openai-compatible', 'sim-plan', { temperature: 0.2, maxTokens: 512 }, live).dropped, []);
  assert.deepEqual(live.learnedUnsupported('openai-compatible', 'sim-reasoning'), ['temperature']);
  live.markExclusive('anthropic', 'claude-3-7-sonnet', 'temperature', 'topP');
  assert.deepEqual(mapArm('anthropic', 'claude-3-7-sonnet', { temperature: 0.2, topP: 0.8 }, live).dropped, ['topP']);
});

test('the user setting overrides the built-in table, the most specific entry winning', () => {
  const entries = parseModelConstraints(
    JSON.stringify([
      { provider: 'openai-compatible', model: 'qwen*', honoured: ['topK'] },
      { provider: 'openai-compatible', model: 'qwen3-coder*', ignored: ['topK'], values: { temperature: { max: 1 } } },
      { provider: 'anthropic', model: 'claude-sonnet-4-5*', exclusive: [] },
    ]),
    'paramloop.modelConstraints',
  );
  const user = new ModelConstraints(entries);
  assert.deepEqual(mapArm('openai-compatible', 'qwen2.5', { topK: 40 }, user).honoured, ['topK']);
  assert.deepEqual(mapArm('openai-compatible', 'qwen3-coder:30b', { topK: 40 }, user).dropped, ['topK']);
  assert.equal(mapArm('openai-compatible', 'qwen3-coder:30b', { temperature: 1.5 }, user).ineligible, 'qwen3-coder:30b: temperature 1.5 is refused: at most 1');
  assert.deepEqual(mapArm('anthropic', 'claude-sonnet-4-5-20250929', { temperature: 0.2, topP: 0.8 }, user).honoured, ['temperature', 'topP']);
});

test('a bad constraints setting is refused, naming the entry and the field', () => {
  assert.throws(() => parseModelConstraints([{ provider: 'openai-compatible', model: 'x', values: { temperature: { max: 'one' } } }], 'paramloop.modelConstraints'), (error: Error) => {
    assert.ok(error instanceof ModelConstraintsError);
    assert.match(error.message, /^paramloop\.modelConstraints\[0\]\.values\.temperature\.max \(model "x"\): /);
    return true;
  });
  assert.throws(() => parseModelConstraints([{ provider: 'openai-compatible', model: 'a' }, { provider: 'openai', model: 'b' }], 'mc'), /mc\[1\]\.provider \(model "b"\)/);
  assert.throws(() => parseModelConstraints([{ provider: 'anthropic', model: 'c', rejected: ['temprature'] }], 'mc'), /mc\[0\]\.rejected\[0\] \(model "c"\)/);
  assert.throws(() => parseModelConstraints([{ provider: 'anthropic', model: 'c', colour: 1 }], 'mc'), /mc\[0\] \(model "c"\): .*colour/);
  assert.throws(() => parseModelConstraints('[{', 'mc'), /mc: not JSON/);
  assert.throws(() => parseModelConstraints([{ provider: 'anthropic', model: 'c', vendor: 'copilot' }], 'mc'), /mc\[0\]\.vendor \(model "c"\): vendor applies to vscode-lm entries only/);
  assert.throws(() => parseModelConstraints([{ provider: 'vscode-lm', model: 'c', server: 'ollama' }], 'mc'), /mc\[0\]\.server \(model "c"\): server applies to openai-compatible entries only/);
});

test('wire names in a provider’s errors map back to parameters', () => {
  assert.equal(parameterForWireName('openai-compatible', 'temperature'), 'temperature');
  assert.equal(parameterForWireName('openai-compatible', 'max_tokens'), 'maxTokens');
  assert.equal(parameterForWireName('openai-compatible', 'max_completion_tokens'), 'maxTokens');
  assert.equal(parameterForWireName('openai-compatible', 'top_p'), 'topP');
  assert.equal(parameterForWireName('anthropic', 'stop_sequences'), 'stop');
  assert.equal(parameterForWireName('openai-compatible', 'logit_bias'), undefined);
});

test('model families are short names for a request feature', () => {
  const families = ['llama3.2:3b', 'qwen2.5-coder:7b', 'gpt-4o-mini', 'gpt-5.1', 'o3-mini', 'o4-mini-2025-04-16', 'claude-3-5-sonnet-20241022', 'claude-opus-4-7', 'gpt-oss:20b', 'meta-llama/Llama-3.1-8B'].map(modelFamily);
  assert.deepEqual(families, ['llama', 'qwen', 'gpt-4o', 'gpt-5.1', 'o3', 'o4', 'claude-sonnet', 'claude-opus', 'gpt-oss', 'llama']);
});

test("the example entry in the setting's description (package.json) parses: the field names users copy are the parser's", () => {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { markdownDescription?: string }> } };
  };
  const description = manifest.contributes.configuration.properties['paramloop.modelConstraints']?.markdownDescription ?? '';
  const example = /`(\{ "provider"[^`]*\})`/.exec(description)?.[1];
  assert.ok(example, description);
  const [entry] = parseModelConstraints(`[${example}]`, 'paramloop.modelConstraints');
  assert.ok(entry);
  assert.equal(entry.provider, 'openai-compatible');
  const mapping = mapArm('openai-compatible', 'my-model-7b', { topP: 0.9, topK: 40, maxTokens: 512 }, new ModelConstraints([entry]));
  assert.deepEqual(mapping.dropped, ['topP', 'topK']);
  assert.deepEqual(mapping.renamed, { maxTokens: 'max_completion_tokens' });
});
