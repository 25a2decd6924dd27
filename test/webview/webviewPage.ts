// Serves a built webview (the sidebar, dist/webview/main.js, or the dashboard panel,
// dist/webview/dashboard.js, with their stylesheets and the codicon font) in a page shaped like the
// one the extension host writes: the same Content-Security-Policy (a nonce for the script, styles and
// fonts only from the page's own origin, nothing else). `acquireVsCodeApi` is defined by an init
// script, as VS Code's webview host defines it: it records every message the webview posts and its
// state, and for the dashboard answers each request with the result given for its method (a fake host).
import { randomBytes } from 'node:crypto';
import { webviewHtml } from '../../src/shared/webviewHtml';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { chromiumPath, projectRoot } from '../host/paths';
import { chromiumArgs } from '../host/workbench';

export const webviewBundle = join(projectRoot, 'dist', 'webview', 'main.js');
export const dashboardBundle = join(projectRoot, 'dist', 'webview', 'dashboard.js');
const builtWebviewDir = join(projectRoot, 'dist', 'webview');

/** Which webview the page loads. */
export type WebviewKind = 'sidebar' | 'dashboard';

/** How the fake host behaves for one page. */
export interface OpenOptions {
  /** Dashboard: the result per method (a method left out is answered with a `failed` error). */
  answers?: Record<string, unknown>;
  /** What `getState` returns at load (VS Code's saved webview state). */
  state?: unknown;
  /**
   * Dashboard: answers each request in this process (e.g. with the real handlers over a log), in
   * place of `answers`; the reply goes back to the page as the host's would.
   */
  live?: (request: unknown) => Promise<unknown>;
  /** Runs just before the page starts loading (what a host starts as it creates the panel). */
  beforeLoad?: () => void;
}

/** What the page records, read back with `page.evaluate`. */
export interface PageRecord {
  posted: unknown[];
  /** Every state the webview saved with `setState`, in order. */
  states: unknown[];
  cspViolations: Array<{ directive: string; blocked: string }>;
  warnings: string[];
  /** When each section first showed its data (ms since the page's navigation started), by section id. */
  readyAt: Record<string, number>;
  /** The charts drawn on the page (their `data-chart` keys) at the moment each section first showed its data. */
  chartsWhenReady: Record<string, string[]>;
  /**
   * When the first animation frame after each section first showed its data began (ms since the
   * page's navigation started): when it can first be painted, which waits for the tasks queued before.
   */
  frameAt: Record<string, number>;
  /** The durations of the page's long tasks (over 50 ms, as Chromium reports them). */
  longTasks: number[];
}

/** A local server for the page, and the browser that opens it. */
export interface WebviewHarness {
  readonly origin: string;
  /** Opens a fresh page with the webview loaded; collects uncaught page errors into `errors`. */
  open(options?: OpenOptions): Promise<{ page: Page; errors: Error[] }>;
  close(): Promise<void>;
}

function pageHtml(origin: string, kind: WebviewKind): string {
  const nonce = randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
  if (kind === 'sidebar') return webviewHtml({ cspSource: origin, nonce, scriptUri: `${origin}/main.js`, styleUri: `${origin}/main.css`, title: 'Paramloop' });
  // As src/extension/dashboardPanel.ts writes it.
  return webviewHtml({
    cspSource: origin,
    nonce,
    scriptUri: `${origin}/dashboard.js`,
    styleUri: `${origin}/uPlot.min.css`,
    moreStyleUris: [`${origin}/codicon.css`, `${origin}/main.css`, `${origin}/dashboard.css`],
    title: 'Paramloop Dashboard',
  });
}

/**
 * Runs in the page before any of its scripts (init scripts are not subject to the page's CSP). Kept
 * as browser JavaScript text: the project's type check has no DOM library outside webview/.
 */
