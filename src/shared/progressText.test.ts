import assert from 'node:assert/strict';
import { test } from 'node:test';
import { amount, towards } from './progressText';

test('progress towards a minimum: "n of m" while short of it, "n (m needed)" once past it', () => {
  assert.equal(towards(40, 60, 'samples'), '40 of 60 samples');
  assert.equal(towards(60, 60, 'samples'), '60 samples (60 needed)');
  assert.equal(towards(544, 60, 'samples'), '544 samples (60 needed)');
  assert.equal(towards(2.25, 3, 'days', 1), '2.3 of 3 days');
  assert.equal(towards(3.04, 2, 'days', 1), '3.0 days (2 needed)');
  assert.equal(towards(0, 0, 'days', 1), '0.0 days (0 needed)');
});

test('amounts are grouped by thousands', () => {
  assert.equal(amount(311225), '311,225');
  assert.equal(amount(250000), '250,000');
  assert.equal(amount(1234.56, 1), '1,234.6');
  assert.equal(amount(12), '12');
});
