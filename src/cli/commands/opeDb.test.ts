// `paramloop ope` on a decision log with a trained candidate: --db DIR reads a store, --candidate
// current rebuilds the log's learned policy from its earlier half and scores it on the later half,
// under each decision's eligibility mask, resampling whole sessions. Statistics are checked against
// the LLM-planning environment's exact expected rewards.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEventLog } from '../../core/events';
import { LLMParameterOptimizer } from '../../core/optimizer';
import { createPolicy, parsePolicySettings, type PolicyKind } from '../../core/policies';
import { actionFeatures } from '../../core/features';
import { sharedFeatureMap } from '../../core/policies';
import { createRng } from '../../core/math/random';
import { parseRewardSettings } from '../../core/reward';
import type { RequestContext, RolloutPhase } from '../../core/types';
import { createLlmPlanningEnvironment } from '../../sim/llmPlanning';
import { jsonlHeader, jsonlLine } from '../../store/formats/jsonl';
import { openStore } from '../../store/store';
import { runCaptured } from '../testing';

const dir = mkdtempSync(join(tmpdir(), 'paramloop-ope-db-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const wasmDir = join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist');

const env = createLlmPlanningEnvironment();
const rewardSettings = parseRewardSettings({});

interface SimulatedLog {
  optimizerStore: MemoryEventLog;
  contexts: Map<string, RequestContext>;
}

/**
 * The real optimizer in the environment, 30 requests a day, keeping each request's context (which
 * the log does not hold) so that the exact expected reward of any arm can be computed.
 */
function simulate(policy: PolicyKind, rounds: number, seed: number, phase: RolloutPhase = 'general', eligible?: Uint8Array): SimulatedLog {
  let now = Date.UTC(2026, 0, 5, 9);
  const store = new MemoryEventLog();
  const optimizer = new LLMParameterOptimizer({
    space: env.space,
    policyKind: policy,
    policySettings: parsePolicySettings({}),
    rewardSettings,
    events: store,
    clock: { now: () => now },
    seed,
    phase,
  });
  const world = createRng(seed ^ 0x5eed);
  const contexts = new Map<string, RequestContext>();
  for (let t = 0; t < rounds; t++) {
    now += Math.round((-Math.log(1 - world.next()) * 86_400_000) / 30);
    const context = env.sampleContext(world);
    const decision = optimizer.recommend(context, eligible ? { eligible } : {});
    contexts.set(decision.requestId, context);
    optimizer.logDecision(decision.requestId);
    optimizer.recordOutcome(decision.requestId, env.sampleOutcome(context, env.space.arms[decision.armIndex]!, world, decision.requestId, now));
  }
  return { optimizerStore: store, contexts };
}

async function writeStore(log: SimulatedLog, name: string): Promise<string> {
  const path = join(dir, name);
  const store = await openStore(path, { wasmDir });
  log.optimizerStore.decisions.forEach((decision, i) => {
    store.appendDecision(decision);
    const outcome = log.optimizerStore.outcomes[i];
    if (outcome) store.appendOutcome(outcome.outcome, outcome.report);
  });
  await store.close();
  return path;
}

interface OpeJson {
  n: number;
  ess: number;
  estimators: Record<string, { estimate: number; ci: [number, number] }>;
  diagnostics: {
    bootstrap: { resampled: string; sessions?: number };
    native: { policy_kind: string; candidate: { kind: string; split: unknown; trained_on: number; trained_until: string | null }; scored: number; candidate_mass_off_support: number };
  };
  warnings: string[];
}

async function opeJson(args: string[]): Promise<OpeJson> {
  const { code, out, err } = await runCaptured(['ope', ...args, '--json']);
  assert.equal(code, 0, err);
  return JSON.parse(out) as OpeJson;
}

const logged = simulate('thompson', 2400, 7);
const storeDir = writeStore(logged, 'thompson-db');

test('--db with --candidate current: the log\'s Thompson policy trained on the first 1,200 decisions; DR\'s interval holds its exact value on the later 1,200', async () => {
  const report = await opeJson(['--db', await storeDir, '--bootstrap', '400', '--seed', '3']);
  const { native } = report.diagnostics;
  assert.equal(report.n, 1200);
  assert.equal(native.policy_kind, 'thompson');
  assert.deepEqual([native.candidate.kind, native.candidate.split, native.candidate.trained_on, native.scored], ['current', 0.5, 1200, 1200]);
  assert.equal(native.candidate.trained_until, new Date(logged.optimizerStore.decisions[1199]!.timestamp).toISOString());

  // The truth, by definition: a Thompson policy with default settings updated with the first
  // 1,200 outcomes in order; its value is the mean over the later contexts of Σ_a π_e(a|x)·μ(x, a).
  const settings = parsePolicySettings({});
  const map = sharedFeatureMap(logged.optimizerStore.decisions[0]!.contextFeatures.length, actionFeatures(env.space.arms, env.space.baselineArm).values);
  const candidate = createPolicy('thompson', map, settings, { baselineArm: env.space.baselineArm, trustRegionArms: env.space.trustRegionArms });
  const { decisions, outcomes } = logged.optimizerStore;
  for (let i = 0; i < 1200; i++) candidate.update(Float64Array.from(decisions[i]!.contextFeatures), decisions[i]!.armIndex, outcomes[i]!.report.reward);
  const k = env.space.arms.length;
  const probabilities = new Float64Array(k);
  const all = new Uint8Array(k).fill(1);
  const rng = createRng(11);
  let truth = 0;
  for (let i = 1200; i < 2400; i++) {
    const decision = decisions[i]!;
    candidate.probabilities(Float64Array.from(decision.contextFeatures), all, rng, probabilities);
    const context = logged.contexts.get(decision.requestId)!;
    for (let a = 0; a < k; a++) truth += probabilities[a]! * env.meanReward(context, env.space.arms[a]!, rewardSettings);
  }
  truth /= 1200;
  const dr = report.estimators['dr']!;
  assert.ok(dr.ci[0] <= truth && truth <= dr.ci[1], `DR ${dr.estimate} [${dr.ci.join(', ')}], true value ${truth}`);
  assert.ok(Math.abs(dr.estimate - truth) < 0.02, `DR ${dr.estimate}, true value ${truth}`);
  assert.deepEqual(report.warnings, []);
});

test('--train-until trains on the decisions logged before that time; --split none trains and scores on all of them, with a warning', async () => {
  const until = logged.optimizerStore.decisions[800]!.timestamp;
  const report = await opeJson(['--db', await storeDir, '--bootstrap', '0', '--train-until', new Date(until).toISOString()]);
  assert.equal(report.diagnostics.native.candidate.trained_on, 800);
  assert.equal(report.n, 1600);
  const inSample = await opeJson(['--db', await storeDir, '--bootstrap', '0', '--split', 'none']);
  assert.equal(inSample.n, 2400);
  assert.equal(inSample.diagnostics.native.candidate.trained_on, 2400);
  assert.match(inSample.warnings.join('\n'), /learned from the same decisions it is scored on/);
});

test('--candidate FILE trains the policy kind and settings it names on the log', async () => {
  const settingsPath = join(dir, 'linucb.json');
  writeFileSync(settingsPath, JSON.stringify({ kind: 'linucb', settings: { linucb: { alpha: 0.2, exploration: { kind: 'epsilon', epsilon: 0.2 } } } }));
  const report = await opeJson(['--db', await storeDir, '--bootstrap', '0', '--candidate', settingsPath]);
  assert.equal(report.diagnostics.native.policy_kind, 'linucb');
  assert.equal(report.diagnostics.native.candidate.kind, 'settings');
  // ε = 0.2 over 24 arms: every weight is at least 0.2/24 divided by the logged propensity, so none is 0.
  assert.ok(report.ess > 0);
  const badSettings = join(dir, 'bad-settings.json');
  writeFileSync(badSettings, JSON.stringify({ kind: 'linucb', settings: { linucb: { alpha: -1 } } }));
  const bad = await runCaptured(['ope', '--db', await storeDir, '--candidate', badSettings]);
  assert.equal(bad.code, 2);
  assert.equal(bad.out, '');
  assert.match(bad.err, /bad-settings\.json \(--candidate\): "settings": policy settings: linucb\.alpha: /);
});

test('each decision\'s eligibleArms confine the candidate, and its sessionKey makes the bootstrap resample sessions', async () => {
  // A logger restricted to the trust region on every request (as a budget or the rollout would),
  // in canary (the baseline serves 95%): probabilities outside the 18 trust-region arms are 0.
  const k = env.space.arms.length;
  const mask = new Uint8Array(k);
  for (const a of env.space.trustRegionArms) mask[a] = 1;
  const masked = simulate('thompson', 600, 5, 'canary', mask);
  const lines = [jsonlHeader()];
  masked.optimizerStore.decisions.forEach((decision, i) => {
    const outcome = masked.optimizerStore.outcomes[i]!;
    const withFields = { ...decision, eligibleArms: [...env.space.trustRegionArms], sessionKey: `s${Math.floor(i / 6)}` };
    lines.push(jsonlLine({ decision: withFields, outcome: outcome.outcome, reward: outcome.report }));
  });
  const withMask = join(dir, 'masked.jsonl');
  writeFileSync(withMask, `${lines.join('\n')}\n`);
  const report = await opeJson(['--input', withMask, '--bootstrap', '50']);
  assert.equal(report.diagnostics.native.candidate_mass_off_support, 0);
  assert.deepEqual(report.diagnostics.bootstrap.resampled, 'sessions');
  assert.equal(report.diagnostics.bootstrap.sessions, 50, 'the later 300 decisions form sessions 50..99');

  // The same log without the fields: the candidate is free to choose the 6 arms outside the trust
  // region, where the logger had probability 0, and no sessions are known.
  const stripped = lines.map((line) => line.replace(/,"eligibleArms":\[[\d,]+\],"sessionKey":"s\d+"/, ''));
  const withoutMask = join(dir, 'unmasked.jsonl');
  writeFileSync(withoutMask, `${stripped.join('\n')}\n`);
  const free = await opeJson(['--input', withoutMask, '--bootstrap', '50']);
  assert.ok(free.diagnostics.native.candidate_mass_off_support > 0.05, String(free.diagnostics.native.candidate_mass_off_support));
  assert.equal(free.diagnostics.bootstrap.resampled, 'rounds');
});

test('ope --db names what cannot be evaluated: a split that leaves no decision, options that do not fit, a store without rewards', async () => {
  const db = await storeDir;
  const cases: [string[], number, RegExp][] = [
    [['--db', db, '--train-until', '2020-01-01'], 2, /--train-until 2020-01-01T00:00:00\.000Z leaves no decision to learn from \(2400 decisions with a reward, 0 before the split and 2400 after it\)/],
    [['--db', db, '--split', '1'], 2, /--split must be a number in \(0, 1\), got '1'/],
    [['--db', db, '--format', 'obp'], 2, /--format obp applies to --input files only/],
    [['--db', db, '--policy', join(dir, 'x.json'), '--split', '0.3'], 2, /apply to a trained --candidate/],
    [['--db', db, '--train-until', 'yesterday'], 2, /--train-until must be a time/],
    [['--db', join(dir, 'empty-db')], 1, /no decision has a reward yet/],
  ];
  await (await openStore(join(dir, 'empty-db'), { wasmDir })).close();
  for (const [args, code, message] of cases) {
    const result = await runCaptured(['ope', ...args]);
    assert.equal(result.code, code, `${args.join(' ')}: ${result.err}`);
    assert.equal(result.out, '');
    assert.match(result.err, message);
  }
});
