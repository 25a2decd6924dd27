// Several workbench windows against one code-server: one server (one user-data folder, so one global
// storage), one browser profile, and a window per workspace folder, each with its own extension
// host, as when a user opens two folders in two tabs. Each window runs the window agent
// (test/integration/agent.ts), which activates Paramloop and answers the runner's commands, so a
// scenario (test/scenarios/) drives the windows from outside: asks each one's extension API, reads
// its sidebar and notifications, reloads it, closes it.
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext } from 'playwright-core';
import type { DecisionLogStatus } from '../../src/extension/extension';
import type { AgentAnswer, AgentCommand, AgentInfo, AgentLearnerStatus, AgentLogged } from '../integration/agentProtocol';
import { agentDir, agentMarkerKind, answerFile, commandFile, waitForJson, writeJsonAtomically } from '../integration/agentProtocol';
import type { CodeServer } from './codeServer';
import { makeTempDir, startCodeServer } from './codeServer';
import type { HostInstall } from './install';
import { projectRoot, screenshotsDir } from './paths';
import type { SuiteMode } from './suiteRun';
import { testDriverExtension } from './suiteRun';
import { launchChromium, windowViewport, WorkbenchWindow } from './workbenchWindow';

/** How a session's windows load Paramloop, and the agent they run. */
export interface WindowSessionOptions {
  readonly host: HostInstall;
  /** development: the project folder is the extension under development; installed: the .vsix in `extensionsDir`. */
  readonly mode: SuiteMode;
  readonly extensionsDir?: string;
  /** Absolute path of the bundled window agent (out/integration/agent.js). */
  readonly agentPath: string;
  /** Prefix of the windows' labels in logs and screenshot names. */
  readonly label: string;
  /** Print every line the extension hosts log (default: true). */
  readonly echoLog?: boolean;
  /** The server's reconnection grace time (default `defaultReconnectionGraceSeconds`). */
  readonly reconnectionGraceSeconds?: number;
}

/** True while process `pid` exists. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * How long, by default, the server keeps the extension host of a window that went away without
 * disconnecting (code-server's own default: three hours). A reloaded or closed tab sometimes unloads
 * before the workbench has sent its disconnect (it logs "Long running operations during shutdown
 * are unsupported in the web (id: join.disconnectRemote)"), and a crashed one never sends it; its
 * extension host then lives on, holding what it holds, until the grace time has passed, and then
 * ends as on a clean close (extensions are deactivated). Sessions use a short one so that closing
 * and reloading end the old host within it.
 */
export const defaultReconnectionGraceSeconds = 8;

/** Waits until `pid` has ended; returns the milliseconds that took, or undefined after `timeoutMs`. */
async function waitForExit(pid: number, timeoutMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (!isRunning(pid)) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return isRunning(pid) ? undefined : Date.now() - started;
}


/** A window whose extension host runs the window agent. */
export class AgentWindow {
  private agentPid = 0;
  private commands = 0;

  constructor(
    /** The page, its markers, sidebar and notifications. */
    readonly window: WorkbenchWindow,
    private readonly channelDir: string,
    /** The server's reconnection grace time (seconds). */
    private readonly graceSeconds: number,
  ) {}

  get label(): string {
    return this.window.label;
  }

  /** The process id of the window's current extension host. */
  get pid(): number {
    return this.agentPid;
  }

  /** Waits for the agent of the window's current extension host (the first after `after` markers). */
  async attach(after: number, timeoutMs = 120_000): Promise<void> {
    const marker = await this.window.waitForMarker(agentMarkerKind, timeoutMs, () => true, after);
    this.agentPid = Number(marker.fields.pid);
    this.commands = 0;
    if (!Number.isInteger(this.agentPid) || this.agentPid <= 0) throw new Error(`${this.label}: the agent logged no pid (${marker.tokens.join(' ')})`);
  }

