// What a runner reads or does inside a rendered webview (a frame of the workbench page): the colours
// the theme gave its text, whether its sections and charts rendered (`probeWebview`), and posting
// messages to the extension host through the webview's own channel, collecting the replies the page
// receives (`postFromWebview`). workbenchWindow.ts answers the suite's requests with these.
//
// The code that runs in the frame is browser JavaScript text, made into a function here so that
// Playwright can call it with an argument (the project's type check has no DOM library outside
// webview/). Nothing is added to the webview's own code for this: Playwright evaluates in the frame.
import type { Frame } from 'playwright-core';

/** A colour as red, green, blue (0–255), already composited over what is behind it. */
export type Rgb = readonly [number, number, number];

/** What `probeWebview` reads. */
export interface WebviewProbe {
  /** The body's theme class set by VS Code: vscode-light, vscode-dark, vscode-high-contrast, vscode-high-contrast-light. */
  readonly themeKind: string;
  readonly themeId: string;
  /** Per name asked: the first visible element's text colour and the background behind it. */
  readonly colours: Readonly<Record<string, { fg: Rgb; bg: Rgb; text: string }>>;
  /** The dashboard's sections (`[data-section]`): state (ready, error or none yet) and whether shown. */
  readonly sections: ReadonlyArray<{ id: string; state: string | null; visible: boolean; text: string }>;
  /**
   * The charts (`figure[data-chart]`): points drawn, whether shown (a chart on a hidden tab is drawn
   * again in a new theme only when its tab is shown), the canvas size, and how many of its pixels are
   * (nearly) the theme's chart foreground, the colour of the axes' text: none when the chart was
   * drawn with another theme's colours.
   */
  readonly charts: ReadonlyArray<{ key: string; points: number; visible: boolean; width: number; height: number; foregroundPixels: number }>;
  /** The theme's chart foreground, as the dashboard reads it (`--vscode-charts-foreground`, else `--vscode-foreground`). */
  readonly chartForeground: Rgb | null;
}

function inFrame<A, R>(source: string): (arg: A) => R {
  // Node has no CSP: this turns the source into a function, which Playwright sends as its source.
  return new Function(`return (${source});`)() as (arg: A) => R;
}

const probeSource = String.raw`(({ selectors }) => {
  const parse = (value) => {
    if (!value) return null;
    let m = /^#([0-9a-f]{3,8})$/i.exec(value.trim());
    if (m) {
      let h = m[1];
      if (h.length === 3 || h.length === 4) h = [...h].map((c) => c + c).join('');
      return { r: parseInt(h.slice(0, 2), 16), g: parseInt(h.slice(2, 4), 16), b: parseInt(h.slice(4, 6), 16), a: h.length === 8 ? parseInt(h.slice(6, 8), 16) / 255 : 1 };
    }
    m = /^rgba?\(([^)]*)\)$/.exec(value.trim());
    if (m) {
      const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    }
    m = /^color\(srgb ([^)]*)\)$/.exec(value.trim());
    if (m) {
      const p = m[1].split(/[\s/]+/).filter(Boolean).map(Number);
      return { r: p[0] * 255, g: p[1] * 255, b: p[2] * 255, a: p.length > 3 ? p[3] : 1 };
    }
    return null;
  };
  const over = (top, base) => ({ r: top.r * top.a + base.r * (1 - top.a), g: top.g * top.a + base.g * (1 - top.a), b: top.b * top.a + base.b * (1 - top.a), a: 1 });
  const rgb = (c) => [Math.round(c.r), Math.round(c.g), Math.round(c.b)];
  const backgroundOf = (element) => {
    const layers = [];
    for (let n = element; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    // Nothing opaque behind it: the frame's own canvas, white.
    let base = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) base = over(layer, base);
    return base;
  };
  const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const colours = {};
  for (const [name, selector] of Object.entries(selectors)) {
    const element = [...document.querySelectorAll(selector)].find(visible);
    if (!element) continue;
    const bg = backgroundOf(element);
    const fg = parse(getComputedStyle(element).color) ?? { r: 0, g: 0, b: 0, a: 1 };
    colours[name] = { fg: rgb(over(fg, bg)), bg: rgb(bg), text: (element.textContent ?? '').trim().slice(0, 80) };
  }
  const style = getComputedStyle(document.body);
  const chartForeground = parse(style.getPropertyValue('--vscode-charts-foreground').trim()) ?? parse(style.getPropertyValue('--vscode-foreground').trim());
  const charts = [...document.querySelectorAll('figure[data-chart]')].map((figure) => {
    const canvas = figure.querySelector('canvas');
    let foregroundPixels = 0;
    if (canvas && chartForeground && canvas.width > 0 && canvas.height > 0) {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] >= 200 && Math.abs(data[i] - chartForeground.r) + Math.abs(data[i + 1] - chartForeground.g) + Math.abs(data[i + 2] - chartForeground.b) <= 60) foregroundPixels++;
      }
    }
    return { key: figure.dataset.chart ?? '', points: Number(figure.dataset.points ?? 0), visible: visible(figure), width: canvas?.width ?? 0, height: canvas?.height ?? 0, foregroundPixels };
  });
  const sections = [...document.querySelectorAll('[data-section]')].map((s) => ({ id: s.dataset.section ?? '', state: s.dataset.state ?? null, visible: visible(s), text: (s.textContent ?? '').trim().slice(0, 200) }));
  return {
    themeKind: document.body.dataset.vscodeThemeKind ?? '',
    themeId: document.body.dataset.vscodeThemeId ?? '',
    colours,
    sections,
    charts,
    chartForeground: chartForeground ? rgb(chartForeground) : null,
  };
})`;

