// "Paramloop: Export Logs…": the decision log written to a file the user picks, as JSONL, CSV or
// Vowpal Wabbit DSJSON, over a time range, with progress and cancellation, and never a partial file
// (src/store/exportFile.ts). It reads the log read-only, so it works in any window, whichever serves
// the learner. The command also takes an argument object ({ format, out, since, until }) so that
// automation and tests can run it without the pickers.
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type * as LearnerModule from '../service/session';
import type { DisposableStore } from './disposable';

type ExportFormat = LearnerModule.ExportFormat;

const dayMs = 86_400_000;

/** The argument object: every field optional (what is missing is asked for). */
const exportArgsSchema = z.strictObject({
  format: z.enum(['jsonl', 'csv', 'dsjson']).optional(),
  /** The file to write: a path, or a file URI. */
  out: z.string().min(1).optional(),
  /** Times (ms since the epoch, or ISO 8601): decisions logged in [since, until). */
  since: z.union([z.number().finite(), z.string().min(1)]).optional(),
  until: z.union([z.number().finite(), z.string().min(1)]).optional(),
  includePromptText: z.boolean().optional(),
});
export type ExportLogsArgs = z.infer<typeof exportArgsSchema>;

const extensions: Record<ExportFormat, string> = { jsonl: 'jsonl', csv: 'csv', dsjson: 'dsjson' };

export interface ExportLogsDeps {
  storeDir: string;
  log: vscode.LogOutputChannel;
  /** The learner's module (loaded on first use). */
  module(): typeof LearnerModule;
  wasmDir(module: typeof LearnerModule): string;
}

/** What the command returns (for automation): the summary, or why nothing was written. */
export type ExportLogsResult = { ok: true; summary: LearnerModule.ExportSummary } | { ok: false; cancelled: boolean; error?: string };

export function registerExportLogs(root: DisposableStore, deps: ExportLogsDeps): void {
  root.register(vscode.commands.registerCommand('paramloop.exportLogs', (arg?: unknown) => exportLogs(deps, arg)));
}

/** A time as the argument gives it, or undefined (with a problem named) when it is not one. */
function timeOf(value: number | string | undefined, field: string, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) problems.push(`${field}: "${String(value)}" is not a time (ms since the epoch, or ISO 8601 such as 2026-11-01)`);
  return Number.isFinite(ms) ? ms : undefined;
}