const installVsCodeApi = (options: OpenOptions): string => `
(() => {
  const options = ${JSON.stringify({ ...options, live: options.live !== undefined })};
  const record = { posted: [], states: [], cspViolations: [], warnings: [], readyAt: {}, chartsWhenReady: {}, frameAt: {}, longTasks: [] };
  window.__paramloop = record;
  try {
    new PerformanceObserver((list) => { for (const entry of list.getEntries()) record.longTasks.push(entry.duration); }).observe({ type: 'longtask', buffered: true });
  } catch {}
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      const node = m.target;
      if (node.dataset && node.dataset.section && node.dataset.state === 'ready' && !(node.dataset.section in record.readyAt)) {
        record.readyAt[node.dataset.section] = performance.now();
        record.chartsWhenReady[node.dataset.section] = [...document.querySelectorAll('figure[data-chart]')].map((figure) => figure.dataset.chart);
        const id = node.dataset.section;
        requestAnimationFrame(() => { record.frameAt[id] = performance.now(); });
      }
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  document.addEventListener('securitypolicyviolation', (event) => {
    record.cspViolations.push({ directive: event.violatedDirective, blocked: event.blockedURI, source: event.sourceFile + ':' + event.lineNumber + ':' + event.columnNumber, sample: event.sample });
  });
  const warn = console.warn.bind(console);
  console.warn = (...args) => { record.warnings.push(args.map(String).join(' ')); warn(...args); };
  let acquired = false;
  let state = options.state;
  window.acquireVsCodeApi = () => {
    // VS Code allows one acquisition per webview; a second is a bug in the webview.
    if (acquired) throw new Error('acquireVsCodeApi was called twice');
    acquired = true;
    return {
      // Messages cross a structured clone in VS Code; a JSON round trip shows the same shape.
      postMessage: (message) => {
        const copy = JSON.parse(JSON.stringify(message));
        record.posted.push(copy);
        if (options.live && copy && copy.type === 'request') {
          window.__paramloopAnswer(copy).then((reply) => window.postMessage(reply, '*'));
        } else if (options.answers && copy && copy.type === 'request') {
          const has = Object.prototype.hasOwnProperty.call(options.answers, copy.method);
          const reply = has
            ? { type: 'reply', id: copy.id, ok: true, result: options.answers[copy.method] }
            : { type: 'reply', id: copy.id, ok: false, error: { code: 'failed', message: 'no answer for ' + copy.method } };
          setTimeout(() => window.postMessage(reply, '*'), 5);
        }
      },
      getState: () => state,
      setState: (next) => { state = next; record.states.push(JSON.parse(JSON.stringify(next))); },
    };
  };
})();
`;

/** `webviewDir`: the built webview's folder (default dist/webview of this project). */
export async function startWebviewHarness(kind: WebviewKind = 'sidebar', webviewDir = builtWebviewDir): Promise<WebviewHarness> {
  const file = (name: string): Buffer => readFileSync(join(webviewDir, name));
  const css = 'text/css; charset=utf-8';
  const files: Record<string, [string, string | Buffer]> = {
    '/main.js': ['text/javascript; charset=utf-8', file('main.js')],
    '/main.css': [css, file('main.css')],
    '/dashboard.js': ['text/javascript; charset=utf-8', file('dashboard.js')],
    '/dashboard.css': [css, file('dashboard.css')],
    '/uPlot.min.css': [css, file('uPlot.min.css')],
    '/codicon.css': [css, file('codicon.css')],
    '/codicon.ttf': ['font/ttf', file('codicon.ttf')],
  };
  let origin = '';
  const server: Server = createServer((request, response) => {
    const url = (request.url ?? '').replace(/\?.*$/, '');
    const routes: Record<string, [string, string | Buffer]> = { '/': ['text/html; charset=utf-8', pageHtml(origin, kind)], ...files };
    const route = routes[url];
    if (!route) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': route[0], 'cache-control': 'no-store' }).end(route[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser: Browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });

  return {
    origin,
    async open(options: OpenOptions = {}) {
      const page = await browser.newPage();
      const errors: Error[] = [];
      page.on('pageerror', (error) => errors.push(error));
      if (options.live) await page.exposeFunction('__paramloopAnswer', options.live);
      await page.addInitScript({ content: installVsCodeApi(options) });
      options.beforeLoad?.();
      await page.goto(`${origin}/`);
      await page.waitForFunction('window.__paramloop.posted.length > 0');
      return { page, errors };
    },
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends a message to the webview the way the host's postMessage arrives: a window `message` event. */
export async function sendToWebview(page: Page, message: unknown): Promise<void> {
  await page.evaluate((data) => (globalThis as unknown as { postMessage(data: unknown, origin: string): void }).postMessage(data, '*'), message);
}

/** What the page has recorded so far. */
export async function record(page: Page): Promise<PageRecord> {
  return page.evaluate<PageRecord>('window.__paramloop');
}
