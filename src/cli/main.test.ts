import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './main';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

test('an unknown command exits 2 with the usage on stderr and nothing on stdout', async () => {
  const { code, out, err } = await run(['frobnicate']);
  assert.equal(code, 2);
  assert.equal(out, '');
  assert.match(err, /unknown command 'frobnicate'/);
});

test('an unknown option exits 2 naming the option', async () => {
  const { code, out, err } = await run(['version', '--bogus']);
  assert.equal(code, 2);
  assert.equal(out, '');
  assert.match(err, /--bogus/);
});

test('version --json prints exactly one JSON object', async () => {
  const { code, out } = await run(['version', '--json']);
  assert.equal(code, 0);
  assert.deepEqual(Object.keys(JSON.parse(out) as object), ['version']);
});
