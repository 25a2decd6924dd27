// Drives code-server's web workbench in Debian's Chromium (playwright-core) to run a test module
// inside the real Node extension host, and acts as the suite's eyes: the suite logs marker lines and
// the runner answers them (finds the rendered webview, takes screenshots), writing each answer to a
// file in a channel folder the suite polls (both sides run on this machine).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import type { Browser, Frame, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { CodeServer } from './codeServer';
import { chromiumPath } from './paths';

/** Chromium flags for a headless run on a machine without GPU, sandbox or internet. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** The selector the sidebar webview sets once it has rendered a status from the host. */
export const renderedWebviewSelector = 'main#app[data-state="ready"]';

/** A marker line the suite logs: `PARAMLOOP_<KIND> token token key=value …`. */
export interface Marker {
  readonly kind: string;
  readonly tokens: readonly string[];
  /** The `key=value` tokens. */
  readonly fields: Readonly<Record<string, string>>;
}

export interface WorkbenchRunOptions {
  readonly server: CodeServer;
  /** Name of the run, used in log prefixes and screenshot names. */
  readonly label: string;
  /** Absolute path of the test module (exports `run(): Promise<void>`). */
  readonly extensionTestsPath: string;
  /** Absolute path of an extension to load in development mode; omit to test installed extensions. */
  readonly extensionDevelopmentPath?: string;
  /** Folder opened as the workspace. */
  readonly folder: string;
  /** Folder the suite polls for answers (passed to it as PARAMLOOP_HOST_CHANNEL). */
  readonly channelDir: string;
  readonly screenshotsDir: string;
  readonly timeoutMs: number;
  /** Print every line the extension host logs (default: true). */
  readonly echoLog?: boolean;
}

export interface WorkbenchRunResult {
  /** The suite's exit code, or 124 when the overall timeout struck first. */
  readonly exitCode: number;
  readonly markers: readonly Marker[];
  readonly screenshots: readonly string[];
}

/** Parses the `PARAMLOOP_…` marker in a log line, if it has one. */
export function parseMarker(line: string): Marker | undefined {
  const match = /PARAMLOOP_([A-Z_]+)((?: [^\s]+)*)/.exec(line);
  if (!match?.[1]) return undefined;
  const tokens = (match[2] ?? '').trim().split(' ').filter((t) => t.length > 0);
  const fields: Record<string, string> = {};
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq > 0) fields[token.slice(0, eq)] = token.slice(eq + 1);
  }
  return { kind: match[1], tokens, fields };
}

