// `npm start`: installs dependencies on first use, builds, and opens VS Code with Paramloop loaded as
// an extension under development, on a sample workspace, with a profile of its own that is kept
// between runs (scripts/startHome.mjs: `.cache/start-profile/` and `.cache/start-workspace/`, or
// under PARAMLOOP_START_HOME). With desktop VS Code (`code` on PATH, unless PARAMLOOP_START_WEB=1) it
// launches it; otherwise it starts a local code-server (installed under .cache/ on first use), prints
// the URL to open in a browser, and serves until Ctrl-C, SIGTERM or SIGHUP, or until its parent
// process ends: then it stops code-server's whole process group, waits for it, and exits 0.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { ensureDependencies, projectRoot, runScript } from './ensureDeps.mjs';
import { claimProfile, forgetRunning, lastPort, prepareProfile, recordRunning, rememberPort, seedWorkspace, startPaths } from './startHome.mjs';

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** A process's parent id from /proc, or undefined when it is gone. */
function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * Whether the process that started this one still runs: the parent, and, when the parent is the
 * `sh -c` through which npm runs a script, npm above it (a killed npm leaves that shell waiting).
 * A process whose parent ended is moved to another parent, so a changed parent id means it ended.
 */
const parentsAlive = (() => {
  const watched = [[process.pid, process.ppid]];
  let shell = [];
  try {
    shell = readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8').split('\0');
  } catch {
    // no /proc: watch the parent only
  }
  const grandparent = parentOf(process.ppid);
  if (/(^|\/)(ba|da)?sh$/.test(shell[0] ?? '') && shell[1] === '-c' && grandparent !== undefined) watched.push([process.ppid, grandparent]);
  return () => watched.every(([pid, parent]) => (pid === process.pid ? process.ppid : parentOf(pid)) === parent);
})();

ensureDependencies();
runScript('build');

// The host code is TypeScript shared with the tests; tsx loads it (one module, see devServer.ts).
const { tsImport } = await import('tsx/esm/api');
const devServer = await tsImport('../test/host/devServer.ts', import.meta.url);

const paths = startPaths();
const refusal = claimProfile(paths);
if (refusal) {
  console.error(refusal);
  process.exit(1);
}
prepareProfile(paths, devServer.quietUserSettings);

// npm runs scripts from the project folder; INIT_CWD is where `npm start` was typed. From the project
// folder itself, the sample workspace opens; from anywhere else, that folder.
const invokedFrom = resolve(process.env.INIT_CWD ?? process.cwd());
const fromProject = invokedFrom === resolve(projectRoot);
let folder = invokedFrom;
if (fromProject) {
  folder = paths.workspaceDir;
  const copied = seedWorkspace(folder);
  if (copied.length > 0) console.log(`Sample workspace: copied ${copied.join(', ')} into ${folder}`);
}

const afresh = `To start afresh, stop it and delete ${paths.profileDir}${fromProject ? ` (and ${paths.workspaceDir} for a new sample)` : ''}.`;

if (onPath('code') && process.env.PARAMLOOP_START_WEB !== '1') {
  console.log(`Opening VS Code with Paramloop from ${projectRoot} on ${folder}`);
  console.log(`Profile (settings, the decision log, extensions): ${paths.profileDir}. ${afresh}`);
  const child = spawn(
    'code',
    ['--user-data-dir', paths.userDataDir, '--extensions-dir', paths.extensionsDir, `--extensionDevelopmentPath=${projectRoot}`, folder],
    { stdio: 'inherit' },
  );
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const host = devServer.ensureHostInstalled();
  let server;
  let stopping;
  /** Stops code-server's whole process group (SIGTERM, SIGKILL after 5 s) and waits for it; once. */
  const stop = (reason) => {
    stopping ??= (async () => {
      console.log(`\n${reason}: stopping code-server…`);
      if (server) await server.stop();
      forgetRunning(paths);
      console.log('Stopped.');
      return 0;
    })();
    return stopping;
  };
  // SIGINT (Ctrl-C), SIGTERM (npm forwards it) and SIGHUP (the terminal closed); a second one kills at once.
  devServer.onStopSignal((signal) => stop(`${signal} received`));
  // npm (or whoever started this) gone without a signal reaching here, e.g. killed with SIGKILL.
  const watchParent = setInterval(() => {
    if (parentsAlive()) return;
    clearInterval(watchParent);
    void stop('The process that started this one ended').then((code) => process.exit(code));
  }, 1000);

  const started = await devServer.startDevelopmentServer(host, folder, { ...paths, preferredPort: lastPort(paths) });
  server = started.server;
  if (stopping) {
    // A signal came while the server was starting: stop it too.
    await server.stop();
  } else {
    recordRunning(paths, { serverPid: server.pid, url: started.url });
    rememberPort(paths, server.port);
    console.log('\nParamloop is loaded in a local VS Code (code-server). Open this URL in a browser on this machine:\n');
    console.log(`  ${started.url}\n`);
    console.log(`Workspace: ${folder}`);
    console.log(`Profile (settings, the decision log, extensions): ${paths.profileDir}; kept for the next \`npm start\`.`);
    console.log(`What the browser keeps (secrets, window layout) stays in the browser, for this URL's port (${server.port}, asked for again next time).`);
    console.log(afresh);
    console.log(`Server log: ${server.logFile}`);
    console.log('Run `npm run watch` in another terminal to rebuild on change, then reload the window. Ctrl-C stops the server.');
    server.exited.then((code) => {
      if (stopping) return;
      forgetRunning(paths);
      console.error(`code-server exited (${code}); see ${server.logFile}`);
      process.exit(1);
    });
  }
}
