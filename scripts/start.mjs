// `npm start`: installs dependencies on first use, builds, and opens VS Code with Paramloop loaded as
// an extension under development. With desktop VS Code (`code` on PATH) it launches it; otherwise it
// starts a local code-server (installed under .cache/ on first use), prints the URL to open in a
// browser, and keeps serving until Ctrl-C.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { ensureDependencies, projectRoot, runScript } from './ensureDeps.mjs';

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

ensureDependencies();
runScript('build');

// npm runs scripts from the project folder; INIT_CWD is where `npm start` was typed.
const invokedFrom = resolve(process.env.INIT_CWD ?? process.cwd());
const fromProject = invokedFrom === resolve(projectRoot);

if (onPath('code') && process.env.PARAMLOOP_START_WEB !== '1') {
  const folder = fromProject ? join(projectRoot, '.cache', 'start-workspace') : invokedFrom;
  if (fromProject) {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(folder, { recursive: true });
  }
  console.log(`Opening VS Code with Paramloop from ${projectRoot} on ${folder}`);
  const child = spawn('code', [`--extensionDevelopmentPath=${projectRoot}`, folder], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  // The host code is TypeScript shared with the tests; tsx loads it.
  const { tsImport } = await import('tsx/esm/api');
  const { startDevelopmentServer, startWorkspace } = await tsImport('../test/host/devServer.ts', import.meta.url);
  const folder = fromProject ? startWorkspace() : invokedFrom;
  const { server, url } = await startDevelopmentServer(folder);
  console.log('\nParamloop is loaded in a local VS Code (code-server). Open this URL in a browser on this machine:\n');
  console.log(`  ${url}\n`);
  console.log(`Workspace: ${folder}`);
  console.log(`Server log: ${server.logFile}`);
  console.log('Run `npm run watch` in another terminal to rebuild on change, then reload the window. Ctrl-C stops the server.');
  server.exited.then((code) => {
    console.error(`code-server exited (${code}); see ${server.logFile}`);
    process.exit(1);
  });
}
