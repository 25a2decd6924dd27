import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeRounds } from './makeRounds';
import { readRoundsFile } from './roundsFile';

const reference = resolve(__dirname, '../../../shared/bench/make_rounds.mjs');

test('makeRounds reproduces the shared reference generator exactly', { skip: !existsSync(reference) && 'the shared bench folder is not beside the project' }, async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'paramloop-rounds-')), 'r.jsonl');
  writeFileSync(path, execFileSync(process.execPath, [reference, '--k', '5', '--d', '3', '--T', '50', '--seed', '4']));
  const expected = await readRoundsFile(path);
  const actual = makeRounds({ armCount: 5, contextDim: 3, rounds: 50, seed: 4 });
  assert.deepEqual(Array.from(actual.x), Array.from(expected.x));
  assert.deepEqual(Array.from(actual.mu), Array.from(expected.mu));
  assert.deepEqual(Array.from(actual.r), Array.from(expected.r));
});
