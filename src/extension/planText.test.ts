import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planName, todoAt } from './planText';

const source = (text: string, line: number) => ({ path: 'a.ts', languageId: 'typescript', text, selection: { startLine: line, endLine: line } });

test('the TODO at the cursor, with the comment lines that continue it; none where the line has no TODO', () => {
  const text = ['function f() {', '  // TODO: apply the discount rules', '  // from pricing.md, rounded to cents', '  //', '  return 1;', '  # FIXME(ana) handle empty carts', '  /* TODO: cache it */'].join('\n');
  assert.equal(todoAt(source(text, 2)), 'apply the discount rules from pricing.md, rounded to cents');
  assert.equal(todoAt(source(text, 6)), 'handle empty carts');
  assert.equal(todoAt(source(text, 7)), 'cache it');
  assert.equal(todoAt(source(text, 1)), undefined);
  assert.equal(todoAt(source(text, 5)), undefined);
});

test('a plan is named by its number and the first words of its task', () => {
  assert.equal(planName({ taskType: 'planTask', text: 'Add a CSV export of the totals, with a command!' }, 3), 'plan-3-add-a-csv-export-of-the');
  assert.equal(planName({ taskType: 'planTests', text: '', source: { path: 'src/cart.ts', languageId: 'typescript', text: '' } }, 1), 'plan-1-src-cart-ts');
});
