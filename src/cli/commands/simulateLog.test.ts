// `paramloop simulate --rollout --db DIR` continues a log (issue 11): two runs of N rounds leave the
// same state as one run of 2N — the same rollout events, phase, policy version, decision count,
// favoured arms and next decisions — with the rollout on, for several seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../store/store';
import { runCaptured } from '../testing';

const wasmDir = join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist');

async function simulate(db: string, rounds: number, extra: string[] = []): Promise<{ continued: boolean; rollout: { finalPhase: string } }> {
  const { code, out, err } = await runCaptured(['simulate', '--env', 'llm-planning', '--rollout', '--db', db, '--rounds', String(rounds), '--json', ...extra]);
  assert.equal(code, 0, err);
  return JSON.parse(out) as { continued: boolean; rollout: { finalPhase: string } };
}

/** What a log says of its learner: every stored event but the checkpoints and the world record. */
async function logged(db: string): Promise<{ decisions: string[]; rollout: string[]; version: number; phase: string; favoured: string[] }> {
  const { code, out, err } = await runCaptured(['status', '--db', db, '--json']);
  assert.equal(code, 0, err);
  const status = JSON.parse(out) as { phase: string; policyVersion: number; favoured: Array<{ taskType: string; favoured: { armId: string } }> };
  const store = await openStore(db, { wasmDir, readOnly: true });
  try {
    const decisions = [...store.iterateLogged()].map((l) => `${l.decision.requestId}:${l.decision.armId}:${l.decision.servedBy}:${l.decision.phase}:${l.reward?.reward}`);
    const rollout = store.eventsAfter(0).flatMap(({ event }) => (event.type === 'rolloutEvent' ? [`${event.record.kind}:${event.record.fromPhase}>${event.record.toPhase}@${event.record.timestamp}`] : []));
    return { decisions, rollout, version: status.policyVersion, phase: status.phase, favoured: status.favoured.map((f) => `${f.taskType}:${f.favoured.armId}`) };
  } finally {
    await store.close();
  }
}

// Seed 3 crosses from shadow into canary within the 480 rounds, so the continuation spans a gate.
for (const seed of [3, 8]) {
  test(`seed ${seed}: two runs of 240 rounds into one log leave what one run of 480 leaves, and the 60 rounds after are the same`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'paramloop-continue-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const once = join(dir, 'once');
    const split = join(dir, 'split');
    assert.equal((await simulate(once, 480, ['--seed', String(seed)])).continued, false);
    assert.equal((await simulate(split, 240, ['--seed', String(seed)])).continued, false);
    assert.equal((await simulate(split, 240)).continued, true);
    const a = await logged(once);
    const b = await logged(split);
    assert.equal(b.decisions.length, a.decisions.length);
    if (seed === 3) assert.ok(a.rollout.some((e) => e.startsWith('promote:shadow>canary')), `seed 3 crosses into canary: ${a.rollout.join(', ')}`);
    assert.deepEqual(b.rollout, a.rollout);
    assert.equal(b.phase, a.phase);
    assert.equal(b.version, a.version);
    assert.deepEqual(b.favoured, a.favoured);
    assert.deepEqual(b.decisions, a.decisions);
    await simulate(once, 60);
    await simulate(split, 60);
    assert.deepEqual((await logged(split)).decisions.slice(-60), (await logged(once)).decisions.slice(-60));
  });
}

test('a log started with one seed is not continued with another', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'paramloop-continue-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await simulate(dir, 20, ['--seed', '3']);
  const { code, err } = await runCaptured(['simulate', '--env', 'llm-planning', '--rollout', '--db', dir, '--rounds', '5', '--seed', '4']);
  assert.equal(code, 2);
  assert.match(err, /was started with --seed 3; continue it with that seed, or leave --seed out/);
});
