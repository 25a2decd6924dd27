// Serves the built sidebar webview (dist/webview/main.js and main.css) in a page shaped like the one
// the extension host writes: the same Content-Security-Policy (a nonce for the script, styles only from
// the page's own origin, nothing else). `acquireVsCodeApi` is defined by an init script, as VS Code's
// webview host defines it, and records every message the webview posts.
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
const webviewStyle = join(projectRoot, 'dist', 'webview', 'main.css');

/** What the page records, read back with `page.evaluate`. */
export interface PageRecord {
  posted: unknown[];
  cspViolations: Array<{ directive: string; blocked: string }>;
  warnings: string[];
}

/** A local server for the page, and the browser that opens it. */
export interface WebviewHarness {
  readonly origin: string;
  /** Opens a fresh page with the webview loaded; collects uncaught page errors into `errors`. */
  open(): Promise<{ page: Page; errors: Error[] }>;
  close(): Promise<void>;
}

function pageHtml(origin: string): string {
  const nonce = randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
  return webviewHtml({ cspSource: origin, nonce, scriptUri: `${origin}/main.js`, styleUri: `${origin}/main.css`, title: 'Paramloop' });
}

/**
 * Runs in the page before any of its scripts (init scripts are not subject to the page's CSP). Kept
 * as browser JavaScript text: the project's type check has no DOM library outside webview/.
 */
const installVsCodeApi = `
(() => {
  const record = { posted: [], cspViolations: [], warnings: [] };
  window.__paramloop = record;
  document.addEventListener('securitypolicyviolation', (event) => {
    record.cspViolations.push({ directive: event.violatedDirective, blocked: event.blockedURI, source: event.sourceFile + ':' + event.lineNumber + ':' + event.columnNumber, sample: event.sample });
  });
  const warn = console.warn.bind(console);
  console.warn = (...args) => { record.warnings.push(args.map(String).join(' ')); warn(...args); };
  let acquired = false;
  window.acquireVsCodeApi = () => {
    // VS Code allows one acquisition per webview; a second is a bug in the webview.
    if (acquired) throw new Error('acquireVsCodeApi was called twice');
    acquired = true;
    return {
      // Messages cross a structured clone in VS Code; a JSON round trip shows the same shape.
      postMessage: (message) => { record.posted.push(JSON.parse(JSON.stringify(message))); },
      getState: () => undefined,
      setState: () => undefined,
    };
  };
})();
`;

export async function startWebviewHarness(): Promise<WebviewHarness> {
  const script = readFileSync(webviewBundle);
  const style = readFileSync(webviewStyle);
  let origin = '';
  const server: Server = createServer((request, response) => {
    const routes: Record<string, [string, string | Buffer]> = {
      '/': ['text/html; charset=utf-8', pageHtml(origin)],
      '/main.js': ['text/javascript; charset=utf-8', script],
      '/main.css': ['text/css; charset=utf-8', style],
    };
    const route = routes[request.url ?? ''];
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
    async open() {
      const page = await browser.newPage();
      const errors: Error[] = [];
      page.on('pageerror', (error) => errors.push(error));
      await page.addInitScript({ content: installVsCodeApi });
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
