// `npm start` as a new user runs it, with code-server (PARAMLOOP_START_WEB=1) and its profile and
// sample workspace in a temporary folder (PARAMLOOP_START_HOME): it prints the URL, seeds the sample,
// stops every process it started on SIGTERM, SIGINT or when npm is killed, and the next start finds
// the profile and the user's edits as they were left; with desktop `code` on PATH it launches that
// on the same profile. Needs the test host (code-server under .cache/,
// installed on first use); `npm run test:integration` runs it as its `start` part:
//
//   node --import tsx --test test/host/start.test.ts
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureHostInstalled } from './install';
import { projectRoot } from './paths';

const home = mkdtempSync(join(tmpdir(), 'paramloop-start-'));
const profile = join(home, 'start-profile');
const settingsFile = join(profile, 'user-data', 'User', 'settings.json');
const runningFile = join(profile, 'running.json');
const sampleFile = join(home, 'start-workspace', 'src', 'cart.ts');
const started: ChildProcess[] = [];
const serverGroups = new Set<number>();

interface Run {
  readonly child: ChildProcess;
  readonly pid: number;
  output: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `command` in its own process group, as `npm start` would run from the project folder. */
function launch(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(command, args, {
    cwd: projectRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PARAMLOOP_START_WEB: '1', PARAMLOOP_START_HOME: home, INIT_CWD: projectRoot, ...env },
  });
  if (child.pid === undefined) throw new Error(`${command} did not start`);
  started.push(child);
  const run: Run = {
    child,
    pid: child.pid,
    output: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => (run.output += chunk.toString()));
  return run;
}

/** Waits for the URL line; returns the URL and the server's process group from running.json. */
async function served(run: Run, timeoutMs = 240_000): Promise<{ url: string; serverPid: number }> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void run.exited.then(() => (exited = true));
  for (;;) {
    const url = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/\S*)$/m.exec(run.output)?.[1];
    if (url && existsSync(runningFile)) {
      const record = JSON.parse(readFileSync(runningFile, 'utf8')) as { serverPid: number; url: string };
      serverGroups.add(record.serverPid);
      assert.equal(record.url, url);
      return { url, serverPid: record.serverPid };
    }
    if (exited || Date.now() > deadline) assert.fail(`no URL from npm start (${exited ? 'it exited' : 'timed out'}):\n${run.output}`);
    await sleep(200);
  }
}

/** Whether process group `pgid` has a live (not zombie) process, from /proc. */
function groupAlive(pgid: number): boolean {
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(group) === pgid && state !== 'Z') return true;
    } catch {
      // ended meanwhile
    }
  }
  return false;
}

/** Processes whose command line names the temporary home (code-server's --user-data-dir does). */
function processesOfHome(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(home) && Number(pid) !== process.pid) found.push(`${pid} ${cmd}`);
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

/** Waits until nothing that run started remains: its group, the server's group, any process of the home. */
async function assertAllGone(run: Run, serverPid: number, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline && (groupAlive(run.pid) || groupAlive(serverPid) || processesOfHome().length > 0)) await sleep(100);
  assert.equal(groupAlive(serverPid), false, `code-server's process group ${serverPid} is still running`);
  assert.equal(groupAlive(run.pid), false, `process group ${run.pid} of the start command is still running`);
  assert.deepEqual(processesOfHome(), [], 'processes of the start profile are still running');
}

before(() => {
  // Installs the host on first use (minutes), so that the first start below only starts it.
  ensureHostInstalled();
});

after(() => {
  const kill = (pgid: number): void => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  for (const child of started) if (child.pid !== undefined && groupAlive(child.pid)) kill(child.pid);
  for (const pgid of serverGroups) if (groupAlive(pgid)) kill(pgid);
  rmSync(home, { recursive: true, force: true });
});

