import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Decision, Outcome } from '../../core/types';
import { jsonlHeader, jsonlLine } from '../../store/formats/jsonl';
import { createPolicy, disjointFeatureMap, parsePolicySettings } from '../../core/policies';
import { createRng } from '../../core/math/random';
import { runCaptured } from '../testing';

const dir = mkdtempSync(join(tmpdir(), 'paramloop-ope-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const round = (action: number, reward: number, pscore: number, dist: number[], estimated: number[]): string =>
  JSON.stringify({ action, reward, pscore, action_dist: dist, estimated_rewards: estimated });

// The hand-worked case of src/core/ope/estimators.test.ts: IPS 0.9, SNIPS 3.6/5.6, DM 0.61, DR 0.72,
// SNDR 0.61 + 0.44/5.6; with --clip 1.8 IPS 0.85 and DR 0.725; SwitchDR at τ = 1.8 0.77; DRos at λ = 4
// (2.44 + 119/410)/4; ESS 31.36/10.56.
const handFile = file('hand.jsonl', [
  round(0, 1, 0.5, [0.8, 0.2], [0.6, 0.3]),
  round(1, 0, 0.25, [0.5, 0.5], [0.4, 0.2]),
  round(0, 0, 0.8, [0, 1], [0.5, 0.7]),
  round(1, 1, 0.5, [0, 1], [0.1, 0.9]),
]);

interface OpeJson {
  n: number;
  ess: number;
  estimators: Record<string, { estimate: number | null; ci: [number, number] | null; matches?: number; weighted_estimate?: number }>;
  diagnostics: Record<string, unknown>;
}

function near(actual: number | null | undefined, expected: number): void {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-12, `expected ${expected}, got ${actual}`);
}

test('--json prints one object with n, ess, every estimator (estimate and ci) and diagnostics, with the hand-worked values', async () => {
  const { code, out, err } = await runCaptured(['ope', '--input', handFile, '--json', '--bootstrap', '50']);
  assert.equal(code, 0, err);
  const report = JSON.parse(out) as OpeJson;
  assert.deepEqual(Object.keys(report), ['n', 'ess', 'estimators', 'diagnostics', 'warnings']);
  assert.equal(report.n, 4);
  near(report.ess, 31.36 / 10.56);
  assert.deepEqual(Object.keys(report.estimators), ['ips', 'snips', 'dm', 'dr', 'sndr', 'switch_dr', 'dros']);
  near(report.estimators['ips']?.estimate, 0.9);
  near(report.estimators['snips']?.estimate, 3.6 / 5.6);
  near(report.estimators['dm']?.estimate, 0.61);
  near(report.estimators['dr']?.estimate, 0.72);
  near(report.estimators['sndr']?.estimate, 0.61 + 0.44 / 5.6);
  near(report.estimators['switch_dr']?.estimate, 0.72);
  near(report.estimators['dros']?.estimate, 0.61);
  for (const value of Object.values(report.estimators)) {
    assert.ok(value.ci !== null && value.ci[0] <= value.ci[1]);
  }
  assert.equal(report.diagnostics['max_weight'], 2);
  assert.equal(report.diagnostics['zero_weight_share'], 0.25);
});

test('--clip, --switch-tau and --dros-lambda reach the estimators: IPS 0.85, DR 0.725, SwitchDR 0.77, DRos (2.44 + 119/410)/4', async () => {
  const { code, out } = await runCaptured(['ope', '--input', handFile, '--json', '--bootstrap', '0', '--clip', '1.8', '--switch-tau', '1.8', '--dros-lambda', '4']);
  assert.equal(code, 0);
  const report = JSON.parse(out) as OpeJson;
  near(report.estimators['ips']?.estimate, 0.85);
  near(report.estimators['dr']?.estimate, 0.725);
  near(report.estimators['switch_dr']?.estimate, 0.77);
  near(report.estimators['dros']?.estimate, (2.44 + 119 / 410) / 4);
  assert.equal(report.estimators['ips']?.ci, null);
  assert.deepEqual(report.diagnostics['params'], { clip: 1.8, switch_tau: 1.8, dros_lambda: 4 });
});

test('a byte-order mark and CRLF line endings are accepted', async () => {
  const path = join(dir, 'crlf.jsonl');
  writeFileSync(path, `\ufeff${round(0, 1, 0.5, [0.5, 0.5], [0, 0])}\r\n${round(1, 0, 0.5, [0.5, 0.5], [0, 0])}\r\n`);
  const { code, out, err } = await runCaptured(['ope', '--input', path, '--json', '--bootstrap', '0', '--estimators', 'ips']);
  assert.equal(code, 0, err);
  assert.equal((JSON.parse(out) as OpeJson).n, 2);
  near((JSON.parse(out) as OpeJson).estimators['ips']?.estimate, 0.5);
});

test('--estimators selects and orders the estimators and accepts OBP names (ipw, dr-os)', async () => {
  const { code, out } = await runCaptured(['ope', '--input', handFile, '--json', '--bootstrap', '0', '--estimators', 'dr-os,ipw']);
  assert.equal(code, 0);
  assert.deepEqual(Object.keys((JSON.parse(out) as OpeJson).estimators), ['dros', 'ips']);
});

test('the same --seed prints identical intervals, another seed different ones', async () => {
  const lines = Array.from({ length: 200 }, (_, i) => round(i % 3, (i * 7) % 5 === 0 ? 1 : 0, 0.2 + 0.1 * (i % 3), [0.5, 0.3, 0.2], [0.4, 0.5, 0.1]));
  // pscores 0.2, 0.3, 0.4 do not sum to 1 over actions, but each is a valid propensity of its logged action.
  const path = file('seeded.jsonl', lines);
  const first = await runCaptured(['ope', '--input', path, '--json', '--bootstrap', '100', '--seed', '7']);
  const again = await runCaptured(['ope', '--input', path, '--json', '--bootstrap', '100', '--seed', '7']);
  const other = await runCaptured(['ope', '--input', path, '--json', '--bootstrap', '100', '--seed', '8']);
  assert.equal(first.out, again.out);
  const ci = (out: string): unknown => (JSON.parse(out) as OpeJson).estimators['ips']?.ci;
  assert.notDeepEqual(ci(other.out), ci(first.out));
});

test('without --json a table lists every estimator with its interval and notes that DRos at λ = 0 is DM', async () => {
  const { code, out } = await runCaptured(['ope', '--input', handFile, '--bootstrap', '20']);
  assert.equal(code, 0);
  assert.match(out, /^4 rounds, K = 2/);
  assert.match(out, /ESS 3\.0 /);
  for (const name of ['ips', 'snips', 'dm', 'dr', 'sndr', 'switch_dr', 'dros']) assert.match(out, new RegExp(`^${name} +\\S+ +\\[`, 'm'));
  assert.match(out, /^ips +0\.900000 /m);
  assert.match(out, /dros with λ = 0 is DM/);
});

test('a bad line exits non-zero with the file, line number and field on stderr and nothing on stdout', async () => {
  const cases: [string[], RegExp][] = [
    [[round(0, 1, 0.5, [0.5, 0.5], [0, 0]), round(0, 1, 0, [0.5, 0.5], [0, 0])], /line 2: field "pscore": must be in \(0, 1\], got 0/],
    [[round(0, 1, 0.5, [0.5, 0.5], [0, 0]), round(0, 1, 0.5, [0.5, 0.5], [0, 0]), round(2, 1, 0.5, [0.5, 0.5], [0, 0])], /line 3: field "action": 2 is outside 0\.\.1/],
    [[round(0, 1, 0.5, [0.5, 0.5], [0, 0]), round(0, 1, 0.5, [0.2, 0.3, 0.5], [0, 0, 0])], /line 2: field "action_dist": has 3 entries, but K = 2/],
    [[round(0, 1, 0.5, [0.5, 0.6], [0, 0])], /line 1: field "action_dist": sums to 1\.1/],
    [['{"action": 0, "reward": NaN, "pscore": 0.5, "action_dist": [0.5, 0.5], "estimated_rewards": [0, 0]}'], /line 1: field "reward": must be a finite number, got NaN/],
    [[round(0, 1, 0.5, [0.5, 0.5], [0, 0]), '{"action": 0,'], /line 2: malformed JSON/],
    [['{"action": 0, "reward": 1, "action_dist": [0.5, 0.5], "estimated_rewards": [0, 0]}'], /line 1: field "pscore": missing/],
  ];
  for (const [index, [lines, message]] of cases.entries()) {
    const path = file(`bad${index}.jsonl`, lines);
    const { code, out, err } = await runCaptured(['ope', '--input', path, '--json']);
    assert.notEqual(code, 0);
    assert.equal(out, '');
    assert.match(err, message);
    assert.ok(err.includes(path), err);
  }
});

test('a missing file, a bad option value or an unknown estimator exits non-zero with nothing on stdout', async () => {
  for (const args of [
    ['ope', '--input', join(dir, 'absent.jsonl')],
    ['ope', '--input', handFile, '--alpha', '1.5'],
    ['ope', '--input', handFile, '--clip', '-1'],
    ['ope', '--input', handFile, '--bootstrap', '2.5'],
    ['ope', '--input', handFile, '--estimators', 'ips,magic'],
    ['ope'],
  ]) {
    const { code, out, err } = await runCaptured(args);
    assert.notEqual(code, 0, args.join(' '));
    assert.equal(out, '');
    assert.notEqual(err, '');
  }
});

test('replay of a deterministic candidate reports its matches and the propensity-weighted replay', async () => {
  // Candidate plays [0, 1, 1, 0]; rounds 1 and 2 match: replay (1 + 0)/2 = 0.5, weighted (2 + 0)/(2 + 4) = 1/3.
  const path = file('deterministic.jsonl', [
    round(0, 1, 0.5, [1, 0], [0, 0]),
    round(1, 0, 0.25, [0, 1], [0, 0]),
    round(0, 0, 0.8, [0, 1], [0, 0]),
    round(1, 1, 0.5, [1, 0], [0, 0]),
  ]);
  const { code, out } = await runCaptured(['ope', '--input', path, '--json', '--bootstrap', '0', '--estimators', 'ips,replay']);
  assert.equal(code, 0);
  const replay = (JSON.parse(out) as OpeJson).estimators['replay'];
  assert.equal(replay?.estimate, 0.5);
  assert.equal(replay?.matches, 2);
  near(replay?.weighted_estimate, 1 / 3);
  const stochastic = await runCaptured(['ope', '--input', handFile, '--estimators', 'replay']);
  assert.notEqual(stochastic.code, 0);
  assert.match(stochastic.err, /deterministic candidate/);
});

test('native input: a decision log and a baseline candidate snapshot give IPS = mean of r·π_e(a)/π_b(a), with the support diagnostic', async () => {
  // 3 arms, one context feature, decisions logged uniformly (π_b = 1/3); the candidate is the
  // baseline on arm 1 with 30% exploration over arms 0 and 2: π_e = [0.15, 0.7, 0.15].
  const served = [0, 1, 2, 1, 0, 2];
  const rewards = [0.2, 0.9, 0.4, 0.7, 0.1, 0.5];
  const lines = [jsonlHeader()];
  served.forEach((arm, i) => {
    const decision: Decision = {
      requestId: `r${i}`,
      timestamp: 1000 + i,
      contextFeatures: [i / 10],
      featureNames: ['x'],
      contextFingerprint: `f${i}`,
      armIndex: arm,
      armId: `arm${arm}`,
      params: {},
      propensity: 1 / 3,
      probabilities: [1 / 3, 1 / 3, 1 / 3],
      policyId: 'logger',
      policyVersion: 1,
      phase: 'shadow',
      servedBy: 'baseline',
      baselineArmIndex: 1,
    };
    const outcome: Outcome = { requestId: `r${i}`, timestamp: 2000 + i, latencyMs: 10, tokensIn: 1, tokensOut: 1, finishReason: 'stop', quality: rewards[i] ?? 0 };
    lines.push(jsonlLine({ decision, outcome, reward: { reward: rewards[i] ?? 0, violations: [] } }));
  });
  // One decision still waiting for its outcome: left out and counted.
  lines.push(JSON.stringify({ decision: { ...(JSON.parse(lines[1] ?? '{}') as { decision: Decision }).decision, requestId: 'pending' } }));
  const logPath = file('native.jsonl', lines);
  const policyPath = file('policy.json', [
    JSON.stringify({ snapshot: { kind: 'baseline', version: 0, armCount: 3, contextDim: 1 }, settings: { baseline: { exploration: 0.3 } }, baseline: { baselineArm: 1, trustRegionArms: [0, 2] } }),
  ]);
  const { code, out, err } = await runCaptured(['ope', '--input', logPath, '--policy', policyPath, '--json', '--bootstrap', '0']);
  assert.equal(code, 0, err);
  const report = JSON.parse(out) as OpeJson;
  const candidate = [0.15, 0.7, 0.15];
  const ips = served.reduce((sum, arm, i) => sum + (rewards[i] ?? 0) * ((candidate[arm] ?? 0) / (1 / 3)), 0) / served.length;
  assert.equal(report.n, 6);
  near(report.estimators['ips']?.estimate, ips);
  const native = report.diagnostics['native'] as { skipped_without_reward: number; candidate_mass_off_support: number; policy_kind: string };
  assert.equal(native.skipped_without_reward, 1);
  assert.equal(native.candidate_mass_off_support, 0);
  assert.equal(native.policy_kind, 'baseline');

  // "eligibleArms": [0, 1] confines the candidate: its exploration all goes to arm 0 → [0.3, 0.7, 0].
  const confinedPath = file('policy-confined.json', [
    JSON.stringify({ snapshot: { kind: 'baseline', version: 0, armCount: 3, contextDim: 1 }, settings: { baseline: { exploration: 0.3 } }, baseline: { baselineArm: 1, trustRegionArms: [0, 2] }, eligibleArms: [0, 1] }),
  ]);
  const confined = await runCaptured(['ope', '--input', logPath, '--policy', confinedPath, '--json', '--bootstrap', '0']);
  assert.equal(confined.code, 0, confined.err);
  const confinedCandidate = [0.3, 0.7, 0];
  near((JSON.parse(confined.out) as OpeJson).estimators['ips']?.estimate, served.reduce((sum, arm, i) => sum + (rewards[i] ?? 0) * ((confinedCandidate[arm] ?? 0) / (1 / 3)), 0) / served.length);
});

test('native input with a learned candidate (epsilon-greedy snapshot) uses the restored policy\'s own probabilities', async () => {
  const map = disjointFeatureMap(3, 1);
  const settings = parsePolicySettings({ featureMap: 'disjoint', epsilon: { epsilon: 0.2 } });
  const learner = createPolicy('epsilon', map, settings, { baselineArm: 0, trustRegionArms: [] });
  for (let i = 0; i < 30; i++) learner.update(Float64Array.of(i / 30), i % 3, i % 3 === 2 ? 1 : 0.2);
  const contexts = [0.1, 0.5, 0.9, 0.3];
  const served = [2, 0, 2, 1];
  const rewards = [1, 0.2, 0.8, 0.3];
  const lines = [jsonlHeader()];
  served.forEach((arm, i) => {
    // The served arm had probability 0.25 under the logger in every round.
    const decision: Decision = {
      requestId: `e${i}`,
      timestamp: i,
      contextFeatures: [contexts[i] ?? 0],
      featureNames: ['x'],
      contextFingerprint: `e${i}`,
      armIndex: arm,
      armId: `arm${arm}`,
      params: {},
      propensity: 0.25,
      probabilities: arm === 0 ? [0.25, 0.5, 0.25] : [0.5, 0.25, 0.25],
      policyId: 'logger',
      policyVersion: 1,
      phase: 'canary',
      servedBy: 'learned',
      baselineArmIndex: 0,
    };
    const outcome: Outcome = { requestId: `e${i}`, timestamp: 10 + i, latencyMs: 1, tokensIn: 1, tokensOut: 1, finishReason: 'stop', quality: rewards[i] ?? 0 };
    lines.push(jsonlLine({ decision, outcome, reward: { reward: rewards[i] ?? 0, violations: [] } }));
  });
  const logPath = file('learned.jsonl', lines);
  const policyPath = file('learned-policy.json', [JSON.stringify({ snapshot: learner.snapshot(), settings: { featureMap: 'disjoint', epsilon: { epsilon: 0.2 } } })]);
  const { code, out, err } = await runCaptured(['ope', '--input', logPath, '--policy', policyPath, '--json', '--bootstrap', '0', '--estimators', 'ips']);
  assert.equal(code, 0, err);
  const probabilities = new Float64Array(3);
  const expected =
    served.reduce((sum, arm, i) => {
      learner.probabilities(Float64Array.of(contexts[i] ?? 0), Uint8Array.of(1, 1, 1), createRng(0), probabilities);
      return sum + (rewards[i] ?? 0) * ((probabilities[arm] ?? 0) / 0.25);
    }, 0) / served.length;
  near((JSON.parse(out) as OpeJson).estimators['ips']?.estimate, expected);
});

test('native input with a snapshot that does not fit, or a trained candidate on a log of another parameter space, exits non-zero naming the problem', async () => {
  const path = file('native-bad.jsonl', ['{"format":"paramloop.decisions","version":1,"schemaVersion":2}', '{"decision": {"requestId": "r1"}}']);
  const policyPath = file('policy-bad.json', ['{"kind": "thompson", "armCount": 0, "contextDim": 1}']);
  const badLog = await runCaptured(['ope', '--input', path, '--format', 'native', '--policy', policyPath]);
  assert.notEqual(badLog.code, 0);
  assert.equal(badLog.out, '');
  assert.match(badLog.err, /line 2/);
  // The hand-made log above has 3 arms named arm0..arm2: not the default space's 24 arms.
  const otherSpace = await runCaptured(['ope', '--input', join(dir, 'native.jsonl'), '--format', 'native']);
  assert.equal(otherSpace.code, 1);
  assert.equal(otherSpace.out, '');
  assert.match(otherSpace.err, /native\.jsonl, line 2: the log has 3 arms, the default parameter space has 24: give --space FILE with the space the log was written with/);
});
