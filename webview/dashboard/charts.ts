// Charts drawn with uPlot (canvas, no eval, no injected styles: its stylesheet is a local file).
// Colours come from VS Code's theme variables, read when a chart is drawn, so light, dark and high
// contrast themes each get their own. Every chart sits next to a table holding the same numbers.
import uPlot from 'uplot';

import { element } from './dom';

/** The charts on the page, destroyed before their section is drawn again. */
const live = new Map<string, uPlot>();
/** The palette (as `paletteKey` writes it) the latest chart was drawn in; none before the first chart. */
let drawnWith: string | undefined;

function themeColour(variable: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(variable).trim();
  return value === '' ? fallback : value;
}

/** The palette: the theme's chart colours. */
export function palette(): { learned: string; baseline: string; foreground: string; dimmed: string; grid: string; series: string[] } {
  const blue = themeColour('--vscode-charts-blue', '#3794ff');
  const orange = themeColour('--vscode-charts-orange', '#d18616');
  const foreground = themeColour('--vscode-charts-foreground', themeColour('--vscode-foreground', '#cccccc'));
  return {
    learned: blue,
    baseline: orange,
    foreground,
    // What the theme dims (its disabled text): a high-contrast theme keeps it clearly visible.
    dimmed: themeColour('--vscode-disabledForeground', withAlpha(foreground.startsWith('#') ? foreground : '#888888', 0.3)),
    grid: themeColour('--vscode-charts-lines', 'rgba(128,128,128,0.35)'),
    series: [blue, orange, themeColour('--vscode-charts-green', '#89d185'), themeColour('--vscode-charts-purple', '#b180d7'), themeColour('--vscode-charts-red', '#f14c4c'), themeColour('--vscode-charts-yellow', '#cca700'), '#4ec9b0', '#ce9178', '#9cdcfe', '#c586c0', '#d7ba7d', '#808080', '#6a9955', '#569cd6', '#dcdcaa', '#f48771', '#a0a0a0'],
  };
}

function paletteKey(colours: ReturnType<typeof palette>): string {
  return JSON.stringify(colours);
}

/** `colour` at opacity `alpha` (hex colours; others are returned as they are). */
export function withAlpha(colour: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(colour);
  if (!hex) return colour;
  const v = Number.parseInt(hex[1]!, 16);
  return `rgba(${(v >> 16) & 255}, ${(v >> 8) & 255}, ${v & 255}, ${alpha})`;
}

function chartWidth(): number {
  return Math.max(280, Math.min(1100, (document.body.clientWidth || 800) - 64));
}

function axis(label: string, colours: ReturnType<typeof palette>, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return { label, stroke: colours.foreground, grid: { stroke: colours.grid, width: 1 }, ticks: { stroke: colours.grid, width: 1 }, ...extra };
}

export interface ChartSpec {
  /** Key of the chart on the page (one instance per key). */
  key: string;
  /** What the chart shows, for screen readers (the figure's label) and as its caption. */
  title: string;
  xLabel: string;
  yLabel: string;
  /** Time axis (x in seconds) or a numeric one. */
  time: boolean;
  series: uPlot.Series[];
  data: uPlot.AlignedData;
  bands?: uPlot.Band[];
  height?: number;
  /** Leave a margin around the points on both axes (scatters, whose points would sit on the edges). */
  padded?: boolean;
  /** Names for whole-number x positions (categories, e.g. arms), in place of the numbers. */
  xNames?: readonly string[];
}

/**
 * The range of a time axis whose points all fall at one instant (one bucket): an hour on each side.
 * uPlot would stretch it over 1,000 days from that instant, the point on the left edge.
 */
function singleInstantRange(xs: ArrayLike<number>): uPlot.Scale.Range | undefined {
  if (xs.length === 0) return undefined;
  const first = xs[0]!;
  for (let i = 1; i < xs.length; i++) if (xs[i] !== first) return undefined;
  return () => [first - 3600, first + 3600];
}

/** uPlot's font for axis values, to measure names with. */
const axisFont = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif';
const lineHeight = 14;
let measuring: CanvasRenderingContext2D | null | undefined;
function textWidth(text: string): number {
  measuring ??= document.createElement('canvas').getContext('2d');
  if (!measuring) return text.length * 7;
  measuring.font = axisFont;
  return measuring.measureText(text).width;
}

/**
 * An x axis of names (e.g. arms): a tick per name, each name under its tick. Names that do not fit side
 * by side are turned 45°, or 90° when even that would overlap; past one per line height, every k-th
 * name is shown (the table below names them all). Returns the axis and the height it adds.
 */
