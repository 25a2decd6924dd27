import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../store/store';
import { runCaptured } from '../testing';

const wasmDir = join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist');

test('import takes an export into a new store losslessly, imports nothing when run again, and refuses a damaged file whole', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'paramloop-cli-import-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const source = join(dir, 'source');
  const target = join(dir, 'target');
  assert.equal((await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'linucb', '--rounds', '120', '--db', source])).code, 0);
  const exported = join(dir, 'log.jsonl');
  assert.equal((await runCaptured(['export', '--db', source, '--format', 'jsonl', '--out', exported])).code, 0);

  const imported = await runCaptured(['import', '--db', target, exported, '--json']);
  assert.equal(imported.code, 0, imported.err);
  assert.deepEqual(JSON.parse(imported.out), { db: target, imported: 120, alreadyStored: 0, decisions: 120 });
  const again = join(dir, 'again.jsonl');
  assert.equal((await runCaptured(['export', '--db', target, '--format', 'jsonl', '--out', again])).code, 0);
  assert.equal(await readFile(again, 'utf8'), await readFile(exported, 'utf8'), 'export → import → export gives the same file');

  const twice = await runCaptured(['import', '--db', target, exported]);
  assert.equal(twice.code, 0, twice.err);
  assert.match(twice.err, /imported 0 decisions into .*target \(120 in all; 120 were already there\)/);

  const lines = (await readFile(exported, 'utf8')).split('\n');
  lines[5] = lines[5]?.replace(/"propensity":[-0-9.e]+/, '"propensity":"high"') ?? '';
  lines[9] = '{"not json';
  const damaged = join(dir, 'damaged.jsonl');
  await writeFile(damaged, lines.join('\n'));
  const fresh = join(dir, 'fresh');
  const refused = await runCaptured(['import', '--db', fresh, damaged]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /damaged\.jsonl: import refused, 2 problems:\nline 6, decision\.propensity: Invalid input: expected number, received string\nline 10: not JSON/);
  const store = await openStore(fresh, { wasmDir, readOnly: true });
  assert.equal(store.decisionCount(), 0, 'nothing was imported');
  await store.close();
});

test('import names what is missing or locked', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'paramloop-cli-import-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.match((await runCaptured(['import', join(dir, 'x.jsonl')])).err, /--db DIR is required/);
  assert.match((await runCaptured(['import', '--db', dir])).err, /give exactly one FILE/);
  const missing = await runCaptured(['import', '--db', dir, join(dir, 'none.jsonl')]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /cannot read .*none\.jsonl \(FILE\): no such file/);
  await writeFile(join(dir, 'empty.jsonl'), '');
  const open = await openStore(join(dir, 'db'), { wasmDir });
  t.after(() => open.close());
  const locked = await runCaptured(['import', '--db', join(dir, 'db'), join(dir, 'empty.jsonl')]);
  assert.equal(locked.code, 1);
  assert.match(locked.err, /The store in .*db is in use: another store of this process has it open/);
});
