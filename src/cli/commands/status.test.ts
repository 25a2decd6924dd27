// `paramloop status` while another process serves the log (a real one: a child process connected
// as a VS Code window would be) and while none does; `--at`; the commands that write the log
// directly refused, naming the serving process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../service/connection';
import { bundlePeer, startPeer, type Peer } from '../../service/testing/peers';
import { runCaptured } from '../testing';

interface StatusJson {
  decisions: number;
  outcomes: number;
  phase: string;
  progress: { days: number };
  budget: Array<{ taskType: string; daySpent: number }>;
  servedBy: { thisProcess: boolean; pid: number; kind: string; since: number; readOnly: boolean; reason?: string };
}

/** Where the simulated clock of `simulate --rollout` starts: the log's shadow phase begins then. */
const simulationStart = Date.UTC(2026, 0, 5, 9);
const day = 86_400_000;

let root: string;
let peerScript: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'paramloop-status-'));
  peerScript = await bundlePeer(join(root, 'peer'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A log written by `simulate --rollout` (40 requests: still in shadow); returns its folder and the run's simulated days. */
async function simulatedLog(name: string): Promise<{ db: string; simulatedDays: number }> {
  const db = join(root, name);
  const run = await runCaptured(['simulate', '--env', 'llm-planning', '--rollout', '--db', db, '--rounds', '40', '--seed', '7', '--json']);
  assert.equal(run.code, 0, run.err);
  return { db, simulatedDays: (JSON.parse(run.out) as { simulatedDays: number }).simulatedDays };
}

/** A child process serving the log in `db` as a VS Code window does (kind 'extension'), stopped when the test ends. */
async function servingWindow(t: { after(fn: () => Promise<void>): void }, db: string): Promise<Peer> {
  const peer = startPeer(peerScript, db, 'window', { pauseMs: 'idle', rehearse: false });
  t.after(async () => {
    peer.child.kill('SIGTERM');
    await peer.exited;
  });
  const role = await peer.next((line) => line.startsWith('role ') || line.startsWith('error '));
  assert.equal(role, `role serve ${peer.pid}`, peer.errors.join(' / '));
  return peer;
}

async function statusJson(args: string[]): Promise<StatusJson> {
  const { code, out, err } = await runCaptured(['status', ...args, '--json']);
  assert.equal(code, 0, err);
  return JSON.parse(out) as StatusJson;
}

/** Every file in `dir` (recursively) with its size and modification time. */
async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return Promise.all(files.sort().map(async (file) => `${file} ${(await stat(file)).size} ${(await stat(file)).mtimeMs}`));
}

test('while a VS Code window serves the log, status is its client: it prints what that process answers, naming it', async (t) => {
  const { db } = await simulatedLog('served');
  const window = await servingWindow(t, db);
  const asked = await connect(db, { serve: false, kind: 'cli' });
  const served = await asked.status();
  await asked.close();

  const status = await statusJson(['--db', db]);
  assert.deepEqual({ ...status.servedBy, since: 0 }, { thisProcess: false, pid: window.pid, kind: 'extension', since: 0, readOnly: false });
  assert.ok(status.servedBy.since > Date.now() - 60_000 && status.servedBy.since <= Date.now(), `since ${status.servedBy.since}`);
  assert.equal(status.decisions, served.decisions);
  assert.equal(status.outcomes, served.outcomes);
  assert.ok(status.decisions >= 30, `decisions ${status.decisions}`);

  const text = await runCaptured(['status', '--db', db]);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, new RegExp(`^decision log .*: ${served.decisions} decisions`));
  assert.match(text.out, new RegExp(`served by: process ${window.pid} \\(extension: a VS Code window\\), serving since \\d{4}-`));

  // Settings of its own are not used for a log another process serves, and it says so.
  const settings = join(root, 'settings.json');
  await writeFile(settings, '{}');
  const withSettings = await runCaptured(['status', '--db', db, '--settings', settings]);
  assert.equal(withSettings.code, 0, withSettings.err);
  assert.equal(withSettings.err, `paramloop status: --settings not used: process ${window.pid} serves this log with its own settings\n`);
  assert.equal(window.errors.length, 0, window.errors.join(' / '));
});

