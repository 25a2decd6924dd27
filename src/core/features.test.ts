import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionFeatures, contextFeatureNames, contextFeatures, contextFingerprint } from './features';
import { buildSpace } from './space';
import type { RequestContext } from './types';

const context: RequestContext = { taskType: 'planTests', languageId: 'python', promptTokens: 32_000, selectionLines: 0, fileLines: 20_000, workspaceKind: 'folder', providerFamily: 'x', hour: 9 };

test('context features: task and language one-hot, sizes log-scaled to 1 at their reference sizes', () => {
  const x = Array.from(contextFeatures(context));
  const named = Object.fromEntries(contextFeatureNames.map((n, i) => [n, x[i]]));
  assert.deepEqual(named, {
    'task:planTask': 0,
    'task:planSelection': 0,
    'task:breakDownTodo': 0,
    'task:planTests': 1,
    promptSize: 1,
    selectionSize: 0,
    fileSize: 1,
    'language:web': 0,
    'language:python': 1,
    'language:systems': 0,
  });
});

test('sizes that are negative, NaN or huge stay finite and bounded', () => {
  const x = contextFeatures({ ...context, promptTokens: Number.NaN, selectionLines: -5, fileLines: 1e300 });
  assert.ok(Array.from(x).every(Number.isFinite));
  assert.equal(x[contextFeatureNames.indexOf('promptSize')], 0);
  assert.equal(x[contextFeatureNames.indexOf('fileSize')], 1.5);
});

test('the fingerprint is stable, 16 hex digits, and differs for different contexts', () => {
  const a = contextFingerprint(contextFeatures(context));
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.equal(contextFingerprint(contextFeatures({ ...context })), a);
  assert.notEqual(contextFingerprint(contextFeatures({ ...context, taskType: 'planTask' })), a);
});

test('action features are centred on the baseline, with squares, and skip parameters that never vary', () => {
  const space = buildSpace({});
  const { names, values } = actionFeatures(space.arms, space.baselineArm);
  assert.deepEqual(names, ['temperature', 'temperature^2', 'topP', 'topP^2', 'maxTokens', 'maxTokens^2']);
  assert.deepEqual(Array.from(values[space.baselineArm]!), [0, 0, 0, 0, 0, 0]);
  const arm = space.arms.find((a) => a.params.temperature === 0.7 && a.params.topP === 0.9 && a.params.maxTokens === 4096)!;
  const v = Array.from(values[arm.index]!);
  assert.ok(Math.abs(v[0]! - 0.5) < 1e-12 && Math.abs(v[1]! - 0.25) < 1e-12);
  assert.ok(Math.abs(v[2]! + 0.1) < 1e-12);
  assert.deepEqual(v.slice(4), [1, 1]);
});
