// Moving a workspace's decision log into the user's. Before there was one log per user, the
// extension kept one per workspace; the first time the user's log is open in a workspace whose
// storage holds such a log, its decisions (with their outcomes) are imported into the user's log as
// one unit, through the same path as `paramloop import` (`Store.importJsonl`: every record checked,
// a unit that a crash keeps whole or drops whole, identical records skipped, a different record
// under a stored request id refusing the whole import). The old folder is then marked with
// `importedMarkerFileName` (when, into where, how many) and left as it is: nothing opens it for
// writing again, and the marker keeps it from being imported twice.
//
// The marker is written only once the import is durable. A crash before it leaves no marker, and
// the next start imports again: what the first run stored is found identical and skipped, so the
// count of decisions in the user's log comes out the same whether or not a crash intervened.
//
// Only decisions and outcomes move: the other records of a workspace log (policy snapshots, rollout
// events, gate looks, budget audit entries, SLO incidents) describe that workspace's learner and its
// own hash chain, and decisions that retention folded into daily summaries exist only as sums. Both
// stay in the old folder, which is kept.
import { existsSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, fileSystemReason } from './fileErrors';
import { ImportError, jsonlLines } from './formats/jsonl';
import type { ImportIssue } from './formats/jsonl';
import { listSegments, syncDirectory } from './journal';
import { acquireLock } from './lock';
import type { StoreLock } from './lock';
import { previousSnapshotFileName, snapshotFileName } from './snapshotFile';
import { openStore } from './store';
import type { ImportReport, Store } from './store';

/** The file that marks a workspace's log as imported into the user's log. */
export const importedMarkerFileName = 'imported-into-user-log.json';

/** What the marker file holds. */
export interface ImportedMarker {
  format: 'paramloop.importedLog';
  version: 1;
  /** When the import became durable (ISO 8601). */
  importedAt: string;
  /** The user's log it went into. */
  into: string;
  /** Decisions of the old log now in the user's log (added by this import or found there already). */
  decisions: number;
  /** Decisions the old log held only as daily summaries (not imported). */
  summarisedDecisions: number;
}

/** Where a workspace's log stands: no store there, imported before, or still to import. */
export type WorkspaceLogState = 'none' | 'imported' | 'pending';

/** What `importWorkspaceLog` did. */
export type WorkspaceImportResult =
  | { state: 'none'; from: string }
  /** The marker was there: imported before (its content, if it could be read). */
  | { state: 'importedBefore'; from: string; marker: ImportedMarker | undefined }
  | {
      state: 'imported';
      from: string;
      report: ImportReport;
      summarisedDecisions: number;
      /** Why the marker could not be written; undefined when it was. The next start checks again. */
      markerProblem: string | undefined;
    }
  /** Nothing was imported and the old folder was left as it was. */
  | { state: 'failed'; from: string; reason: string };

/** True when `dir` holds the files of a store (a snapshot or journal segments). */
async function holdsStore(dir: string): Promise<boolean> {
  if (existsSync(join(dir, snapshotFileName)) || existsSync(join(dir, previousSnapshotFileName))) return true;
  try {
    return (await listSegments(dir)).length > 0;
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return false;
    throw error;
  }
}

/** Whether the workspace log in `dir` is still to be imported. Cheap: reads no store. */
export async function workspaceLogState(dir: string): Promise<WorkspaceLogState> {
  if (existsSync(join(dir, importedMarkerFileName))) return 'imported';
  return (await holdsStore(dir)) ? 'pending' : 'none';
}

async function readMarker(dir: string): Promise<ImportedMarker | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dir, importedMarkerFileName), 'utf8')) as Partial<ImportedMarker>;
    return value.format === 'paramloop.importedLog' && typeof value.into === 'string' ? (value as ImportedMarker) : undefined;
  } catch {
    // Unreadable or cut short: the folder is marked all the same (the file's presence is the mark).
    return undefined;
  }
}

