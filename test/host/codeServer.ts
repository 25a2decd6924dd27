// Starts and stops code-server (VS Code served to a browser, with a real Node extension host) on
// 127.0.0.1, with throwaway user-data and extensions folders (or the ones given, e.g. `npm start`'s
// profile, which are kept) and the flags that let a test payload load an extension under development.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalGroup, trackFolder, trackProcessGroup, untrackProcessGroup } from './cleanup';
import type { HostInstall } from './install';

/** User settings that keep background features (AI chat, welcome page, telemetry, updates) quiet. */
export const quietUserSettings = {
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
} as const;

export interface CodeServerOptions {
  /**
   * The port to listen on when it is free, else a free one. What the browser keeps for the workbench
   * (secrets, UI state) is per origin, so `npm start` asks for the same port every time.
   */
  readonly preferredPort?: number;
  /**
   * User data folder, kept as it is (settings, global storage): the quiet settings are written only
   * when it has no settings.json yet. A fresh temporary one with the quiet settings when omitted.
   */
  readonly userDataDir?: string;
  /** Extensions folder; a fresh temporary one when omitted. */
  readonly extensionsDir?: string;
  /** Extra environment for the server and so for its extension host (e.g. what the suite reads). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the server's own output goes; a file in the run folder when omitted. */
  readonly logFile?: string;
  /** Echo the server's output to this process's stderr as well. */
  readonly echo?: boolean;
  /**
   * How long the server keeps the extension host of a window that went away without disconnecting
   * (seconds; code-server's default is 10 800, three hours). A reloaded or closed browser tab
   * sometimes unloads before its disconnect message is sent.
   */
  readonly reconnectionGraceSeconds?: number;
}

/** A running code-server. */
export interface CodeServer {
  /** The server's process id, which is also its process group's id (it runs detached). */
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly extensionsDir: string;
  readonly userDataDir: string;
  /** Temporary folder holding this run's user data, extensions and log (those not given). */
  readonly runDir: string;
  readonly logFile: string;
  /** Resolves with the exit code when the server stops. */
  readonly exited: Promise<number | null>;
  /** Stops the server's whole process group (SIGTERM, SIGKILL after 5 s) and removes the temporary folder. */
  stop(): Promise<void>;
}

/** The command-line flags every run uses (see shared notes on running VS Code here). */
export function codeServerFlags(port: number, userDataDir: string, extensionsDir: string): string[] {
  return [
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--disable-proxy',
    // Without it the built workbench ignores extensionDevelopmentPath/extensionTestsPath.
    '--vscode-option', 'enable-smoke-test-driver',
  ];
}

/** A TCP port that was free a moment ago on 127.0.0.1: `wanted` if it was, else any. */
export async function freePort(wanted = 0): Promise<number> {
  if (wanted > 0) {
    try {
      return await listenOnce(wanted);
    } catch {
      // taken: any free port
    }
  }
  return listenOnce(0);
}

async function listenOnce(wanted: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(wanted, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Creates a temporary folder that is removed when the runner ends. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  trackFolder(dir);
  return dir;
}

/** Installs a .vsix into an extensions folder, as a user would (`code-server --install-extension`). */
export function installExtension(host: HostInstall, vsix: string, extensionsDir: string): void {
  const userDataDir = makeTempDir('paramloop-install-');
  const result = spawnSync(
    host.nodeBin,
    [host.codeServerEntry, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  rmSync(userDataDir, { recursive: true, force: true });
  if (result.status !== 0) {
    throw new Error(`code-server --install-extension ${vsix} failed (exit ${String(result.status)}):\n${result.stdout}\n${result.stderr}`);
  }
  process.stdout.write(result.stdout);
}

/** Starts code-server on a free port and waits until `/healthz` answers. */
export async function startCodeServer(host: HostInstall, options: CodeServerOptions = {}): Promise<CodeServer> {
  const runDir = makeTempDir('paramloop-host-');
  const userDataDir = options.userDataDir ?? join(runDir, 'user-data');
  const extensionsDir = options.extensionsDir ?? join(runDir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const settingsFile = join(userDataDir, 'User', 'settings.json');
  if (options.userDataDir === undefined || !existsSync(settingsFile)) writeFileSync(settingsFile, `${JSON.stringify(quietUserSettings, null, 2)}\n`);
  const logFile = options.logFile ?? join(runDir, 'code-server.log');

  for (let attempt = 1; ; attempt++) {
    const port = await freePort(attempt === 1 ? (options.preferredPort ?? 0) : 0);
    const grace = options.reconnectionGraceSeconds === undefined ? [] : ['--reconnection-grace-time', String(options.reconnectionGraceSeconds)];
    const child = spawn(host.nodeBin, [host.codeServerEntry, ...codeServerFlags(port, userDataDir, extensionsDir), ...grace], {
      // Its own process group, so that stop() also reaches the extension host and file watchers.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error('code-server did not start');
    trackProcessGroup(pid);
    const log = createWriteStream(logFile, { flags: 'a' });
    for (const stream of [child.stdout, child.stderr]) {
      stream.pipe(log, { end: false });
      if (options.echo) stream.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    }
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let running = true;
    void exited.then(() => (running = false));

    const stop = async (): Promise<void> => {
      if (running) {
        signalGroup(pid, 'SIGTERM');
        const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
        if (!stopped) signalGroup(pid, 'SIGKILL');
      }
      // Children that outlive the server (extension host, watchers) are in the same group.
      signalGroup(pid, 'SIGKILL');
      untrackProcessGroup(pid);
      log.end();
      rmSync(runDir, { recursive: true, force: true });
    };

    const origin = `http://127.0.0.1:${port}`;
    const healthy = await waitForHealth(origin, exited, 60_000);
    if (healthy) return { pid, port, origin, extensionsDir, userDataDir, runDir, logFile, exited, stop };
    signalGroup(pid, 'SIGKILL');
    untrackProcessGroup(pid);
    if (attempt >= 2) throw new Error(`code-server did not answer /healthz on ${origin}; its log is ${logFile}`);
    console.error(`host: code-server on port ${port} did not come up; retrying on another port`);
  }
}

async function waitForHealth(origin: string, exited: Promise<number | null>, timeoutMs: number): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    try {
      const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  return false;
}
