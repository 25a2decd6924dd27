import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCaptured } from './testing';

test('an unknown command exits 2 with the usage on stderr and nothing on stdout', async () => {
  const { code, out, err } = await runCaptured(['frobnicate']);
  assert.equal(code, 2);
  assert.equal(out, '');
  assert.match(err, /unknown command 'frobnicate'/);
});

test('an unknown option exits 2 naming the option', async () => {
  const { code, out, err } = await runCaptured(['version', '--bogus']);
  assert.equal(code, 2);
  assert.equal(out, '');
  assert.match(err, /--bogus/);
});

test('version --json prints exactly one JSON object', async () => {
  const { code, out } = await runCaptured(['version', '--json']);
  assert.equal(code, 0);
  assert.deepEqual(Object.keys(JSON.parse(out) as object), ['version']);
});
