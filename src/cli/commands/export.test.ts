import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaptured } from '../testing';

test('simulate --db stores 300 decisions, reporting committed counts up to 300, and export writes them in all three formats', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'paramloop-cli-export-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, 'db');
  const simulated = await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'thompson', '--rounds', '300', '--db', db, '--json']);
  assert.equal(simulated.code, 0, simulated.err);
  const committed = [...simulated.err.matchAll(/^committed (\d+)$/gm)].map((m) => Number(m[1]));
  assert.ok(committed.length >= 1);
  assert.equal(committed[committed.length - 1], 300);

  const jsonl = await runCaptured(['export', '--db', db, '--format', 'jsonl', '--out', join(dir, 'log.jsonl'), '--json']);
  assert.equal(jsonl.code, 0, jsonl.err);
  assert.deepEqual(JSON.parse(jsonl.out), { format: 'jsonl', out: join(dir, 'log.jsonl'), decisions: 300, skippedUnlabelled: 0 });
  const lines = (await readFile(join(dir, 'log.jsonl'), 'utf8')).trimEnd().split('\n');
  assert.equal(lines.length, 301);
  assert.match(lines[0] ?? '', /"format":"paramloop\.decisions","version":3/);

  const csv = await runCaptured(['export', '--db', db, '--format', 'csv']);
  assert.equal(csv.code, 0, csv.err);
  assert.equal(csv.out.trimEnd().split('\r\n').length, 301);

  const dsjson = await runCaptured(['export', '--db', db, '--format', 'dsjson']);
  assert.equal(dsjson.code, 0, dsjson.err);
  assert.equal(dsjson.out.trimEnd().split('\n').length, 300);

  // A time range: the first and last decisions' times bound [since, until).
  const times = lines.slice(1).map((line) => (JSON.parse(line) as { decision: { timestamp: number } }).decision.timestamp);
  const since = new Date(times[100]!).toISOString();
  const until = new Date(times[200]!).toISOString();
  const ranged = await runCaptured(['export', '--db', db, '--format', 'jsonl', '--since', since, '--until', until]);
  assert.equal(ranged.code, 0, ranged.err);
  assert.equal(ranged.out.trimEnd().split('\n').length - 1, times.filter((t) => t >= Date.parse(since) && t < Date.parse(until)).length);
});

test('export without --db or with an unknown --format exits 2 naming the option', async () => {
  const noDb = await runCaptured(['export', '--format', 'csv']);
  assert.equal(noDb.code, 2);
  assert.match(noDb.err, /--db DIR is required/);
  const badFormat = await runCaptured(['export', '--db', '/nonexistent', '--format', 'parquet']);
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.err, /--format must be one of jsonl, csv, dsjson/);
  const badSince = await runCaptured(['export', '--db', '/nonexistent', '--format', 'csv', '--since', 'yesterday']);
  assert.equal(badSince.code, 2);
  assert.match(badSince.err, /--since: "yesterday" is not a time/);
  const backwards = await runCaptured(['export', '--db', '/nonexistent', '--format', 'csv', '--since', '2026-11-02', '--until', '2026-11-01']);
  assert.match(backwards.err, /--since must be before --until/);
});

test('two simulate --db runs with the same seed into one store keep both: 2 × 300 decisions, 600 distinct request ids, the second run reporting committed 600', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'paramloop-cli-export-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, 'db');
  const run = ['simulate', '--env', 'llm-planning', '--policy', 'thompson', '--rounds', '300', '--seed', '4', '--db', db];
  const first = await runCaptured(run);
  assert.equal(first.code, 0, first.err);
  const second = await runCaptured(run);
  assert.equal(second.code, 0, second.err);
  const committed = [...second.err.matchAll(/^committed (\d+)$/gm)].map((m) => Number(m[1]));
  assert.equal(committed[committed.length - 1], 600);
  const rollout = await runCaptured([...run.slice(0, 6), '100', '--seed', '4', '--db', db, '--rollout']);
  assert.equal(rollout.code, 0, rollout.err);

  const out = join(dir, 'log.jsonl');
  const exported = await runCaptured(['export', '--db', db, '--format', 'jsonl', '--out', out, '--json']);
  assert.equal(exported.code, 0, exported.err);
  assert.equal((JSON.parse(exported.out) as { decisions: number }).decisions, 700);
  const ids = (await readFile(out, 'utf8')).trimEnd().split('\n').slice(1).map((line) => (JSON.parse(line) as { decision: { requestId: string } }).decision.requestId);
  assert.equal(new Set(ids).size, 700);
  // Each plain run's ids start with its own nonce of 8 hex digits; the rollout run goes through the
  // optimizer service, which continues the log's random streams after the highest one logged.
  const nonces = new Set(ids.slice(0, 600).map((id) => id.slice(0, 8)));
  assert.equal(nonces.size, 2);
  for (const nonce of nonces) assert.match(nonce, /^[0-9a-f]{8}$/);
  for (const id of ids.slice(600)) assert.match(id, /^[0-9a-f]{32}$/);
});
