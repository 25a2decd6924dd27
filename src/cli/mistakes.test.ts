// Ordinary mistakes on the command line get a message naming the option and the path or value the
// user gave, a non-zero exit and nothing on stdout; never "unexpected error" with a stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { commands } from './commands';
import { runCaptured } from './testing';

const dir = mkdtempSync(join(tmpdir(), 'paramloop-mistakes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const aFile = join(dir, 'notes.txt');
writeFileSync(aFile, 'not a store\n');
const aFolder = join(dir, 'folder');
mkdirSync(aFolder);

/** Runs the CLI and checks the shape every refusal has: exit code, empty stdout, no stack. */
async function refused(args: string[], code: number, message: RegExp): Promise<string> {
  const result = await runCaptured(args);
  assert.equal(result.code, code, `${args.join(' ')}: ${result.err}`);
  assert.equal(result.out, '', args.join(' '));
  assert.doesNotMatch(result.err, /unexpected error|\n\s+at /, args.join(' '));
  assert.match(result.err, message);
  return result.err;
}

test('every command answers --help and -h with its usage on stdout and exit 0', async () => {
  for (const name of Object.keys(commands)) {
    for (const flag of ['--help', '-h']) {
      const { code, out, err } = await runCaptured([name, flag]);
      assert.equal(code, 0, `${name} ${flag}: ${err}`);
      assert.match(out, new RegExp(`^usage: paramloop ${name}`), `${name} ${flag}`);
    }
  }
});

test('--db naming a file is refused by simulate, import and export, naming the file', async () => {
  const message = new RegExp(`${aFile} is a file, not a folder`);
  await refused(['simulate', '--env', 'llm-planning', '--policy', 'baseline', '--rounds', '5', '--db', aFile], 1, message);
  await refused(['export', '--db', aFile, '--format', 'jsonl'], 1, message);
  const log = join(dir, 'empty.jsonl');
  writeFileSync(log, '{"format":"paramloop.decisions","version":1,"schemaVersion":2}\n');
  await refused(['import', '--db', aFile, log], 1, message);
});

test('--db under /proc, where no folder can be made, fails at once naming the path', { skip: process.platform !== 'linux', timeout: 20_000 }, async () => {
  await refused(['simulate', '--env', 'llm-planning', '--policy', 'baseline', '--rounds', '5', '--db', '/proc/paramloop/logs'], 1, /cannot create the store's folder \/proc\/paramloop\/logs: \/proc does not accept new folders/);
});

test('export --out naming a folder, or a file in a missing folder, names the path given (not a temporary file)', async () => {
  const db = join(dir, 'db');
  assert.equal((await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'baseline', '--rounds', '5', '--db', db])).code, 0);
  const asFolder = await refused(['export', '--db', db, '--format', 'jsonl', '--out', aFolder], 1, new RegExp(`cannot write ${aFolder} \\(--out\\): it is a folder`));
  const missing = join(dir, 'no-such-folder', 'log.jsonl');
  const inMissing = await refused(['export', '--db', db, '--format', 'jsonl', '--out', missing], 1, new RegExp(`cannot write ${missing} \\(--out\\): the folder ${join(dir, 'no-such-folder')} does not exist`));
  const underProc = process.platform === 'linux' ? await refused(['export', '--db', db, '--format', 'jsonl', '--out', '/proc/log.jsonl'], 1, /cannot write \/proc\/log\.jsonl \(--out\): \/proc does not accept new files/) : '';
  for (const err of [asFolder, inMissing, underProc]) assert.doesNotMatch(err, /\.tmp-/);
  assert.deepEqual(readdirSync(aFolder), [], 'nothing was left behind');
});

test('--input, FILE, --rounds-file, --settings or --space naming a folder is refused, naming the option and the folder', async () => {
  const isFolder = (option: string): RegExp => new RegExp(`cannot read ${aFolder} \\(${option}\\): it is a folder, not a file`);
  await refused(['ope', '--input', aFolder], 1, isFolder('--input'));
  await refused(['import', '--db', join(dir, 'import-db'), aFolder], 1, isFolder('FILE'));
  await refused(['simulate', '--rounds-file', aFolder, '--policy', 'linucb'], 1, isFolder('--rounds-file'));
  await refused(['simulate', '--env', 'llm-planning', '--policy', 'linucb', '--settings', aFolder], 1, isFolder('--settings'));
  await refused(['simulate', '--env', 'llm-planning', '--policy', 'linucb', '--space', aFolder], 1, isFolder('--space'));
  await refused(['ope', '--input', join(dir, 'absent.jsonl')], 1, new RegExp(`cannot read ${join(dir, 'absent.jsonl')} \\(--input\\): no such file`));
});

test('a decision log given with --format obp is named as a decision log', async () => {
  const log = join(dir, 'decisions.jsonl');
  writeFileSync(log, '{"format":"paramloop.decisions","version":1,"schemaVersion":2}\n');
  await refused(['ope', '--input', log, '--format', 'obp'], 2, /decisions\.jsonl is a decision log \(paramloop export --format jsonl\), not obp input: use --format native, or leave --format out/);
});

test('a settings file that starts with a byte-order mark is read', async () => {
  const settings = join(dir, 'settings.json');
  writeFileSync(settings, '\ufeff{"featureMap": "disjoint"}');
  const { code, out, err } = await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'linucb', '--rounds', '5', '--settings', settings, '--json']);
  assert.equal(code, 0, err);
  assert.equal((JSON.parse(out) as { featureMap: string }).featureMap, 'disjoint');
});

test('simulate on a store another live process holds says which process has it', async () => {
  const db = join(dir, 'held');
  mkdirSync(db);
  // The lock of a live process on this host: the test runner's parent.
  writeFileSync(join(db, 'store.lock'), `${JSON.stringify({ pid: process.ppid, host: hostname(), since: 1_764_000_000_000, token: 'other' })}\n`);
  await refused(['simulate', '--env', 'llm-planning', '--policy', 'baseline', '--rounds', '5', '--db', db], 1, new RegExp(`The store in ${db} is in use: process ${process.ppid} has had it open since`));
});

test('a negative or out-of-range number is reported as a bad value of its option', async () => {
  await refused(['simulate', '--env', 'llm-planning', '--policy', 'baseline', '--rounds', '-5'], 2, /--rounds must be a positive integer, got '-5'$/m);
  await refused(['simulate', '--env', 'llm-planning', '--policy', 'baseline', '--rounds', '1e999'], 2, /--rounds must be a positive integer, got '1e999', which is beyond the range of a number/);
  await refused(['simulate', '--env', 'llm-planning', '--policy', 'baseline', '--seed', '-1'], 2, /--seed must be a non-negative integer, got '-1'/);
  await refused(['ope', '--input', aFile, '--bootstrap', '-3'], 2, /--bootstrap must be a non-negative integer, got '-3'/);
  await refused(['ope', '--input', aFile, '--clip', '-1'], 2, /--clip must be a number of at least 0 \(or inf\), got '-1'/);
});