/** The workbench URL whose payload makes the server run `extensionTestsPath` in its extension host. */
export function workbenchUrl(options: {
  readonly server: Pick<CodeServer, 'port' | 'origin'>;
  readonly folder: string;
  readonly extensionDevelopmentPath?: string;
  readonly extensionTestsPath?: string;
}): string {
  // The vscode-remote form makes both paths resolve on the server, in its Node extension host.
  const remote = (path: string): string => `vscode-remote://127.0.0.1:${options.server.port}${path}`;
  const payload: Array<[string, string]> = [];
  if (options.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(options.extensionDevelopmentPath)]);
  if (options.extensionTestsPath) payload.push(['extensionTestsPath', remote(options.extensionTestsPath)]);
  return `${options.server.origin}/?folder=${encodeURIComponent(options.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Joins what the workbench logged the way the console would (the first argument may be a format). */
export function formatLogArgs(args: unknown): string {
  const list = Array.isArray(args) ? (args as unknown[]) : [args];
  return format(...list);
}

/**
 * Known harmless noise of an offline workbench: failed look-ups of the extension gallery and the
 * telemetry hosts, missing `vsda` files. Shown only with PARAMLOOP_HOST_VERBOSE=1, as are trace and
 * debug lines.
 */
export function isNoise(type: string, line: string): boolean {
  if (type === 'trace' || type === 'debug') return true;
  return /ENOTFOUND|ECONNREFUSED|EAI_AGAIN|vsda|gallery|marketplace|open-vsx|Settings not included in settingsLayout/i.test(line);
}

/** Finds the frame (webviews are nested iframes) whose document shows the rendered sidebar. */
export async function findRenderedWebview(page: Page, timeoutMs: number): Promise<Frame | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      try {
        if (await frame.$(renderedWebviewSelector)) return frame;
      } catch {
        // the frame navigated or detached while being searched
      }
    }
    await page.waitForTimeout(250);
  }
  return undefined;
}

/** Runs the test module in the workbench and returns the suite's exit code and markers. */
export async function runInWorkbench(options: WorkbenchRunOptions): Promise<WorkbenchRunResult> {
  mkdirSync(options.channelDir, { recursive: true });
  mkdirSync(options.screenshotsDir, { recursive: true });
  const markers: Marker[] = [];
  const screenshots: string[] = [];
  const echo = options.echoLog ?? true;
  const verbose = process.env.PARAMLOOP_HOST_VERBOSE === '1';
  let browser: Browser | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    let resolveExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (resolveExit = resolve));
    // Answers are handled one at a time, in the order the suite asked.
    let queue: Promise<void> = Promise.resolve();

    const answer = (id: string, body: Record<string, unknown>): void => {
      const file = join(options.channelDir, `${id}.json`);
      writeFileSync(`${file}.tmp`, JSON.stringify(body));
      renameSync(`${file}.tmp`, file);
    };

    const handleMarker = async (marker: Marker): Promise<void> => {
      if (marker.kind === 'SCREENSHOT' || (marker.kind === 'REQUEST' && marker.tokens[1] === 'screenshot')) {
        const id = marker.kind === 'REQUEST' ? marker.tokens[0] : undefined;
        const name = (marker.kind === 'REQUEST' ? marker.tokens[2] : marker.tokens[0]) ?? 'screenshot';
        // Give a webview that is still loading a moment to draw before capturing.
        const frame = await findRenderedWebview(page, 10_000);
        await page.waitForTimeout(frame ? 500 : 0);
        const file = join(options.screenshotsDir, `${options.label}-${name.replace(/[^\w.-]/g, '_')}.png`);
        await page.screenshot({ path: file });
        screenshots.push(file);
        console.log(`[${options.label}] screenshot ${file}${frame ? '' : ' (no rendered webview found)'}`);
        if (id) answer(id, { ok: true, file, webviewRendered: frame !== undefined });
      } else if (marker.kind === 'REQUEST' && marker.tokens[1] === 'webviewText') {
        const id = marker.tokens[0] ?? 'unknown';
        const timeout = Number(marker.tokens[2] ?? '20000');
        const frame = await findRenderedWebview(page, Number.isFinite(timeout) ? timeout : 20_000);
        const text = frame ? await frame.locator(renderedWebviewSelector).innerText() : undefined;
        answer(id, frame ? { ok: true, text } : { ok: false, error: `no frame matched ${renderedWebviewSelector}` });
      } else if (marker.kind === 'REQUEST') {
        answer(marker.tokens[0] ?? 'unknown', { ok: false, error: `unknown request ${marker.tokens.join(' ')}` });
      }
    };

    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      const line = formatLogArgs(args);
      if (echo && (verbose || !isNoise(type, line))) console.log(`[${options.label}:${type}] ${line}`);
      for (const part of line.split('\n')) {
        const marker = parseMarker(part);
        if (!marker) continue;
        markers.push(marker);
        queue = queue.then(() =>
          handleMarker(marker).catch((error: unknown) => {
            console.error(`[${options.label}] could not answer ${part}: ${String(error)}`);
            if (marker.kind === 'REQUEST' && marker.tokens[0]) answer(marker.tokens[0], { ok: false, error: String(error) });
          }),
        );
      }
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    page.on('pageerror', (error) => console.error(`[${options.label}:pageerror] ${error.message}`));

    const timedOut = new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(124), options.timeoutMs);
    });
    await page.goto(workbenchUrl(options), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    const exitCode = await Promise.race([exited, timedOut]);
    if (exitCode === 124) {
      console.error(`[${options.label}] the suite did not finish within ${options.timeoutMs / 1000} s`);
      const file = join(options.screenshotsDir, `${options.label}-timeout.png`);
      await page.screenshot({ path: file }).catch(() => undefined);
      screenshots.push(file);
    }
    await queue;
    return { exitCode, markers, screenshots };
  } finally {
    if (timer) clearTimeout(timer);
    await browser?.close().catch(() => undefined);
  }
}