test('while none serves, status reads the log itself, read-only, says so, and writes nothing', async () => {
  const { db } = await simulatedLog('unserved');
  const files = await listing(db);
  const status = await statusJson(['--db', db]);
  assert.equal(status.servedBy.thisProcess, true);
  assert.equal(status.servedBy.pid, process.pid);
  assert.equal(status.servedBy.readOnly, true);
  assert.match(status.servedBy.reason ?? '', /no process serves it/);
  assert.ok(status.decisions >= 30);
  const text = await runCaptured(['status', '--db', db]);
  assert.match(text.out, /served by: none; read by this process \(\d+, cli\) from the log, read-only: no process serves it/);
  assert.deepEqual(await listing(db), files, 'nothing in the folder was written');

  const missing = await runCaptured(['status', '--db', join(root, 'no-such-log')]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no-such-log holds no Paramloop store \(no such folder\)/);
});

test('--at computes days in the phase and the day of the budget at that time, read from the log or asked of the serving process', async (t) => {
  const { db, simulatedDays } = await simulatedLog('at');
  const atThreeDays = await statusJson(['--db', db, '--at', new Date(simulationStart + 3 * day).toISOString()]);
  assert.equal(atThreeDays.phase, 'shadow');
  assert.ok(Math.abs(atThreeDays.progress.days - 3) < 1e-9, `days ${atThreeDays.progress.days}`);
  const inMs = await statusJson(['--db', db, '--at', String(simulationStart + 1.5 * day)]);
  assert.ok(Math.abs(inMs.progress.days - 1.5) < 1e-9, `days ${inMs.progress.days}`);
  // The budget's day is the day of --at: the simulation's last day has tokens spent, a later one none.
  const lastDay = await statusJson(['--db', db, '--at', new Date(simulationStart + simulatedDays * day).toISOString()]);
  assert.ok(lastDay.budget.some((b) => b.daySpent > 0), JSON.stringify(lastDay.budget));
  const later = await statusJson(['--db', db, '--at', new Date(simulationStart + (simulatedDays + 10) * day).toISOString()]);
  assert.ok(later.budget.every((b) => b.daySpent === 0), JSON.stringify(later.budget));

  const window = await servingWindow(t, db);
  const asked = await statusJson(['--db', db, '--at', '2026-01-08T09:00Z']);
  assert.equal(asked.servedBy.pid, window.pid);
  assert.ok(Math.abs(asked.progress.days - 3) < 1e-9, `days ${asked.progress.days} from the serving process`);
  const text = await runCaptured(['status', '--db', db, '--at', '2026-01-08T09:00Z']);
  assert.match(text.out, /at 2026-01-08T09:00:00\.000Z \(--at\)/);
  assert.match(text.out, /\d+ of 60 samples, 3\.0 days \(2 needed\)/);
});

test('a bad --at exits 2 naming the flag and the value, with nothing on stdout', async () => {
  for (const bad of ['yesterday', '2026-02-30', '2026-01-05T25:00Z', '']) {
    const { code, out, err } = await runCaptured(['status', '--db', join(root, 'whatever'), '--at', bad]);
    assert.equal(code, 2, `--at '${bad}': ${err}`);
    assert.equal(out, '');
    assert.equal(err, `paramloop status: --at must be a time (ISO 8601 such as 2026-01-20T12:00Z, or ms since the epoch), got '${bad}'\n`);
  }
});

test('import and simulate --db refuse a log a VS Code window serves, naming the serving process; export still reads it', async (t) => {
  const { db } = await simulatedLog('writers');
  const window = await servingWindow(t, db);
  const decisionsBefore = (await statusJson(['--db', db])).decisions;

  const exported = join(root, 'writers.jsonl');
  const exporting = await runCaptured(['export', '--db', db, '--format', 'jsonl', '--out', exported]);
  assert.equal(exporting.code, 0, exporting.err);

  const served = new RegExp(
    `the decision log in .*writers is served by process ${window.pid} \\(extension: a VS Code window\\) since \\d{4}-.*; '(import|simulate)' writes the log directly, which only the serving process may do: close that VS Code window first, then run it again\\. Nothing was changed\\.\\n$`,
  );
  for (const args of [
    ['import', '--db', db, exported],
    ['simulate', '--env', 'llm-planning', '--rounds', '10', '--db', db],
    ['simulate', '--env', 'llm-planning', '--rollout', '--rounds', '10', '--db', db],
  ]) {
    const { code, out, err } = await runCaptured(args);
    assert.equal(code, 1, `${args.join(' ')}: ${err}`);
    assert.match(err, served, args.join(' '));
    assert.doesNotMatch(out, /committed/);
  }
  assert.equal((await statusJson(['--db', db])).decisions, decisionsBefore, 'nothing was written');
});