/** Reads the webview's theme, colours, sections and charts (see `WebviewProbe`); `selectors` names the elements whose colours to read. */
export function probeWebview(frame: Frame, selectors: Record<string, string>): Promise<WebviewProbe> {
  return frame.evaluate(inFrame<{ selectors: Record<string, string> }, WebviewProbe>(probeSource), { selectors });
}

/** A reply the page received, as `postFromWebview` reports it. */
export interface ReceivedReply {
  readonly id: string | number | null;
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
  readonly result?: unknown;
}

/** What `postFromWebview` reports: how many were posted and the replies the page received meanwhile, in order. */
export interface PostReport {
  readonly posted: number;
  readonly replies: readonly ReceivedReply[];
  readonly ms: number;
  readonly error?: string;
}

const postSource = String.raw`(async ({ messages, batch, batchQuietMs, quietMs, keepResults }) => {
  // The channel acquireVsCodeApi().postMessage uses: the webview host page's __vscode_post_message__
  // with the 'onmessage' command and { message } (VS Code's webview pre/index.html). The webview's own
  // API object cannot be had twice, so the runner calls the function that object calls.
  const host = window.frameElement && window.frameElement.ownerDocument && window.frameElement.ownerDocument.defaultView;
  const post = host && host.__vscode_post_message__;
  if (typeof post !== 'function') return { posted: 0, replies: [], ms: 0, error: 'the webview host page has no __vscode_post_message__' };
  const started = Date.now();
  const replies = [];
  let lastReply = Date.now();
  const onMessage = (event) => {
    const d = event.data;
    if (!d || typeof d !== 'object' || d.type !== 'reply') return;
    lastReply = Date.now();
    replies.push(d.ok
      ? { id: d.id, ok: true, ...(keepResults ? { result: d.result } : {}) }
      : { id: d.id, ok: false, code: d.error && d.error.code, message: d.error && String(d.error.message).slice(0, 300) });
  };
  window.addEventListener('message', onMessage);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  let posted = 0;
  try {
    for (let start = 0; start < messages.length; start += batch) {
      for (const message of messages.slice(start, start + batch)) {
        post('onmessage', { message });
        posted++;
      }
      // Each batch waits for its replies, or for the host to stay quiet for batchQuietMs (a host
      // that drops messages fails in a minute, not in one long wait per batch).
      lastReply = Date.now();
      while (replies.length < posted && Date.now() - lastReply < batchQuietMs) await sleep(20);
    }
    lastReply = Date.now();
    while (replies.length < posted && Date.now() - lastReply < quietMs) await sleep(20);
    // Anything after the last expected reply (a second answer to one message) shows up here.
    await sleep(300);
  } finally {
    window.removeEventListener('message', onMessage);
  }
  return { posted, replies, ms: Date.now() - started };
})`;

/**
 * Posts `messages` to the extension host from inside the webview, `batch` at a time, each batch
 * waiting for as many replies (or for 2 s without one; after the last batch, `quietMs`), and reports
 * every reply the page received meanwhile.
 */
export function postFromWebview(frame: Frame, messages: readonly unknown[], options: { batch?: number; quietMs?: number; keepResults?: boolean } = {}): Promise<PostReport> {
  const arg = { messages, batch: options.batch ?? 250, batchQuietMs: 2000, quietMs: options.quietMs ?? 15_000, keepResults: options.keepResults ?? false };
  return frame.evaluate(inFrame<typeof arg, PostReport>(postSource), arg);
}
