// One workbench window: a Chromium page showing code-server's web workbench, whose URL payload runs a
// test module in the window's own extension host. The window is the suite's eyes: it reads the
// `PARAMLOOP_…` marker lines the extension host logs, answers the suite's requests (find the
// rendered webview, take a screenshot) through files in the channel folder, and reports the suite's
// exit code. A runner can also look at the window itself (the sidebar's text, the notifications),
// reload it, and close it. Several windows may be open against one server at once (windows.ts).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { CodeServer } from './codeServer';
import { chromiumPath } from './paths';
import type { Marker } from './workbench';
import { chromiumArgs, findRenderedWebview, formatLogArgs, isNoise, parseMarker, renderedWebviewSelector, webviewSelector, workbenchUrl } from './workbench';
import { postFromWebview, probeWebview } from './webviewProbes';

/** What a window opens: the server, the workspace folder, the test module and where answers go. */
export interface WorkbenchWindowOptions {
  readonly server: Pick<CodeServer, 'port' | 'origin'>;
  /** Name of the window, used in log prefixes and screenshot names. */
  readonly label: string;
  /** Absolute path of the test module the window's extension host runs (exports `run(): Promise<void>`). */
  readonly extensionTestsPath: string;
  /** Absolute path of an extension to load in development mode; omit to test installed extensions. */
  readonly extensionDevelopmentPath?: string;
  /** Folder opened as the workspace. */
  readonly folder: string;
  /** Folder the suite polls for answers (the server's PARAMLOOP_HOST_CHANNEL). */
  readonly channelDir: string;
  readonly screenshotsDir: string;
  /** Print every line the extension host logs (default: true). */
  readonly echoLog?: boolean;
}

/** The text of the workbench's notifications: the toasts showing and, when open, the notification center. */
const notificationSelector = '.notifications-toasts .notification-list-item-message, .notifications-center .notification-list-item-message';

