import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPlan, checkWeights, parsePlan } from './checks';

const good = ['1. Add a `parseConfig` function in src/config.ts', '2. Call it from activate() before the store opens', '   - pass the workspace folder', '3. Write a unit test for an invalid port in config.test.ts'].join('\n');

test('a numbered plan of three whole, concrete steps that stopped by itself passes every check: quality 1', () => {
  const report = checkPlan(good, 'planTask', 'stop');
  assert.equal(report.steps.length, 3);
  assert.deepEqual(report.steps[1]?.detail, ['- pass the workspace folder']);
  assert.deepEqual(report.checks, { numberedSteps: 1, inOrder: 1, notTruncated: 1, withinLength: 1, nonEmptySteps: 1, distinctSteps: 1, concreteSteps: 1 });
  assert.equal(report.quality, 1);
  assert.deepEqual(report.problems, []);
});

test('the weights sum to 1', () => {
  assert.ok(Math.abs(Object.values(checkWeights).reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test('a plan cut at the token limit loses notTruncated (0.2): quality 0.8, named as cut off', () => {
  const report = checkPlan(good, 'planTask', 'length');
  assert.equal(report.checks.notTruncated, 0);
  assert.ok(Math.abs(report.quality - 0.8) < 1e-12);
  assert.deepEqual(report.problems, ['cut off at the token limit']);
});

test('steps naming no file, function or command cost their share of 0.35: 1 concrete step of 4 → 0.35 · 3/4 lost', () => {
  const text = ['1. Read the failing `slice` test output', '2. Think about the problem for a while', '3. Fix the off-by-one error somewhere', '4. Make sure everything works again'].join('\n');
  const report = checkPlan(text, 'planTask', 'stop');
  assert.equal(report.checks.concreteSteps, 1 / 4);
  assert.ok(Math.abs(report.quality - (1 - 0.35 * 0.75)) < 1e-12, String(report.quality));
  assert.deepEqual(report.problems, ['3 step(s) naming no file, function or command']);
});

test('an empty step and a repeated step each cost their share of 0.1: 4 steps, 1 empty (3/4 non-empty), 1 empty and 1 repeat (2/4 distinct)', () => {
  const text = ['1. Read the failing test in `a.test.ts`', '2.', '3. Read the failing test in `a.test.ts`', '4. Fix the off-by-one in slice()'].join('\n');
  const report = checkPlan(text, 'breakDownTodo', 'stop');
  assert.equal(report.steps.length, 4);
  assert.equal(report.checks.nonEmptySteps, 3 / 4);
  assert.equal(report.checks.distinctSteps, 2 / 4);
  assert.equal(report.checks.concreteSteps, 3 / 4);
  assert.ok(Math.abs(report.quality - (0.15 + 0.05 + 0.2 + 0.05 + 0.1 * 0.75 + 0.1 * 0.5 + 0.35 * 0.75)) < 1e-12);
  assert.deepEqual(report.problems, ['1 empty or one-word step(s)', '2 repeated step(s)', '1 step(s) naming no file, function or command']);
});

test('prose without numbered steps scores 0: no steps, and no whole last step', () => {
  const report = checkPlan('You should first refactor the code and then add tests.', 'planTask', 'stop');
  assert.equal(report.steps.length, 0);
  assert.equal(report.quality, 0);
  assert.deepEqual(report.problems, ['no numbered steps', 'the last step is cut short']);
});

test('steps out of order and too many for the task type are named', () => {
  const lines = Array.from({ length: 13 }, (_, i) => `${i === 4 ? 7 : i + 1}. Do part ${i + 1} of the work in src/part${i + 1}.ts`);
  const report = checkPlan(lines.join('\n'), 'breakDownTodo', 'stop');
  assert.equal(report.checks.inOrder, 0);
  assert.equal(report.checks.withinLength, 0);
  assert.deepEqual(report.problems, ['steps not numbered 1, 2, 3… in order', '13 steps, more than 12']);
});

test('parsePlan reads "1)" and bold "**1.**" numbering and ignores unindented prose between steps', () => {
  const steps = parsePlan('Here is the plan:\n1) First step here\n**2.** Second step here\nSome prose.\n3. Third');
  assert.deepEqual(steps.map((s) => [s.number, s.text]), [[1, 'First step here'], [2, 'Second step here'], [3, 'Third']]);
});