  /** Sends a command to the window's agent and returns its answer's value; a failed command throws. */
  async call<T>(command: AgentCommand, timeoutMs = 60_000): Promise<T> {
    const dir = agentDir(this.channelDir, this.agentPid);
    const n = ++this.commands;
    writeJsonAtomically(commandFile(dir, n), command);
    const pid = this.agentPid;
    const answer = (await waitForJson(answerFile(dir, n), timeoutMs, () => !isRunning(pid))) as AgentAnswer | undefined;
    if (answer === undefined) {
      throw new Error(`${this.label}: the agent (process ${pid}) did not answer ${command.name} ${isRunning(pid) ? `within ${timeoutMs / 1000} s` : '(its extension host ended)'}`);
    }
    if (!answer.ok) throw new Error(`${this.label}: ${command.name} failed in the extension host: ${answer.error}`);
    return answer.value as T;
  }

  /** The agent's process, workspace folders and the extension's location. */
  info(): Promise<AgentInfo> {
    return this.call<AgentInfo>({ name: 'info' });
  }

  /** What the window's Paramloop says about the decision log (`ParamloopApi.decisionLog()`). */
  decisionLog(): Promise<DecisionLogStatus> {
    return this.call<DecisionLogStatus>({ name: 'decisionLog' });
  }

  /** The window's learner: its status, who serves it and this window's role. */
  learnerStatus(): Promise<AgentLearnerStatus> {
    return this.call<AgentLearnerStatus>({ name: 'learnerStatus' });
  }

  /** Runs `count` requests through the window's learner (recommend, log, outcome). */
  logRequests(count: number, seed: number, sessionKey = `${this.label}-${seed}`): Promise<AgentLogged> {
    return this.call<AgentLogged>({ name: 'logRequests', count, seed, sessionKey });
  }

  /** The sidebar's text, after opening it in this window. */
  async sidebarText(timeoutMs = 30_000): Promise<string> {
    await this.call({ name: 'executeCommand', command: 'paramloop.sidebar.focus' });
    const text = await this.window.webviewText(timeoutMs);
    if (text === undefined) throw new Error(`${this.label}: the sidebar did not render within ${timeoutMs / 1000} s`);
    return text;
  }

  /** Every notification the window received, from its notification center (opened for the purpose). */
  async notifications(): Promise<string[]> {
    await this.call({ name: 'executeCommand', command: 'notifications.showList' });
    const deadline = Date.now() + 5_000;
    let texts = await this.window.notificationTexts();
    while (texts.length === 0 && Date.now() < deadline) {
      await this.window.page.waitForTimeout(200);
      texts = await this.window.notificationTexts();
    }
    return texts;
  }

  /**
   * Reloads the window and waits for its new extension host's agent, and until the old extension
   * host has ended (see `defaultReconnectionGraceSeconds`).
   */
  async reload(timeoutMs = 120_000): Promise<void> {
    const old = this.agentPid;
    const seen = this.window.markers.length;
    await this.window.reload();
    await this.attach(seen, timeoutMs);
    await this.waitForHostEnd(old, 'before its reload');
  }

  /** Closes the window (its browser tab) and waits until its extension host has ended. */
  async close(): Promise<void> {
    await this.window.close();
    await this.waitForHostEnd(this.agentPid, 'closed');
  }

  /**
   * Crashes the window's page (as a renderer crash or a killed browser would): no disconnect reaches
   * the server, so the window's extension host lives on until the reconnection grace time ends it.
   * `hostEnded()` waits for that.
   */
  async crash(): Promise<void> {
    const cdp = await this.window.page.context().newCDPSession(this.window.page);
    // The crash ends the page before the call can answer.
    void cdp.send('Page.crash').catch(() => undefined);
    await this.window.page.waitForEvent('crash', { timeout: 10_000 });
  }

  /** Waits until the window's extension host has ended (after `close()` or `crash()`); returns how long that took (ms). */
  hostEnded(): Promise<number> {
    return this.waitForHostEnd(this.agentPid, 'gone');
  }

