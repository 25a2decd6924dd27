// What driving code-server's web workbench in Debian's Chromium (playwright-core) rests on: the
// browser's flags, the URL whose payload runs a test module in the window's Node extension host, the
// `PARAMLOOP_…` marker lines the suite logs to ask the runner for things, and finding the rendered
// sidebar webview among the page's frames. A window is driven by workbenchWindow.ts.
import { format } from 'node:util';
import type { Frame, Page } from 'playwright-core';
import type { CodeServer } from './codeServer';

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
/** The dashboard panel once it has drawn its first answers. */
export const renderedDashboardSelector = 'main#app[data-state="ready"][data-view="dashboard"]';
/** The sidebar only (the dashboard's page matches `renderedWebviewSelector` as well). */
export const renderedSidebarSelector = 'main#app[data-state="ready"]:not([data-view])';

/** The rendered webview a request names: `dashboard`, `sidebar`, else whichever renders first. */
export function webviewSelector(target: string | undefined): string {
  return target === 'dashboard' ? renderedDashboardSelector : target === 'sidebar' ? renderedSidebarSelector : renderedWebviewSelector;
}

/** A marker line the suite logs: `PARAMLOOP_<KIND> token token key=value …`. */
export interface Marker {
  readonly kind: string;
  readonly tokens: readonly string[];
  /** The `key=value` tokens. */
  readonly fields: Readonly<Record<string, string>>;
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

/** Finds the frame (webviews are nested iframes) whose document shows the rendered sidebar (or `selector`). */
export async function findRenderedWebview(page: Page, timeoutMs: number, selector = renderedWebviewSelector): Promise<Frame | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      try {
        if (await frame.$(selector)) return frame;
      } catch {
        // the frame navigated or detached while being searched
      }
    }
    await page.waitForTimeout(250);
  }
  return undefined;
}