test('first start seeds the sample and the profile; SIGTERM stops every process and exits 0', { timeout: 300_000 }, async () => {
  const run = launch(process.execPath, ['scripts/start.mjs']);
  const { url, serverPid } = await served(run);
  assert.match(url, /\?folder=[^&]*start-workspace/);
  assert.match(readFileSync(sampleFile, 'utf8'), /\/\/ TODO:/);
  assert.match(readFileSync(join(home, 'start-workspace', 'README.md'), 'utf8'), /Paramloop: Plan Task…/);
  const health = await fetch(new URL('/healthz', url));
  assert.equal(health.ok, true);
  assert.equal(groupAlive(serverPid), true);

  // What a user does meanwhile: a setting, an edit of the sample.
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(settingsFile, `${JSON.stringify({ ...settings, 'editor.fontSize': 17 }, null, 2)}\n`);
  writeFileSync(sampleFile, `${readFileSync(sampleFile, 'utf8')}\n// my edit\n`);

  const stoppedAt = Date.now();
  process.kill(run.pid, 'SIGTERM');
  const exit = await run.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, run.output);
  await assertAllGone(run, serverPid, 3000);
  assert.ok(Date.now() - stoppedAt < 10_000, `stopping took ${Date.now() - stoppedAt} ms`);
  assert.equal(existsSync(runningFile), false);
  assert.match(run.output, /SIGTERM received: stopping code-server…\nStopped\./);
});

test('through npm: the profile, its port and the edits are kept; SIGTERM to npm leaves nothing running', { timeout: 120_000 }, async () => {
  const firstPort = readFileSync(join(profile, 'port'), 'utf8').trim();
  const run = launch('npm', ['start']);
  const { url, serverPid } = await served(run);
  assert.doesNotMatch(run.output, /Sample workspace: copied/);
  assert.equal((JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>)['editor.fontSize'], 17);
  assert.match(readFileSync(sampleFile, 'utf8'), /\/\/ my edit\n$/);
  assert.equal(new URL(url).port, firstPort);

  process.kill(run.pid, 'SIGTERM');
  await run.exited;
  await assertAllGone(run, serverPid, 8000);
});

test('npm killed outright: start notices its parent is gone and stops code-server', { timeout: 120_000 }, async () => {
  const run = launch('npm', ['start']);
  const { serverPid } = await served(run);
  process.kill(run.pid, 'SIGKILL');
  await run.exited;
  await assertAllGone(run, serverPid, 10_000);
});

test('a server left by a start killed outright is stopped by the next start; Ctrl-C (SIGINT) exits 0', { timeout: 120_000 }, async () => {
  const killed = launch(process.execPath, ['scripts/start.mjs']);
  const left = await served(killed);
  process.kill(killed.pid, 'SIGKILL');
  await killed.exited;
  assert.equal(groupAlive(left.serverPid), true, 'expected the killed start to leave its code-server behind');

  const run = launch(process.execPath, ['scripts/start.mjs']);
  const { serverPid } = await served(run);
  assert.notEqual(serverPid, left.serverPid);
  assert.equal(groupAlive(left.serverPid), false);
  assert.match(run.output, new RegExp(`Stopping the code-server \\(process group ${left.serverPid}\\) left running`));
  process.kill(run.pid, 'SIGINT');
  assert.deepEqual(await run.exited, { code: 0, signal: null }, run.output);
  await assertAllGone(run, serverPid, 3000);
});

test('with desktop `code` on PATH it is launched on the same profile and workspace', { timeout: 120_000 }, async () => {
  // A stand-in for VS Code's `code` command that records how it was called.
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  const argsFile = join(home, 'code-args.json');
  writeFileSync(join(bin, 'code'), `#!/bin/sh\nexec "${process.execPath}" -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))' "${argsFile}" "$@"\n`);
  chmodSync(join(bin, 'code'), 0o755);
  const run = launch(process.execPath, ['scripts/start.mjs'], { PARAMLOOP_START_WEB: '0', PATH: `${bin}:${process.env.PATH ?? ''}` });
  assert.deepEqual(await run.exited, { code: 0, signal: null }, run.output);
  const args = JSON.parse(readFileSync(argsFile, 'utf8')) as string[];
  assert.deepEqual(args, [
    '--user-data-dir', join(profile, 'user-data'),
    '--extensions-dir', join(profile, 'extensions'),
    `--extensionDevelopmentPath=${projectRoot}`,
    join(home, 'start-workspace'),
  ]);
  assert.equal((JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>)['editor.fontSize'], 17);
});
