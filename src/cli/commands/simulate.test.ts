import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaptured } from '../testing';

const dir = mkdtempSync(join(tmpdir(), 'paramloop-simulate-'));
function roundsFile(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

test('simulate --json prints one object with the documented keys, regret measured against mu', async () => {
  // Arm 1 is always best by 1; every round the policy picks arm 0 costs exactly 1 of regret.
  const lines = Array.from({ length: 200 }, (_, t) => JSON.stringify({ x: [t % 2], mu: [0, 1], r: [0, 1] }));
  const { code, out, err } = await runCaptured(['simulate', '--rounds-file', roundsFile('easy.jsonl', lines), '--policy', 'linucb', '--seed', '3', '--json']);
  assert.equal(code, 0, err);
  const result = JSON.parse(out) as Record<string, number | string>;
  for (const key of ['policy', 'rounds', 'cumulativeRegret', 'averageReward', 'optimalAverageReward', 'decisionsPerSecond', 'seed']) assert.ok(key in result, key);
  assert.equal(result.rounds, 200);
  assert.equal(result.optimalAverageReward, 1);
  assert.ok((result.cumulativeRegret as number) < 20, `regret ${result.cumulativeRegret}`);
  assert.ok(Math.abs((result.averageReward as number) - (1 - (result.cumulativeRegret as number) / 200)) < 1e-9);
});

test('a ragged rounds file is refused, naming the line and the field, with nothing on stdout', async () => {
  const path = roundsFile('ragged.jsonl', [JSON.stringify({ x: [1, 2], mu: [0, 1], r: [0, 1] }), JSON.stringify({ x: [1], mu: [0, 1], r: [0, 1] })]);
  const { code, out, err } = await runCaptured(['simulate', '--rounds-file', path, '--policy', 'thompson', '--json']);
  assert.equal(code, 2);
  assert.equal(out, '');
  assert.match(err, /ragged\.jsonl:2: field x has 1 entries, earlier lines have 2/);
});

test('NaN in a rounds file and a bad policy name are refused by name', async () => {
  const path = roundsFile('nan.jsonl', ['{"x": [1], "mu": [0, 1], "r": [0, NaN]}']);
  const nan = await runCaptured(['simulate', '--rounds-file', path, '--policy', 'linucb']);
  assert.equal(nan.code, 2);
  assert.match(nan.err, /nan\.jsonl:1: not valid JSON/);
  const inf = await runCaptured(['simulate', '--rounds-file', roundsFile('inf.jsonl', ['{"x": [1], "mu": [0, 1], "r": [0, "inf"]}']), '--policy', 'linucb']);
  assert.match(inf.err, /inf\.jsonl:1: field r\[1\] is "inf", not a finite number/);
  const bad = await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'greedy']);
  assert.match(bad.err, /--policy must be one of thompson, linucb, epsilon, baseline/);
});

test('the llm-planning environment runs the whole optimizer and a learning policy beats the baseline', async () => {
  const learned = JSON.parse((await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'linucb', '--rounds', '600', '--json'])).out) as Record<string, number>;
  const baseline = JSON.parse((await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'baseline', '--rounds', '600', '--json'])).out) as Record<string, number>;
  assert.ok(learned.cumulativeRegret! < baseline.cumulativeRegret! / 2, `learned ${learned.cumulativeRegret}, baseline ${baseline.cumulativeRegret}`);
  assert.ok(learned.simulatedDays! > 15 && learned.simulatedDays! < 25, `600 requests at 30 a day span about 20 days, got ${learned.simulatedDays}`);
});

test('an invalid space setting is refused, naming the setting', async () => {
  const path = join(dir, 'space.json');
  writeFileSync(path, JSON.stringify({ baseline: { temperature: -1 } }));
  const { code, err } = await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'linucb', '--space', path]);
  assert.equal(code, 2);
  assert.match(err, /paramloop\.space\.baseline\.temperature: -1 is outside the bounds/);
});

