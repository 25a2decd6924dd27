// Snapshot files: validating one, reading its position in the journal, and building a new one
// from the previous snapshot plus the journal (what the compaction worker does off the main
// thread, so a large database never blocks the editor while it is exported).
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import type { Decision, Outcome } from '../core/types';
import type { StoreEvent } from './events';
import { listSegments, readSegment, syncDirectory } from './journal';
import type { JournalEntry } from './journal';
import { checkDecision, checkOutcome, EventWriter } from './records';
import { migrate, readSchemaVersion } from './schema';

export const snapshotFileName = 'snapshot.db';
export const snapshotTempName = 'snapshot.db.tmp';

/** Sequence number of the last event folded into the database, kept in the meta table. */
export function readLastSeq(db: Database): number {
  const value = db.exec("SELECT value FROM meta WHERE key = 'last_seq'")[0]?.values[0]?.[0];
  return value === undefined || value === null ? 0 : Number(value);
}

/** The schema version in a SQLite file header (PRAGMA user_version is stored at offset 60). */
export function headerUserVersion(bytes: Uint8Array): number | undefined {
  if (bytes.length < 100 || Buffer.from(bytes.subarray(0, 16)).toString('latin1') !== 'SQLite format 3\0') return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(60);
}

/**
 * Opens snapshot bytes, or throws saying why they are not a whole, sound database. `integrity:
 * false` skips SQLite's quick_check (time in proportion to the size), for bytes already checked
 * (by the compaction worker, off the main thread).
 */
export function openSnapshot(SQL: SqlJsStatic, bytes: Uint8Array, { integrity = true }: { integrity?: boolean } = {}): Database {
  if (bytes.length < 100) throw new Error(`snapshot is ${bytes.length} bytes, shorter than a SQLite header`);
  if (headerUserVersion(bytes) === undefined) throw new Error('snapshot does not start with a SQLite header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawPageSize = view.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pageCount = view.getUint32(28);
  // The in-header page count is valid when the change counter matches "version-valid-for".
  if (view.getUint32(24) === view.getUint32(92) && pageCount > 0 && bytes.length < pageSize * pageCount) {
    throw new Error(`snapshot is truncated: ${bytes.length} bytes, its header says ${pageSize * pageCount}`);
  }
  const db = new SQL.Database(bytes);
  try {
    if (integrity) {
      const check = db.exec('PRAGMA quick_check')[0]?.values[0]?.[0];
      if (check !== 'ok') throw new Error(`integrity check failed: ${String(check)}`);
    }
    if (readSchemaVersion(db) === 0) throw new Error('snapshot holds no Paramloop schema');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A file-name-safe UTC timestamp, e.g. 20261125T043000Z. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function decodeEntry(entry: JournalEntry): StoreEvent {
  const record = entry.record as Record<string, unknown>;
  if (typeof record !== 'object' || record === null) throw new TypeError('record is not an object');
  switch (entry.type) {
    case 'decision':
      checkDecision(record as unknown as Decision);
      break;
    case 'outcome':
      checkOutcome((record as { outcome: Outcome }).outcome ?? ({} as Outcome));
      break;
    default:
      if (typeof record.timestamp !== 'number') throw new TypeError('record.timestamp must be a number');
  }
  return { type: entry.type, record } as unknown as StoreEvent;
}

/** Writes a snapshot atomically: temp file, fsync, rename over the old one, fsync the folder. */
export async function writeSnapshotFile(dir: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dir, snapshotTempName);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, snapshotFileName));
  await syncDirectory(dir);
}

/** Checks the snapshot file at `path` as opening it would: the reason it is unreadable, or undefined. */
export async function checkSnapshotFile(SQL: SqlJsStatic, path: string): Promise<string | undefined> {
  const bytes = await readFile(path);
  try {
    openSnapshot(SQL, bytes).close();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** What building a snapshot from the journal did. */
export interface CompactionResult {
  lastSeq: number;
  bytes: number;
  replayedEvents: number;
  exportMs: number;
}

/**
 * Builds the next snapshot from the current one plus every journal event below `beforeSeq` (all of
 * them durable: the store switched segment at `beforeSeq` first) and writes it atomically. The
 * caller then deletes the segments below `beforeSeq`. Same replay as opening the store, so the
 * result equals the main thread's database at `beforeSeq - 1`.
 */
export async function compactSnapshot(SQL: SqlJsStatic, dir: string, beforeSeq: number): Promise<CompactionResult> {
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFile(join(dir, snapshotFileName));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const db = bytes === undefined ? new SQL.Database() : openSnapshot(SQL, bytes);
  try {
    migrate(db);
    const folded = readLastSeq(db);
    let lastSeq = folded;
    let replayedEvents = 0;
    const writer = new EventWriter(db);
    try {
      db.exec('BEGIN');
      for (const segment of await listSegments(dir)) {
        if (segment.startSeq >= beforeSeq) continue;
        const read = await readSegment(dir, segment.file, segment.startSeq);
        for (const entry of read.entries) {
          if (entry.seq <= folded || entry.seq >= beforeSeq) continue;
          try {
            writer.apply(entry.seq, decodeEntry(entry));
            replayedEvents++;
          } catch {
            // Reported when the store opened; skipped here exactly as there.
          }
          lastSeq = Math.max(lastSeq, entry.seq);
        }
      }
      db.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_seq', ?)", [String(lastSeq)]);
      db.exec('COMMIT');
    } finally {
      writer.free();
    }
    const started = performance.now();
    const image = db.export();
    const exportMs = performance.now() - started;
    await writeSnapshotFile(dir, image);
    return { lastSeq, bytes: image.byteLength, replayedEvents, exportMs };
  } finally {
    db.close();
  }
}