function namedAxis(names: readonly string[], width: number): { axis: Partial<uPlot.Axis>; extraHeight: number } {
  const longest = names.reduce((m, n) => Math.max(m, textWidth(n)), 0);
  // Each name's share of the plot's width (the y axis and the padding take about 90 px).
  const slot = Math.max(1, width - 90) / Math.max(1, names.length);
  // uPlot turns names by this many degrees anticlockwise, each ending at its tick.
  const rotate = longest + 12 <= slot ? 0 : slot * Math.SQRT1_2 >= lineHeight + 2 ? 45 : 90;
  const every = rotate === 90 && slot < lineHeight ? Math.ceil(lineHeight / slot) : 1;
  const extent = rotate === 0 ? lineHeight : rotate === 45 ? longest * Math.SQRT1_2 + lineHeight : longest;
  // Ticks (10 px) and the gap (5 px) above the names, a little room below.
  const size = Math.ceil(extent + 22);
  return {
    axis: {
      splits: () => names.map((_, i) => i),
      values: (_u, splits) => splits.map((x) => (Number.isInteger(x) && x % every === 0 ? (names[x] ?? '') : '')),
      rotate,
      size,
    },
    extraHeight: Math.max(0, size - 50),
  };
}

/** A scale's range with 8% of its span (or 1 for a single value) added on each side. */
const paddedRange = (_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax => {
  if (min === null || max === null) return [0, 1];
  const pad = max > min ? (max - min) * 0.08 : Math.max(Math.abs(max) * 0.08, 1);
  return [min - pad, max + pad];
};

/**
 * Draws a chart into a new figure and returns it. The figure carries the number of points drawn
 * (`data-points`) and the chart's key (`data-chart`), which the tests read.
 */
export function chart(spec: ChartSpec): HTMLElement {
  live.get(spec.key)?.destroy();
  const figure = element('figure', undefined, 'chart');
  figure.dataset.chart = spec.key;
  figure.setAttribute('role', 'img');
  figure.setAttribute('aria-label', `${spec.title} (the table below has the same numbers)`);
  const colours = palette();
  drawnWith = paletteKey(colours);
  const width = chartWidth();
  const named = spec.xNames === undefined ? undefined : namedAxis(spec.xNames, width);
  const xRange = spec.padded === true ? paddedRange : spec.time ? singleInstantRange(spec.data[0]) : undefined;
  const options: uPlot.Options = {
    width,
    height: (spec.height ?? 220) + (named?.extraHeight ?? 0),
    scales: { x: { time: spec.time, ...(xRange ? { range: xRange } : {}) }, ...(spec.padded === true ? { y: { range: paddedRange } } : {}) },
    axes: [axis(spec.xLabel, colours, named?.axis ?? {}), axis(spec.yLabel, colours)],
    series: [{ label: spec.xLabel }, ...spec.series],
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    ...(spec.bands !== undefined ? { bands: spec.bands } : {}),
  };
  const plot = new uPlot(options, spec.data, figure);
  live.set(spec.key, plot);
  figure.dataset.points = String(spec.data[0].length);
  const caption = element('figcaption', spec.title);
  figure.prepend(caption);
  return figure;
}

/** The uPlot instance drawn under `key`, if any. */
export function chartOf(key: string): uPlot | undefined {
  return live.get(key);
}

/**
 * Calls `redraw` when the theme's chart colours change from those the charts were drawn in: VS Code
 * switches a webview's theme in place (the body's theme class and id, the variables on the root
 * element), and a canvas keeps the colours it was drawn with until it is drawn again. Nothing is read
 * before the first chart is drawn (a chart drawn later reads the theme then). Returns the function
 * that stops watching.
 */
export function watchPalette(redraw: () => void): () => void {
  const observer = new MutationObserver(() => {
    if (drawnWith === undefined) return;
    const now = paletteKey(palette());
    if (now === drawnWith) return;
    drawnWith = now;
    redraw();
  });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id'] });
  return () => observer.disconnect();
}

/**
 * Resizes the charts inside `within` (a panel just shown, or the one shown when the window is resized)
 * to the page's width; a chart on a hidden panel is resized when its panel is shown. Reads the page's
 * width only when there is a chart to resize (a read forces a layout).
 */
export function resizeCharts(within: Element): void {
  const plots = [...live.values()].filter((plot) => within.contains(plot.root));
  if (plots.length === 0) return;
  const width = chartWidth();
  for (const plot of plots) if (plot.width !== width) plot.setSize({ width, height: plot.height });
}

/** A line series. */
export function line(label: string, stroke: string, options: Partial<uPlot.Series> = {}): uPlot.Series {
  return { label, stroke, width: 2, spanGaps: false, points: { show: true, size: 5 }, ...options };
}

/** A series of points only (a scatter over an ascending x). */
export function dots(label: string, colour: string, size = 9, options: Partial<uPlot.Series> = {}): uPlot.Series {
  return { label, stroke: colour, fill: colour, width: 0, paths: () => null, points: { show: true, size, stroke: colour, fill: colour }, ...options };
}
