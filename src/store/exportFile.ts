// The decision log written to a file in one of the export formats, as `paramloop export --out` and
// the extension's "Export Logs" command do: a time range, progress, cancellation, and never a
// partial file. The lines go to a temporary file beside the target, renamed into place once all
// are written; a failure or a cancellation removes it, and the target is left as it was. The work
// gives the event loop back every few milliseconds, so an export from the editor never freezes it.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { csvLineEnd, csvLines } from './formats/csv';
import { dsjsonLines } from './formats/dsjson';
import { jsonlLines } from './formats/jsonl';
import { TimeSlicer } from './slicer';
import { openStore } from './store';
import type { StoreReads } from './storeReads';

export const exportFormats = ['jsonl', 'csv', 'dsjson'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** What each format is, in a few words (for pickers and help). */
export const exportFormatDescriptions: Record<ExportFormat, string> = {
  jsonl: "Paramloop's versioned JSON Lines: every decision with its outcome and reward; imports back",
  csv: 'flat columns (RFC 4180), one row per decision, for a spreadsheet',
  dsjson: "Vowpal Wabbit's DSJSON, one line per decision with an outcome (vw --dsjson --cb_adf)",
};

export interface ExportFileOptions {
  format: ExportFormat;
  /** The file to write (replaced only once the export is complete). */
  out: string;
  /** Decisions logged at or after this time (ms since the epoch), and before `until`. */
  since?: number;
  until?: number;
  includePromptText?: boolean;
  /** Stops the export: the promise rejects with `ExportCancelledError`, and no file is left. */
  signal?: AbortSignal;
  /** Called now and then with the decisions written so far. */
  onProgress?: (decisions: number) => void;
  /** How long the export runs before it gives the event loop back (ms; default 8). */
  sliceMs?: number;
}

export interface ExportSummary {
  format: ExportFormat;
  out: string;
  /** Decisions written (DSJSON leaves out those without an outcome: see `skippedUnlabelled`). */
  decisions: number;
  skippedUnlabelled: number;
}

export class ExportCancelledError extends Error {
  override readonly name = 'ExportCancelledError';
  constructor() {
    super('the export was cancelled; no file was written');
  }
}

/** Writes the export; the file appears at `out` only once it is whole. */
export async function exportToFile(store: StoreReads, options: ExportFileOptions): Promise<ExportSummary> {
  const { format, out, signal } = options;
  const filter = { ...(options.since !== undefined ? { since: options.since } : {}), ...(options.until !== undefined ? { until: options.until } : {}) };
  const formatOptions = { includePromptText: options.includePromptText === true };
  const skipped = { unlabelled: 0 };
  const records = store.iterateLogged(filter);
  const lines = format === 'jsonl' ? jsonlLines(records, formatOptions) : format === 'csv' ? csvLines(records, formatOptions) : dsjsonLines(records, store.armCatalog(), skipped);
  const lineEnd = format === 'csv' ? csvLineEnd : '\n';
  const headerLines = format === 'dsjson' ? 0 : 1;
  // Beside the target, so that the rename stays on one file system; hidden, and named as ours.
  const temp = join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}.partial`);
  const stream = createWriteStream(temp, { flags: 'wx' });
  const slicer = new TimeSlicer(options.sliceMs);
  let written = 0;
  try {
    await once(stream, 'open');
    for (const line of lines) {
      if (signal?.aborted) throw new ExportCancelledError();
      if (!stream.write(line + lineEnd)) await once(stream, 'drain');
      written++;
      if (slicer.due()) {
        options.onProgress?.(Math.max(0, written - headerLines));
        await slicer.pause();
      }
    }
    if (signal?.aborted) throw new ExportCancelledError();
    stream.end();
    await once(stream, 'finish');
    if (signal?.aborted) throw new ExportCancelledError();
    await rename(temp, out);
  } catch (error) {
    // Writes still queued fail once the stream is destroyed: expected, and not the error to report.
    stream.on('error', () => undefined);
    if (!stream.closed) {
      const closed = once(stream, 'close').catch(() => undefined);
      stream.destroy();
      await closed;
    }
    await rm(temp, { force: true });
    throw error;
  }
  const decisions = Math.max(0, written - headerLines);
  options.onProgress?.(decisions);
  return { format, out, decisions, skippedUnlabelled: skipped.unlabelled };
}

/**
 * Exports the store in `dir`, opened read-only: what the process that serves it has made durable,
 * nothing in `dir` written (the editor exports while its learner serves, as the CLI does).
 * `onTotal` learns how many decisions the range holds before the first is written.
 */
export async function exportFolder(dir: string, wasmDir: string, options: ExportFileOptions & { onTotal?: (decisions: number) => void }): Promise<ExportSummary> {
  const store = await openStore(dir, { wasmDir, readOnly: true, refuseLoss: true });
  try {
    options.onTotal?.(store.rawDecisionCount({ ...(options.since !== undefined ? { since: options.since } : {}), ...(options.until !== undefined ? { until: options.until } : {}) }));
    return await exportToFile(store, options);
  } finally {
    await store.close();
  }
}
