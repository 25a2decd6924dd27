// Where `npm start` keeps what a user tried, so that it is still there the next time: the VS Code
// profile (user data: settings, the extension's global storage with the decision log; extensions)
// and the sample workspace, both under the project's git-ignored `.cache/`. PARAMLOOP_START_HOME
// moves both elsewhere (the tests use a temporary folder). Deleting the folders starts afresh.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { projectRoot } from './ensureDeps.mjs';

/** The sample workspace's source, copied into the workspace folder on first use. */
export const sampleSource = join(projectRoot, 'scripts', 'startWorkspace');

/**
 * The folders `npm start` uses: `<home>/start-profile/{user-data,extensions}` and
 * `<home>/start-workspace`, where home is PARAMLOOP_START_HOME or the project's `.cache/`.
 */
export function startPaths(env = process.env) {
  const home = env.PARAMLOOP_START_HOME ? resolve(env.PARAMLOOP_START_HOME) : join(projectRoot, '.cache');
  const profileDir = join(home, 'start-profile');
  return {
    home,
    profileDir,
    userDataDir: join(profileDir, 'user-data'),
    extensionsDir: join(profileDir, 'extensions'),
    /** code-server's output, appended to on every run. */
    logFile: join(profileDir, 'code-server.log'),
    /** The port code-server listened on last time, asked for again (the browser keeps state per origin). */
    portFile: join(profileDir, 'port'),
    /** Who is serving this profile right now (see claimProfile). */
    runningFile: join(profileDir, 'running.json'),
    workspaceDir: join(home, 'start-workspace'),
  };
}

/** Creates the profile folders; writes `settings` only when the profile has no settings yet. */
export function prepareProfile(paths, settings) {
  const userDir = join(paths.userDataDir, 'User');
  mkdirSync(userDir, { recursive: true });
  mkdirSync(paths.extensionsDir, { recursive: true });
  const file = join(userDir, 'settings.json');
  if (!existsSync(file)) writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}

/**
 * Copies the sample files that are not in the workspace yet; a file that is there, edited or not, is
 * left as it is. Returns the files copied (relative paths).
 */
export function seedWorkspace(dir, source = sampleSource) {
  const copied = [];
  const walk = (from) => {
    for (const name of readdirSync(from)) {
      const full = join(from, name);
      const rel = relative(source, full);
      const target = join(dir, rel);
      if (statSync(full).isDirectory()) {
        walk(full);
      } else if (!existsSync(target)) {
        mkdirSync(join(target, '..'), { recursive: true });
        copyFileSync(full, target);
        copied.push(rel);
      }
    }
  };
  mkdirSync(dir, { recursive: true });
  walk(source);
  return copied;
}

/** Live (not zombie) processes of process group `pgid`, from /proc. */
export function groupMembers(pgid) {
  const members = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(group) === pgid && state !== 'Z') members.push(Number(name));
    } catch {
      // ended meanwhile
    }
  }
  return members;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/**
 * Makes sure no other `npm start` serves this profile (two servers on one user-data folder would
 * fight over it). A code-server left behind by a start process that was killed outright (SIGKILL,
 * which no handler sees) is stopped here. Returns an error message when another start still runs.
 */
export function claimProfile(paths) {
  let previous;
  try {
    previous = JSON.parse(readFileSync(paths.runningFile, 'utf8'));
  } catch {
    return undefined;
  }
  const { startPid, serverPid, url } = previous ?? {};
  if (Number.isInteger(startPid) && startPid !== process.pid && alive(startPid) && commandLine(startPid).includes('start.mjs')) {
    return `Another \`npm start\` (process ${startPid}) is serving this profile${url ? ` at ${url}` : ''}; stop it first (Ctrl-C in its terminal, or kill ${startPid}).`;
  }
  if (Number.isInteger(serverPid) && alive(serverPid) && commandLine(serverPid).includes('code-server')) {
    console.log(`Stopping the code-server (process group ${serverPid}) left running by an earlier \`npm start\`.`);
    try {
      process.kill(-serverPid, 'SIGKILL');
    } catch {
      // already gone
    }
    // Wait until it is gone, so that its port and its hold on the profile are free again.
    const deadline = Date.now() + 5000;
    while (groupMembers(serverPid).length > 0 && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  rmSync(paths.runningFile, { force: true });
  return undefined;
}

/** Records who serves the profile, for claimProfile. */
export function recordRunning(paths, record) {
  writeFileSync(paths.runningFile, `${JSON.stringify({ startPid: process.pid, ...record }, null, 2)}\n`);
}

/** The port of the last run, or undefined. */
export function lastPort(paths) {
  try {
    const port = Number(readFileSync(paths.portFile, 'utf8').trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

export function rememberPort(paths, port) {
  writeFileSync(paths.portFile, `${port}\n`);
}

export function forgetRunning(paths) {
  rmSync(paths.runningFile, { force: true });
}