test('simulate --rollout --candidate-shift -0.4 reports the rollout: promoted out of shadow by the gate, then rolled back on quality by the SLO monitor', async () => {
  const { code, out, err } = await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'thompson', '--rollout', '--candidate-shift', '-0.4', '--rounds', '1000', '--seed', '7', '--json']);
  assert.equal(code, 0, err);
  const result = JSON.parse(out) as { rounds: number; rollout: { finalPhase: string; events: Array<Record<string, unknown>>; incidents: Array<{ breach: { metric: string } }> } };
  assert.equal(result.rounds, 1000);
  const { rollout } = result;
  for (const e of rollout.events) for (const key of ['round', 'from', 'to', 'reason']) assert.ok(key in e, key);
  // The phase changes (the gate's inconclusive looks, which change nothing, may come before).
  const changes = rollout.events.filter((e) => e.from !== e.to);
  assert.deepEqual(changes.map((e) => `${String(e.kind)} ${String(e.from)}→${String(e.to)}`), ['promote shadow→canary', 'rollback canary→shadow']);
  assert.ok(rollout.events.every((e) => e.from !== e.to || e.kind === 'inconclusive'), JSON.stringify(rollout.events));
  assert.equal(rollout.incidents[0]?.breach.metric, 'quality');
  assert.equal(rollout.finalPhase, 'shadow');
});

test('simulate --rollout --auto-resume resumes after the rollback, as a person acknowledging the incident would', async () => {
  const { code, out, err } = await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'thompson', '--rollout', '--auto-resume', '--candidate-shift', '-0.4', '--rounds', '1000', '--seed', '7', '--json']);
  assert.equal(code, 0, err);
  const { rollout } = JSON.parse(out) as { rollout: { events: Array<Record<string, unknown>> } };
  const kinds = rollout.events.map((e) => String(e.kind));
  const rollback = kinds.indexOf('rollback');
  assert.ok(rollback >= 0, kinds.join(', '));
  assert.equal(kinds[rollback + 1], 'resume', kinds.join(', '));
  assert.equal(rollout.events[rollback + 1]?.actor, 'simulation');
  const noRollout = await runCaptured(['simulate', '--env', 'llm-planning', '--auto-resume']);
  assert.equal(noRollout.code, 2);
  assert.match(noRollout.err, /--auto-resume needs --rollout/);
});

test('--rollout needs --env and --candidate-shift needs --rollout and a number in [-1, 1]', async () => {
  const noEnv = await runCaptured(['simulate', '--rounds-file', roundsFile('r.jsonl', ['{"x": [1], "mu": [0, 1], "r": [0, 1]}']), '--policy', 'linucb', '--rollout']);
  assert.match(noEnv.err, /--rollout needs --env/);
  const noRollout = await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'linucb', '--candidate-shift', '0.1']);
  assert.match(noRollout.err, /--candidate-shift needs --rollout/);
  const bad = await runCaptured(['simulate', '--env', 'llm-planning', '--policy', 'linucb', '--rollout', '--candidate-shift', 'x']);
  assert.match(bad.err, /--candidate-shift must be a number in \[-1, 1\], got 'x'/);
});

test('simulate without --policy plays the product\'s default policy, Thompson sampling', async () => {
  const { code, out, err } = await runCaptured(['simulate', '--env', 'llm-planning', '--rounds', '50', '--json']);
  assert.equal(code, 0, err);
  assert.equal((JSON.parse(out) as { policy: string }).policy, 'thompson');
});

test('in the flat world every arm is worth the baseline arm in every context, so any policy\'s regret is exactly 0', async () => {
  const { code, out, err } = await runCaptured(['simulate', '--env', 'llm-planning-flat', '--policy', 'epsilon', '--rounds', '300', '--json']);
  assert.equal(code, 0, err);
  const result = JSON.parse(out) as { env: string; cumulativeRegret: number; averageReward: number };
  assert.equal(result.env, 'llm-planning-flat');
  assert.equal(result.cumulativeRegret, 0);
  assert.ok(result.averageReward > 0.3 && result.averageReward < 0.9, String(result.averageReward));
});