async function exportLogs(deps: ExportLogsDeps, arg: unknown): Promise<ExportLogsResult> {
  const parsed = exportArgsSchema.safeParse(arg ?? {});
  if (!parsed.success) {
    const error = `Export Logs: the argument is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(argument)'}: ${i.message}`).join('; ')}`;
    void vscode.window.showErrorMessage(`Paramloop: ${error}`);
    return { ok: false, cancelled: false, error };
  }
  const args = parsed.data;
  const problems: string[] = [];
  let since = timeOf(args.since, 'since', problems);
  let until = timeOf(args.until, 'until', problems);
  if (since !== undefined && until !== undefined && since >= until) problems.push('since must be before until');
  if (problems.length > 0) {
    const error = `Export Logs: ${problems.join('; ')}`;
    void vscode.window.showErrorMessage(`Paramloop: ${error}`);
    return { ok: false, cancelled: false, error };
  }

  let module: typeof LearnerModule;
  try {
    module = deps.module();
  } catch (error) {
    const text = `Export Logs: the decision log's module could not be loaded (${error instanceof Error ? error.message : String(error)}); reinstalling Paramloop should fix this.`;
    void vscode.window.showErrorMessage(`Paramloop: ${text}`);
    return { ok: false, cancelled: false, error: text };
  }

  const format = args.format ?? (await pickFormat(module));
  if (format === undefined) return { ok: false, cancelled: true };
  if (args.since === undefined && args.until === undefined && args.out === undefined) {
    const range = await pickRange();
    if (range === undefined) return { ok: false, cancelled: true };
    ({ since, until } = range);
  }
  const target = args.out !== undefined ? (args.out.includes('://') ? vscode.Uri.parse(args.out) : vscode.Uri.file(args.out)) : await pickFile(format);
  if (target === undefined) return { ok: false, cancelled: true };
  if (target.scheme !== 'file') {
    const error = `Export Logs: ${target.toString()} is not a file on this machine; choose a local file.`;
    void vscode.window.showErrorMessage(`Paramloop: ${error}`);
    return { ok: false, cancelled: false, error };
  }
  const out = target.fsPath;

  const controller = new AbortController();
  try {
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Paramloop: exporting the decision log (${format.toUpperCase()})`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        let total = 0;
        let reported = 0;
        return module.exportFolder(deps.storeDir, deps.wasmDir(module), {
          format,
          out,
          ...(since !== undefined ? { since } : {}),
          ...(until !== undefined ? { until } : {}),
          ...(args.includePromptText !== undefined ? { includePromptText: args.includePromptText } : {}),
          signal: controller.signal,
          onTotal: (n) => {
            total = n;
            progress.report({ message: `${n.toLocaleString()} decisions to write` });
          },
          onProgress: (n) => {
            const increment = total > 0 ? (100 * (n - reported)) / total : 0;
            reported = n;
            progress.report({ increment, message: `${n.toLocaleString()} of ${total.toLocaleString()} decisions` });
          },
        });
      },
    );
    const skipped = summary.skippedUnlabelled > 0 ? ` (${summary.skippedUnlabelled} still waiting for their outcome were left out: DSJSON needs one)` : '';
    const text = `Exported ${summary.decisions.toLocaleString()} decisions to ${out}${skipped}.`;
    deps.log.info(`Export Logs: ${text}`);
    void vscode.window.showInformationMessage(`Paramloop: ${text}`, 'Open', 'Reveal in File Explorer').then((choice) => {
      if (choice === 'Open') void vscode.commands.executeCommand('vscode.open', target);
      if (choice === 'Reveal in File Explorer') void vscode.commands.executeCommand('revealFileInOS', target);
    });
    return { ok: true, summary };
  } catch (error) {
    if (error instanceof module.ExportCancelledError) {
      deps.log.info('Export Logs: cancelled; no file was written');
      void vscode.window.showInformationMessage('Paramloop: the export was cancelled; no file was written.');
      return { ok: false, cancelled: true };
    }
    const text = describeExportError(module, error, out);
    deps.log.error(`Export Logs: ${text}`);
    void vscode.window.showErrorMessage(`Paramloop: ${text}`);
    return { ok: false, cancelled: false, error: text };
  }
}

/** What went wrong, in words that say what to do; nothing was written either way. */
function describeExportError(module: typeof LearnerModule, error: unknown, out: string): string {
  if (error instanceof module.StoreNotFoundError) return 'nothing to export yet: no decision has been logged. Ask for a plan first.';
  if (error instanceof module.StoreDataLossError) {
    return `the decision log lost events (${error.message}); nothing was exported. "paramloop export --accept-loss" exports what is left.`;
  }
  const code = (error as { code?: unknown }).code;
  const reason =
    code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'the disk is full' : error instanceof Error ? error.message : String(error);
  return `could not export to ${out}: ${reason}. Nothing was written.`;
}

async function pickFormat(module: typeof LearnerModule): Promise<ExportFormat | undefined> {
  const labels: Record<ExportFormat, string> = { jsonl: 'JSON Lines', csv: 'CSV', dsjson: 'Vowpal Wabbit DSJSON' };
  const picked = await vscode.window.showQuickPick(
    module.exportFormats.map((format) => ({ label: labels[format], description: format, detail: module.exportFormatDescriptions[format], format })),
    { title: 'Paramloop: Export Logs (1/3): format', placeHolder: 'The format to export the decision log in' },
  );
  return picked?.format;
}

async function pickRange(): Promise<{ since?: number; until?: number } | undefined> {
  const now = Date.now();
  const choices = [
    { label: 'Everything', range: {} },
    { label: 'The last 24 hours', range: { since: now - dayMs } },
    { label: 'The last 7 days', range: { since: now - 7 * dayMs } },
    { label: 'The last 30 days', range: { since: now - 30 * dayMs } },
    { label: 'From a date…', range: undefined },
  ];
  const picked = await vscode.window.showQuickPick(choices, { title: 'Paramloop: Export Logs (2/3): time range', placeHolder: 'Which decisions to export, by when they were logged' });
  if (picked === undefined) return undefined;
  if (picked.range !== undefined) return picked.range;
  const text = await vscode.window.showInputBox({
    title: 'Paramloop: Export Logs (2/3): from a date',
    prompt: 'Decisions logged on or after this date (YYYY-MM-DD, your time zone)',
    validateInput: (value) => (Number.isFinite(Date.parse(`${value.trim()}T00:00`)) ? undefined : 'A date such as 2026-11-01'),
  });
  if (text === undefined) return undefined;
  return { since: Date.parse(`${text.trim()}T00:00`) };
}

async function pickFile(format: ExportFormat): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.scheme === 'file' ? vscode.workspace.workspaceFolders[0]!.uri.fsPath : homedir();
  const name = `paramloop-decisions-${new Date().toISOString().slice(0, 10)}.${extensions[format]}`;
  const filters: Record<ExportFormat, Record<string, string[]>> = { jsonl: { 'JSON Lines': ['jsonl'] }, csv: { CSV: ['csv'] }, dsjson: { DSJSON: ['dsjson', 'json'] } };
  return vscode.window.showSaveDialog({ title: 'Paramloop: Export Logs (3/3): save as', defaultUri: vscode.Uri.file(join(folder, name)), filters: filters[format], saveLabel: 'Export' });
}
