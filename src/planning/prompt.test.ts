import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlanPrompt, estimateTokens } from './prompt';
import { taskProblems } from './task';

const file = Array.from({ length: 100 }, (_, i) => `const line${i + 1} = ${i + 1};`).join('\n');

test('the user turn names the task type first, then the task, then the code in a fence; the system text asks for a numbered list within the task type\'s step range', () => {
  const prompt = buildPlanPrompt({ taskType: 'planTests', text: 'cover the error paths', source: { path: 'src/a.ts', languageId: 'typescript', text: 'export const a = 1;' } }, { maxContextTokens: 1000 });
  assert.equal(prompt.messages[0]?.role, 'system');
  assert.match(prompt.messages[0]!.content, /numbered list only.*between 3 and 25 steps/s);
  const user = prompt.messages[1]!.content.split('\n');
  assert.deepEqual(user.slice(0, 3), ['Task type: planTests', 'Language: typescript', 'Task: cover the error paths']);
  assert.deepEqual(user.slice(4), ['src/a.ts:', '```typescript', 'export const a = 1;', '```']);
  assert.equal(prompt.omittedLines, 0);
  assert.equal(prompt.promptTokens, estimateTokens(prompt.messages[0]!.content) + estimateTokens(prompt.messages[1]!.content));
});

test('a selection is kept whole with the lines around it that fit; the rest is said to be left out, with counts', () => {
  // Each line is about 22 characters: 100 tokens (400 characters) hold the 5 selected lines and about 12 more.
  const prompt = buildPlanPrompt({ taskType: 'planSelection', text: 'extract a function', source: { path: 'a.ts', languageId: 'typescript', text: file, selection: { startLine: 50, endLine: 54 } } }, { maxContextTokens: 100 });
  const user = prompt.messages[1]!.content;
  assert.match(user, /a\.ts, lines 50–54 selected:/);
  assert.match(user, /<<< selection starts\nconst line50 = 50;[\s\S]*const line54 = 54;\n>>> selection ends/);
  const above = Number(/… (\d+) lines above left out …/.exec(user)?.[1]);
  const below = Number(/… (\d+) lines below left out …/.exec(user)?.[1]);
  assert.ok(above > 30 && below > 30, `${above} above, ${below} below`);
  assert.equal(prompt.omittedLines, above + below);
  // Kept: the selection and its neighbours, alternately above and below.
  assert.match(user, /const line48 = 48;/);
  assert.match(user, /const line56 = 56;/);
});

test('a file without a selection is cut from its bottom; a fence in the code switches the fence to tildes', () => {
  const prompt = buildPlanPrompt({ taskType: 'planTests', text: '', source: { path: 'b.md', languageId: 'markdown', text: '```js\nx\n```\n' + file } }, { maxContextTokens: 50 });
  const user = prompt.messages[1]!.content;
  assert.match(user, /~~~~markdown\n```js/);
  assert.match(user, /… \d+ lines below left out …\n~~~~$/);
  assert.ok(prompt.omittedLines > 80);
});

test('task problems are named by field: empty text, a selection task without a selection, a bad range, an unknown task type', () => {
  assert.deepEqual(taskProblems({ taskType: 'planTask', text: '  ' }), ['text: the task is empty']);
  assert.deepEqual(taskProblems({ taskType: 'planSelection', text: 'x', source: { path: 'a', languageId: 'ts', text: '' } }), ['source.selection: planSelection needs a selection']);
  assert.deepEqual(taskProblems({ taskType: 'planTests', text: '', source: { path: 'a', languageId: 'ts', text: '', selection: { startLine: 5, endLine: 2 } } }), ['source.selection: lines 5–2 are not a range of lines']);
  assert.match(taskProblems({ taskType: 'planEverything' as never, text: 'x' })[0] ?? '', /taskType: "planEverything" is not one of planTask, planSelection, breakDownTodo, planTests/);
  assert.deepEqual(taskProblems({ taskType: 'planTests', text: '', source: { path: 'a', languageId: 'ts', text: 'x' } }), []);
});
