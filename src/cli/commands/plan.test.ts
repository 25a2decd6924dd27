import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimServer } from '../../llm/testing/simServer';
import { runCaptured } from '../testing';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paramloop-cli-plan-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('plan --json asks the simulator with the chosen parameters, logs the decision and prints one object with the outcome and reward; feedback afterwards is late', async (t) => {
  const sim = await startSimServer({ seed: 11, msPerToken: 0 });
  t.after(() => sim.close());
  const dir = await tempDir(t);
  const db = join(dir, 'log');
  const file = join(dir, 'cart.ts');
  await writeFile(file, 'export function total(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0);\n}\n');
  const { code, out, err } = await runCaptured(['plan', '--db', db, '--task-type', 'planTests', '--task', 'cover empty carts', '--file', file, '--base-url', sim.openAiBaseUrl, '--model', 'sim-planner', '--json']);
  assert.equal(code, 0, err);
  const result = JSON.parse(out) as Record<string, unknown> & { params: Record<string, number>; outcome: Record<string, unknown>; servedBy: { process: { thisProcess: boolean } } };
  assert.deepEqual(Object.keys(result), ['requestId', 'armId', 'params', 'honoured', 'dropped', 'propensity', 'phase', 'servedBy', 'model', 'plan', 'checks', 'outcome', 'reward']);
  assert.equal(result.plan, sim.plans.at(-1)?.text);
  const body = sim.requests.at(-1)?.body as { temperature: number; messages: Array<{ content: string }> };
  assert.equal(body.temperature, result.params.temperature);
  assert.match(body.messages[1]!.content, /Task type: planTests[\s\S]*cart\.ts/);
  assert.equal(result.phase, 'shadow');
  assert.equal(result.servedBy.process.thisProcess, true, 'no other process serves the log: this one did');
  assert.equal(typeof result.reward, 'number');
  assert.equal(result.outcome.error, null);
  assert.ok((result.outcome.tokensOut as number) > 0);
  const status = await runCaptured(['status', '--db', db, '--json']);
  assert.equal((JSON.parse(status.out) as { decisions: number; outcomes: number }).outcomes, 1);
  const late = await runCaptured(['feedback', '--db', db, '--request', result.requestId as string, '--verdict', 'accept']);
  assert.equal(late.code, 3);
  assert.match(late.out, /^late: the outcome of .* was recorded before this feedback came/);
});

test('plan streams the plan to stdout and says on stderr what was decided; an unreachable provider exits 1 with the reason and no stack trace, the outcome logged as an error', async (t) => {
  const sim = await startSimServer({ seed: 12, msPerToken: 0 });
  t.after(() => sim.close());
  const db = join(await tempDir(t), 'log');
  const ok = await runCaptured(['plan', '--db', db, '--task', 'add a CSV export', '--base-url', sim.openAiBaseUrl, '--model', 'sim-planner']);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out, `${sim.plans.at(-1)!.text}\n`);
  assert.match(ok.err, /^paramloop plan: request \S+, (baseline|learned) arm t[\d.]+-p[\d.]+-m\d+ \(shadow\), reward -?\d\.\d{3}/);
  const down = await runCaptured(['plan', '--db', db, '--task', 'add a CSV export', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'sim-planner']);
  assert.equal(down.code, 1);
  assert.match(down.err, /unreachable: cannot reach http:\/\/127\.0\.0\.1:9\/v1\/chat\/completions/);
  assert.doesNotMatch(down.err, /\n\s+at /, 'no stack trace');
  const status = JSON.parse((await runCaptured(['status', '--db', db, '--json'])).out) as { decisions: number; outcomes: number };
  assert.deepEqual([status.decisions, status.outcomes], [2, 2]);
});