  private async waitForHostEnd(pid: number, which: string): Promise<number> {
    // The grace time, and time for the extensions to deactivate.
    const timeoutMs = (this.graceSeconds + 30) * 1000;
    const tookMs = await waitForExit(pid, timeoutMs);
    if (tookMs === undefined) throw new Error(`${this.label}: the extension host of the window ${which} (process ${pid}) still runs ${timeoutMs / 1000} s later`);
    // Said, because whatever that host held was held until then.
    if (tookMs >= this.graceSeconds * 1000) console.log(`[${this.label}] the extension host of the window ${which} (process ${pid}) ended after ${(tookMs / 1000).toFixed(1)} s: the window went without disconnecting, and the server waited out its reconnection grace time`);
    return tookMs;
  }
}

/** One code-server and one browser profile, in which a scenario opens windows. */
export class WindowSession {
  private readonly windows: AgentWindow[] = [];

  private constructor(
    readonly server: CodeServer,
    private readonly browser: Browser,
    private readonly context: BrowserContext,
    private readonly channelDir: string,
    private readonly options: WindowSessionOptions,
    private readonly extensionDevelopmentPath: string,
  ) {}

  /** Starts a server (fresh user data) and a browser. */
  static async start(options: WindowSessionOptions): Promise<WindowSession> {
    if (options.mode === 'installed' && !options.extensionsDir) throw new Error('installed mode needs the extensions folder');
    const channelDir = makeTempDir('paramloop-channel-');
    const server = await startCodeServer(options.host, {
      ...(options.extensionsDir ? { extensionsDir: options.extensionsDir } : {}),
      reconnectionGraceSeconds: options.reconnectionGraceSeconds ?? defaultReconnectionGraceSeconds,
      env: {
        PARAMLOOP_HOST_CHANNEL: channelDir,
        PARAMLOOP_TEST_MODE: options.mode,
        ...(options.extensionsDir ? { PARAMLOOP_TEST_EXTENSIONS_DIR: options.extensionsDir } : {}),
      },
    });
    try {
      const browser = await launchChromium();
      const context = await browser.newContext({ viewport: windowViewport });
      // Installed mode: an empty extension stands in as the development extension (see testDriverExtension).
      const development = options.mode === 'development' ? projectRoot : testDriverExtension();
      return new WindowSession(server, browser, context, channelDir, options, development);
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** The user-data folder the windows share (its `User/globalStorage` holds each extension's global storage). */
  get userDataDir(): string {
    return this.server.userDataDir;
  }

  /** Opens a window on `folder` and waits until its agent serves commands (Paramloop is active). */
  async openWindow(name: string, folder: string): Promise<AgentWindow> {
    mkdirSync(folder, { recursive: true });
    const window = await WorkbenchWindow.open(this.context, {
      server: this.server,
      label: `${this.options.label}-${name}`,
      extensionTestsPath: this.options.agentPath,
      extensionDevelopmentPath: this.extensionDevelopmentPath,
      folder,
      channelDir: this.channelDir,
      screenshotsDir,
      ...(this.options.echoLog === undefined ? {} : { echoLog: this.options.echoLog }),
    });
    const agent = new AgentWindow(window, this.channelDir, this.options.reconnectionGraceSeconds ?? defaultReconnectionGraceSeconds);
    this.windows.push(agent);
    await agent.attach(0);
    return agent;
  }

  /** Takes a screenshot of every window still open (e.g. when a scenario failed). */
  async screenshotOpenWindows(name: string): Promise<void> {
    for (const agent of this.windows) {
      if (!agent.window.page.isClosed()) await agent.window.screenshot(name, { waitForWebview: false });
    }
  }

  /** Screenshots taken in every window so far. */
  get screenshots(): string[] {
    return this.windows.flatMap((w) => w.window.screenshots);
  }

  /** Closes the browser and stops the server (and with it every extension host). */
  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await this.server.stop();
  }
}
