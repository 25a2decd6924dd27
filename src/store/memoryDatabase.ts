// The store's live database lives in SQLite's own memory (an attached ':memory:' database whose
// pages sit in the WebAssembly heap), not in a file of sql.js's in-memory file system.
//
// Why: sql.js keeps a database file as one JavaScript typed array that grows in 12.5% steps, and
// each step allocates a new array and copies the whole file into it. At 300k decisions (~446 MiB)
// one such step blocks the event loop for 90 ms or more. Pages of an in-memory SQLite database are
// allocated one by one, so the cost of a write no longer depends on the size of the database.
//
// The connection's `main` database is an empty file that is never written: every table lives in
// the attached database `live`, and unqualified names resolve to it (SQLite looks in temp, then
// main, then attached databases). Images (snapshot bytes, migrations) are file-backed databases;
// they are copied in and out page by page with SQLite's online backup API, which sql.js builds
// and exports but does not wrap.
import type { Database, SqlJsStatic } from 'sql.js';

/** Name of the attached in-memory database that holds the store's tables. */
export const liveSchema = 'live';

const SQLITE_OK = 0;
const SQLITE_DONE = 101;

/** The raw SQLite entry points sql.js exports (C pointers are numbers). */
interface RawSqlite {
  _sqlite3_backup_init(dest: number, destName: number, source: number, sourceName: number): number;
  _sqlite3_backup_step(backup: number, pages: number): number;
  _sqlite3_backup_finish(backup: number): number;
  _sqlite3_errmsg(db: number): number;
  _free(pointer: number): void;
  stringToNewUTF8(text: string): number;
  UTF8ToString(pointer: number): string;
}

function raw(SQL: SqlJsStatic): RawSqlite {
  const candidate = SQL as unknown as Partial<RawSqlite>;
  for (const name of ['_sqlite3_backup_init', '_sqlite3_backup_step', '_sqlite3_backup_finish', '_sqlite3_errmsg', '_free', 'stringToNewUTF8', 'UTF8ToString'] as const) {
    if (typeof candidate[name] !== 'function') throw new Error(`this sql.js build does not export ${name}, which the store needs to copy databases`);
  }
  return candidate as RawSqlite;
}

function handle(db: Database): number {
  const pointer = (db as unknown as { db?: unknown }).db;
  if (typeof pointer !== 'number' || pointer === 0) throw new Error('the database is closed');
  return pointer;
}

/** How a copy proceeds: all at once (the default), or so many pages at a time with a pause between. */
export interface CopyPacing {
  /** Pages per step (4 KiB each); -1: all at once. */
  pagesPerStep?: number;
  /** Awaited between steps (e.g. to let the event loop run). */
  pause?: () => Promise<void>;
}

/**
 * Copies every page of `source`'s database `sourceName` over `dest`'s database `destName` (its
 * previous content is replaced), using SQLite's online backup API. The two must be different
 * connections of the same sql.js module, and nothing may write to the source meanwhile.
 */
export async function copyDatabase(SQL: SqlJsStatic, source: Database, sourceName: string, dest: Database, destName: string, pacing: CopyPacing = {}): Promise<void> {
  const sqlite = raw(SQL);
  const destHandle = handle(dest);
  const sourceHandle = handle(source);
  const destNamePointer = sqlite.stringToNewUTF8(destName);
  const sourceNamePointer = sqlite.stringToNewUTF8(sourceName);
  const reason = (): string => sqlite.UTF8ToString(sqlite._sqlite3_errmsg(destHandle));
  try {
    const backup = sqlite._sqlite3_backup_init(destHandle, destNamePointer, sourceHandle, sourceNamePointer);
    if (backup === 0) throw new Error(`cannot copy the database: ${reason()}`);
    let stepped = SQLITE_OK;
    let finished = SQLITE_OK;
    try {
      while ((stepped = sqlite._sqlite3_backup_step(backup, pacing.pagesPerStep ?? -1)) === SQLITE_OK) await pacing.pause?.();
    } finally {
      finished = sqlite._sqlite3_backup_finish(backup);
    }
    const code = stepped === SQLITE_DONE ? finished : stepped;
    if (code !== SQLITE_OK) throw new Error(`cannot copy the database (SQLite code ${code}): ${reason()}`);
  } finally {
    sqlite._free(destNamePointer);
    sqlite._free(sourceNamePointer);
  }
}

/**
 * A connection whose tables live in the attached in-memory database `live`, holding a copy of
 * `image` (copied at the given pace).
 */
export async function openLiveDatabase(SQL: SqlJsStatic, image: Database, pacing: CopyPacing = {}): Promise<Database> {
  const db = new SQL.Database();
  try {
    db.exec(`ATTACH DATABASE ':memory:' AS ${liveSchema}`);
    await copyDatabase(SQL, image, 'main', db, liveSchema, pacing);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The bytes of a SQLite file holding the live database (for a snapshot written on this thread). */
export async function exportLiveDatabase(SQL: SqlJsStatic, db: Database): Promise<Uint8Array> {
  const image = new SQL.Database();
  try {
    await copyDatabase(SQL, db, liveSchema, image, 'main');
    return image.export();
  } finally {
    image.close();
  }
}