/** One open workbench window (see the file comment); made with `WorkbenchWindow.open`. */
export class WorkbenchWindow {
  /** Every marker the window's extension host logged, across reloads, in order. */
  readonly markers: Marker[] = [];
  readonly screenshots: string[] = [];
  private readonly exitCodes: number[] = [];
  private readonly listeners = new Set<() => void>();
  // Answers are handled one at a time, in the order the suite asked.
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly page: Page,
    private readonly options: WorkbenchWindowOptions,
  ) {}

  get label(): string {
    return this.options.label;
  }

  /** Opens the window in `context` (one browser context is one browser profile: its windows share storage). */
  static async open(context: BrowserContext, options: WorkbenchWindowOptions): Promise<WorkbenchWindow> {
    mkdirSync(options.channelDir, { recursive: true });
    mkdirSync(options.screenshotsDir, { recursive: true });
    const page = await context.newPage();
    const window = new WorkbenchWindow(page, options);
    const echo = options.echoLog ?? true;
    const verbose = process.env.PARAMLOOP_HOST_VERBOSE === '1';
    // Exposed functions stay installed across reloads: a reloaded window reports the same way.
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      const line = formatLogArgs(args);
      if (echo && (verbose || !isNoise(type, line))) console.log(`[${options.label}:${type}] ${line}`);
      for (const part of line.split('\n')) {
        const marker = parseMarker(part);
        if (marker) window.onMarker(marker, part);
      }
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => {
      window.exitCodes.push(code);
      window.notify();
    });
    page.on('pageerror', (error) => console.error(`[${options.label}:pageerror] ${error.message}`));
    await page.goto(workbenchUrl(options), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    return window;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** Resolves once `done()` holds (checked now and after every marker and exit), or rejects after `timeoutMs`. */
  private async until<T>(what: string, done: () => T | undefined, timeoutMs: number): Promise<T> {
    const now = done();
    if (now !== undefined) return now;
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = done();
        if (value === undefined) return;
        finish();
        resolve(value);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.label}: ${what} did not happen within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /**
   * The exit code of the suite's run number `run` (1: the first; a reload starts the next), as the
   * workbench reports it when the test module's `run()` settles.
   */
  exitCode(run: number, timeoutMs: number): Promise<number> {
    return this.until(`exit of run ${run}`, () => this.exitCodes[run - 1], timeoutMs);
  }

  /** The first marker of `kind` after the first `after` markers that satisfies `accept`. */
  waitForMarker(kind: string, timeoutMs: number, accept: (marker: Marker) => boolean = () => true, after = 0): Promise<Marker> {
    return this.until(`a PARAMLOOP_${kind} line`, () => this.markers.slice(after).find((m) => m.kind === kind && accept(m)), timeoutMs);
  }

  private onMarker(marker: Marker, line: string): void {
    this.markers.push(marker);
    this.notify();
    this.queue = this.queue.then(() =>
      this.answer(marker).catch((error: unknown) => {
        console.error(`[${this.label}] could not answer ${line}: ${String(error)}`);
        if (marker.kind === 'REQUEST' && marker.tokens[0]) this.reply(marker.tokens[0], { ok: false, error: String(error) });
      }),
    );
  }

  private reply(id: string, body: Record<string, unknown>): void {
    const file = join(this.options.channelDir, `${id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(body));
    renameSync(`${file}.tmp`, file);
  }

  /** Answers the suite's requests (`PARAMLOOP_REQUEST <id> <action> <args…>`, see test/integration/hostChannel.ts). */
  private async answer(marker: Marker): Promise<void> {
    if (marker.kind === 'SCREENSHOT' || (marker.kind === 'REQUEST' && marker.tokens[1] === 'screenshot')) {
      const id = marker.kind === 'REQUEST' ? marker.tokens[0] : undefined;
      const name = (marker.kind === 'REQUEST' ? marker.tokens[2] : marker.tokens[0]) ?? 'screenshot';
      const selector = marker.kind === 'REQUEST' ? webviewSelector(marker.tokens[3]) : renderedWebviewSelector;
      const { file, webviewRendered } = await this.screenshot(name, { selector });
      if (id) this.reply(id, { ok: true, file, webviewRendered });
    } else if (marker.kind === 'REQUEST' && marker.tokens[1] === 'webviewText') {
      const id = marker.tokens[0] ?? 'unknown';
      const timeout = Number(marker.tokens[2] ?? '20000');
      const selector = webviewSelector(marker.tokens[3]);
      const text = await this.webviewText(Number.isFinite(timeout) ? timeout : 20_000, selector);
      this.reply(id, text !== undefined ? { ok: true, text } : { ok: false, error: `no frame matched ${selector}` });
    } else if (marker.kind === 'REQUEST' && marker.tokens[1] === 'pageText') {
      // `pageText <selector>`: the text of the workbench elements a Playwright selector (URI-encoded) matches.
      const id = marker.tokens[0] ?? 'unknown';
      const selector = decodeURIComponent(marker.tokens[2] ?? 'body');
      const texts = await this.page.locator(selector).allInnerTexts();
      this.reply(id, { ok: true, texts });
    } else if (marker.kind === 'REQUEST' && marker.tokens[1] === 'click') {
      // `click <selector>`: clicks the last element a Playwright selector (URI-encoded) matches, as a user would.
      const id = marker.tokens[0] ?? 'unknown';
      const selector = decodeURIComponent(marker.tokens[2] ?? '');
      await this.page.locator(selector).last().click({ timeout: 10_000 });
      this.reply(id, { ok: true });
    } else if (marker.kind === 'REQUEST' && marker.tokens[1] === 'webviewProbe') {
      // `webviewProbe <dashboard|sidebar> [file]`: its theme, the colours of the elements named (a JSON
      // object of name → selector, a file in the channel folder), its sections and charts (webviewProbes.ts).
      const id = marker.tokens[0] ?? 'unknown';
      const frame = await this.renderedFrame(marker.tokens[2]);
      const file = marker.tokens[3];
      const selectors = file === undefined ? {} : (JSON.parse(readFileSync(join(this.options.channelDir, basename(file)), 'utf8')) as Record<string, string>);
      this.reply(id, { ok: true, probe: await probeWebview(frame, selectors) });
    } else if (marker.kind === 'REQUEST' && marker.tokens[1] === 'webviewClick') {
      // `webviewClick <dashboard|sidebar> <selector>`: clicks an element inside the webview (a URI-encoded selector), as a user would.
      const id = marker.tokens[0] ?? 'unknown';
      const frame = await this.renderedFrame(marker.tokens[2]);
      await frame.locator(decodeURIComponent(marker.tokens[3] ?? '')).first().click({ timeout: 10_000 });
      this.reply(id, { ok: true });
    } else if (marker.kind === 'REQUEST' && marker.tokens[1] === 'webviewPost') {
      // `webviewPost <dashboard|sidebar> <file> [batch]`: posts the messages of a JSON array, a file in
      // the channel folder, from inside the webview to the extension host; answers with the replies the page received.
      const id = marker.tokens[0] ?? 'unknown';
      const frame = await this.renderedFrame(marker.tokens[2]);
      const messages = JSON.parse(readFileSync(join(this.options.channelDir, basename(marker.tokens[3] ?? '')), 'utf8')) as unknown[];
      const batch = Number(marker.tokens[4] ?? '250');
      const report = await postFromWebview(frame, messages, { batch: Number.isInteger(batch) && batch > 0 ? batch : 250, keepResults: messages.length <= 10 });
      this.reply(id, { ok: report.error === undefined, report, ...(report.error !== undefined ? { error: report.error } : {}) });
    } else if (marker.kind === 'REQUEST') {
      this.reply(marker.tokens[0] ?? 'unknown', { ok: false, error: `unknown request ${marker.tokens.join(' ')}` });
    }
  }

  /**
   * Takes a screenshot named `<label>-<name>.png`, giving a sidebar that is still loading a moment to
   * draw (up to 10 s, unless `waitForWebview` is false: a picture of something else).
   */
  async screenshot(name: string, { waitForWebview = true, selector = renderedWebviewSelector }: { waitForWebview?: boolean; selector?: string } = {}): Promise<{ file: string; webviewRendered: boolean }> {
    const frame = await findRenderedWebview(this.page, waitForWebview ? 10_000 : 0, selector);
    await this.page.waitForTimeout(frame ? 500 : 0);
    const file = join(this.options.screenshotsDir, `${this.label}-${name.replace(/[^\w.-]/g, '_')}.png`);
    await this.page.screenshot({ path: file });
    this.screenshots.push(file);
    console.log(`[${this.label}] screenshot ${file}${frame || !waitForWebview ? '' : ' (no rendered webview found)'}`);
    return { file, webviewRendered: frame !== undefined };
  }

  /** The frame of the rendered webview `target` names (see `webviewSelector`), waiting up to 20 s for it. */
  private async renderedFrame(target: string | undefined): Promise<Frame> {
    const selector = webviewSelector(target);
    const frame = await findRenderedWebview(this.page, 20_000, selector);
    if (!frame) throw new Error(`no frame matched ${selector}`);
    return frame;
  }

  /** The text of the rendered sidebar webview, or undefined when none renders within `timeoutMs`. */
  async webviewText(timeoutMs: number, selector = renderedWebviewSelector): Promise<string | undefined> {
    const frame = await findRenderedWebview(this.page, timeoutMs, selector);
    return frame ? frame.locator(selector).innerText() : undefined;
  }

  /** The messages of the notifications the workbench shows (toasts, and the notification center when open). */
  async notificationTexts(): Promise<string[]> {
    return this.page.locator(notificationSelector).allInnerTexts();
  }

  /** Reloads the window: its extension host is replaced by a new one, which runs the test module again. */
  async reload(): Promise<void> {
    await this.page.reload({ waitUntil: 'domcontentloaded', timeout: 60_000 });
  }

  /** Waits until every request the suite made has been answered. */
  async settled(): Promise<void> {
    await this.queue;
  }

  /** Closes the window as a user closes a browser tab (the page's unload handlers run). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.settled();
    await this.page.close({ runBeforeUnload: true });
  }
}

/** Starts Debian's Chromium headless, as every run here does. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
}

/** The viewport of every window. */
export const windowViewport = { width: 1280, height: 800 } as const;

/** A window that runs one suite to its end, within `timeoutMs`. */
export interface WorkbenchRunOptions extends WorkbenchWindowOptions {
  readonly timeoutMs: number;
}

/** How a suite's run in a window ended. */
export interface WorkbenchRunResult {
  /** The suite's exit code, or 124 when the overall timeout struck first. */
  readonly exitCode: number;
  readonly markers: readonly Marker[];
  readonly screenshots: readonly string[];
}

/** Runs the test module in one window (in a browser of its own) and returns the suite's exit code and markers. */
export async function runInWorkbench(options: WorkbenchRunOptions): Promise<WorkbenchRunResult> {
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const window = await WorkbenchWindow.open(await browser.newContext({ viewport: windowViewport }), options);
    const exitCode = await window.exitCode(1, options.timeoutMs).catch(() => 124);
    if (exitCode === 124) {
      console.error(`[${options.label}] the suite did not finish within ${options.timeoutMs / 1000} s`);
      await window.screenshot('timeout').catch(() => undefined);
    }
    await window.settled();
    return { exitCode, markers: window.markers, screenshots: window.screenshots };
  } finally {
    await browser?.close().catch(() => undefined);
  }
}
