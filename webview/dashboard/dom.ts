// Small DOM builders for the dashboard: every text goes in as text (never as markup), every table
// has a caption and header cells with scopes, so screen readers can read each one.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';

/** An element with optional text and class. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

/** A codicon (the font is a local resource); decorative, hidden from screen readers. */
export function icon(name: string): HTMLElement {
  const span = element('span', undefined, `codicon codicon-${name}`);
  span.setAttribute('aria-hidden', 'true');
  return span;
}

/**
 * A button (`vscode-button` of @vscode-elements/elements: Lit, its styles adopted as constructed
 * stylesheets, which the CSP allows without 'unsafe-inline'), with an optional codicon in its label.
 */
export function button(label: string, onClick: () => void, options: { icon?: string; secondary?: boolean; title?: string } = {}): VscodeButton {
  const node = document.createElement('vscode-button');
  node.secondary = options.secondary === true;
  if (options.icon !== undefined) node.append(icon(options.icon), ' ');
  node.append(label);
  if (options.title !== undefined) node.title = options.title;
  node.addEventListener('click', () => {
    if (!node.disabled) onClick();
  });
  return node;
}

/** A plain button styled as a link (the request ids of the decisions table). */
export function linkButton(label: string, onClick: () => void, title: string): HTMLButtonElement {
  const node = element('button', label, 'link');
  node.type = 'button';
  node.title = title;
  node.addEventListener('click', onClick);
  return node;
}

/** A table: caption, a header row and body rows of text cells (the first cell of a row is its header). */
export function table(caption: string, headers: string[], rows: string[][], className = 'data'): HTMLTableElement {
  const node = element('table', undefined, className);
  node.append(element('caption', caption));
  const head = element('thead');
  const headRow = element('tr');
  for (const label of headers) {
    const th = element('th', label);
    th.scope = 'col';
    headRow.append(th);
  }
  head.append(headRow);
  const body = element('tbody');
  for (const row of rows) {
    const tr = element('tr');
    row.forEach((cell, i) => {
      if (i === 0) {
        const th = element('th', cell);
        th.scope = 'row';
        tr.append(th);
      } else tr.append(element('td', cell));
    });
    body.append(tr);
  }
  node.append(head, body);
  return node;
}

/** A definition list of label/value pairs. */
export function pairs(rows: Array<[string, string]>, className = 'pairs'): HTMLDListElement {
  const list = element('dl', undefined, className);
  for (const [label, value] of rows) list.append(element('dt', label), element('dd', value));
  return list;
}

/** A figure's text alternative: a disclosure holding the data as a table (keyboard and screen readers). */
export function dataDisclosure(summary: string, content: HTMLElement): HTMLDetailsElement {
  const details = element('details', undefined, 'alternative');
  details.append(element('summary', summary), content);
  return details;
}

/** A number with `digits` decimals, or an em dash for an unknown figure. */
export function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

// One formatter for every whole number: `toLocaleString` builds a new one per call, over ten times
// slower, which a table of a few hundred cells pays in milliseconds.
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A whole number with thousands grouped, or an em dash. */
export function whole(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : grouped.format(Math.round(x));
}

/** A share as a percentage. */
export function percent(x: number | null | undefined, digits = 0): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}

/** A time as `YYYY-MM-DD HH:MM UTC`. */
export function when(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** An interval `[lower, upper]`. */
export function interval(lower: number | null, upper: number | null, digits = 3): string {
  return lower === null && upper === null ? '—' : `[${num(lower, digits)}, ${num(upper, digits)}]`;
}

/** Redraws a section's body (a heading stays) and marks it ready. */
export function fill(node: HTMLElement, ...children: Array<Node | string>): void {
  node.querySelector('.section-body')!.replaceChildren(...children);
  node.dataset.state = 'ready';
}
