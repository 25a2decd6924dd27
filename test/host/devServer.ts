// code-server for `npm start` on machines without desktop VS Code: the project loaded as an extension
// under development in a browser workbench, until the process is stopped.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeServer } from './codeServer';
import { startCodeServer } from './codeServer';
import { ensureHostInstalled } from './install';
import { cacheDir, projectRoot } from './paths';
import { workbenchUrl } from './workbench';

/** A small folder to open when `npm start` runs from the project folder itself. */
export function startWorkspace(): string {
  const dir = join(cacheDir, 'start-workspace');
  mkdirSync(dir, { recursive: true });
  const readme = join(dir, 'PLAN.md');
  if (!existsSync(readme)) writeFileSync(readme, '# Sample workspace\n\nTry the Paramloop commands here (Command Palette → "Paramloop").\n');
  return dir;
}

/** Starts code-server with the project as the extension under development; returns it and the URL to open. */
export async function startDevelopmentServer(folder: string): Promise<{ server: CodeServer; url: string }> {
  const host = ensureHostInstalled();
  const server = await startCodeServer(host, { echo: process.env.PARAMLOOP_HOST_VERBOSE === '1' });
  return { server, url: workbenchUrl({ server, folder, extensionDevelopmentPath: projectRoot }) };
}
