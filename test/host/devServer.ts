// code-server for `npm start` on machines without desktop VS Code: the project loaded as an extension
// under development in a browser workbench, until the process is stopped. The profile folders are
// `npm start`'s own (scripts/startHome.mjs) and are kept between runs.
import type { CodeServer } from './codeServer';
import { startCodeServer } from './codeServer';
import type { HostInstall } from './install';
import { projectRoot } from './paths';
import { workbenchUrl } from './workbench';

// start.mjs loads this module alone (tsx gives each load its own module instances): what it needs
// from the other host modules comes through here, so that the cleanup state is the one instance.
export { onStopSignal } from './cleanup';
export { quietUserSettings } from './codeServer';
export { ensureHostInstalled } from './install';

export interface DevelopmentProfile {
  /** VS Code's user data folder: settings, global storage (the decision log), kept between runs. */
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** Where code-server's output goes (appended). */
  readonly logFile: string;
  /** The port of the last run, taken again when free (the browser keeps its state per origin). */
  readonly preferredPort?: number;
}

/** Starts code-server with the project as the extension under development; returns it and the URL to open. */
export async function startDevelopmentServer(host: HostInstall, folder: string, profile: DevelopmentProfile): Promise<{ server: CodeServer; url: string }> {
  const server = await startCodeServer(host, {
    userDataDir: profile.userDataDir,
    extensionsDir: profile.extensionsDir,
    logFile: profile.logFile,
    ...(profile.preferredPort ? { preferredPort: profile.preferredPort } : {}),
    echo: process.env.PARAMLOOP_HOST_VERBOSE === '1',
  });
  return { server, url: workbenchUrl({ server, folder, extensionDevelopmentPath: projectRoot }) };
}