test('bad options are named: task type, provider, base URL, lines without a file, a missing file, a verdict, a wait', async (t) => {
  const db = join(await tempDir(t), 'log');
  const cases: Array<[string[], RegExp]> = [
    [['plan', '--db', db, '--task', 'x', '--task-type', 'planAll'], /--task-type: "planAll" is not one of planTask, planSelection, breakDownTodo, planTests/],
    [['plan', '--db', db, '--task', 'x', '--provider', 'vscode-lm'], /--provider: "vscode-lm" is not one of openai-compatible, anthropic/],
    [['plan', '--db', db, '--task', 'x', '--base-url', 'localhost:11434'], /--base-url: "localhost:11434" is not an http/],
    [['plan', '--db', db, '--task', 'x', '--lines', '3-4'], /--lines needs --file/],
    [['plan', '--db', db, '--task', 'x', '--file', join(db, 'nope.ts')], /--file .*nope\.ts: no such file/],
    [['plan', '--db', db, '--task', 'x', '--provider', 'anthropic'], /no API key for Anthropic/],
    [['feedback', '--db', db, '--request', 'r', '--verdict', 'rate:0'], /--verdict: "rate:0" is not accept, reject or rate:N/],
    [['plan', '--db', db, '--task', 'x', '--wait-verdict', 'soon'], /--wait-verdict: "soon" is not a number of seconds from 0 to 86400/],
  ];
  const saved = { p: process.env.PARAMLOOP_API_KEY, a: process.env.ANTHROPIC_API_KEY };
  delete process.env.PARAMLOOP_API_KEY;
  delete process.env.ANTHROPIC_API_KEY;
  try {
    for (const [args, message] of cases) {
      const { code, err } = await runCaptured(args);
      assert.equal(code, 2, `${args.join(' ')}: ${err}`);
      assert.match(err, message);
    }
  } finally {
    if (saved.p !== undefined) process.env.PARAMLOOP_API_KEY = saved.p;
    if (saved.a !== undefined) process.env.ANTHROPIC_API_KEY = saved.a;
  }
});

/** The stored outcomes' verdicts and ratings, by request id, as `paramloop export` writes them. */
async function storedVerdicts(db: string): Promise<Map<string, { verdict?: string; rating?: number; quality: number }>> {
  const exported = await runCaptured(['export', '--db', db, '--format', 'jsonl']);
  assert.equal(exported.code, 0, exported.err);
  const lines = exported.out.trim().split('\n').slice(1).map((line) => JSON.parse(line) as { decision: { requestId: string }; outcome?: { verdict?: string; rating?: number; quality: number } });
  return new Map(lines.filter((l) => l.outcome).map((l) => [l.decision.requestId, l.outcome!]));
}

test('a verdict on a CLI plan is learned from: asked at the terminal once the plan is printed, or given with "paramloop feedback" while the outcome waits (--wait-verdict)', async (t) => {
  const sim = await startSimServer({ seed: 13, msPerToken: 0 });
  t.after(() => sim.close());
  const db = join(await tempDir(t), 'log');
  const common = ['plan', '--db', db, '--task', 'add a CSV export', '--base-url', sim.openAiBaseUrl, '--model', 'sim-planner'];

  const questions: string[] = [];
  const answers = ['maybe', 'r'];
  const asked = await runCaptured(common, { ask: async (question) => (questions.push(question), answers.shift()) });
  assert.equal(asked.code, 0, asked.err);
  assert.equal(questions.length, 2, 'asked again after an answer it does not understand');
  assert.match(asked.err, /"maybe" is not a, r, accept, reject or a rating from 1 to 5/);
  const askedId = /request (\S+),/.exec(asked.err)?.[1];
  assert.equal((await storedVerdicts(db)).get(askedId!)?.verdict, 'reject');

  let feedback: Promise<{ code: number; out: string }> | undefined;
  const waited = await runCaptured([...common, '--wait-verdict', '2'], {
    onStderr: (text) => {
      const id = /--request (\S+) --verdict/.exec(text)?.[1];
      if (id !== undefined && feedback === undefined) feedback = runCaptured(['feedback', '--db', db, '--request', id, '--verdict', 'rate:5']);
    },
  });
  assert.equal(waited.code, 0, waited.err);
  assert.ok(feedback, waited.err);
  const given = await feedback;
  assert.equal(given.code, 0, given.out);
  assert.match(given.out, /^held: /);
  const waitedId = /request (\S+),/.exec(waited.err.split('\n').find((l) => l.startsWith('paramloop plan: request')) ?? '')?.[1];
  const stored = (await storedVerdicts(db)).get(waitedId!);
  assert.equal(stored?.rating, 5, JSON.stringify(stored));
  // Without a terminal or a wait, the outcome is recorded at once: a verdict then is late (the first test).
});