/** Writes the marker atomically (a temporary file synced, renamed into place, the folder synced). */
async function writeMarker(dir: string, marker: ImportedMarker): Promise<void> {
  const path = join(dir, importedMarkerFileName);
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(marker, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncDirectory(dir);
}

/** An import refusal in terms of the old log's decisions (the JSONL text it went through is internal). */
function describeIssues(issues: readonly ImportIssue[], requestIds: readonly string[]): string {
  const shown = issues.slice(0, 5).map((issue) => {
    // Line 1 is the header; line n + 2 is record n.
    const id = requestIds[issue.line - 2];
    // A conflict names its request id already; other problems get it (or the line) in front.
    if (id !== undefined && issue.message.includes(`'${id}'`)) return issue.message;
    const where = id === undefined ? `line ${issue.line}` : `decision '${id}'`;
    return `${where}${issue.field === '' ? '' : ` (${issue.field})`}: ${issue.message}`;
  });
  const more = issues.length > shown.length ? `; and ${issues.length - shown.length} more` : '';
  return `${issues.length} of its records conflict with your log or are invalid: ${shown.join('; ')}${more}`;
}

function reasonOf(error: unknown): string {
  if (error instanceof ImportError) return error.message;
  if (error instanceof Error) return errorCode(error) === undefined ? error.message : fileSystemReason(error);
  return String(error);
}

/** What importing a workspace's log needs besides the two folders. */
export interface WorkspaceImportOptions {
  /** Folder holding sql-wasm.wasm. */
  wasmDir: string;
  /** Clock (ms since the epoch) for the marker and the lock. */
  now?: () => number;
}

/**
 * Imports the workspace log in `from` into `target` (the user's log, open for writing) unless it
 * was imported before, then marks `from`. Never throws: a damaged old log, a conflict, or an old
 * log another process holds open is a `failed` result naming why, with nothing imported and the
 * old folder unchanged.
 */
export async function importWorkspaceLog(target: Store, from: string, options: WorkspaceImportOptions): Promise<WorkspaceImportResult> {
  const now = options.now ?? Date.now;
  let lock: StoreLock | undefined;
  try {
    const state = await workspaceLogState(from);
    if (state === 'none') return { state: 'none', from };
    if (state === 'imported') return { state: 'importedBefore', from, marker: await readMarker(from) };
    // The lock keeps a Paramloop that still writes per-workspace logs (an older version in another
    // window) out while the log is read, and refuses the import while one has it open.
    lock = await acquireLock(from, now);
    // Read-only: nothing in the old folder is changed, and an open that would lose events is refused.
    const old = await openStore(from, { wasmDir: options.wasmDir, readOnly: true });
    let text: string;
    let requestIds: string[];
    let summarisedDecisions: number;
    try {
      const records = [...old.iterateLogged()];
      requestIds = records.map((record) => record.decision.requestId);
      summarisedDecisions = old.decisionCount() - old.rawDecisionCount();
      // Prompt text too when the old log kept it: the user's log drops it unless its setting keeps it.
      text = `${[...jsonlLines(records, { includePromptText: true })].join('\n')}\n`;
    } finally {
      await old.close();
    }
    let report: ImportReport;
    try {
      report = await target.importJsonl(text);
    } catch (error) {
      if (error instanceof ImportError) return { state: 'failed', from, reason: describeIssues(error.issues, requestIds) };
      throw error;
    }
    const marker: ImportedMarker = {
      format: 'paramloop.importedLog',
      version: 1,
      importedAt: new Date(now()).toISOString(),
      into: target.dir,
      decisions: report.imported + report.alreadyStored,
      summarisedDecisions,
    };
    let markerProblem: string | undefined;
    try {
      await writeMarker(from, marker);
    } catch (error) {
      markerProblem = `${join(from, importedMarkerFileName)} could not be written (${reasonOf(error)})`;
    }
    return { state: 'imported', from, report, summarisedDecisions, markerProblem };
  } catch (error) {
    return { state: 'failed', from, reason: reasonOf(error) };
  } finally {
    await lock?.release();
  }
}
