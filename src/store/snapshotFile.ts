// Snapshot files: validating one, reading its position in the journal, and building a new one
// from the previous snapshot plus the journal (what the compaction worker does off the main
// thread, so a large database never blocks the editor while it is exported).
//
// Two generations are kept: snapshot.db and snapshot.previous.db, each sealed with its checksum
// (snapshotSeal.ts), and the journal segments from the previous one on. A new snapshot is written
// to a temporary file, synced, read back and checked against its checksum before it takes the
// place of snapshot.db (whose file becomes snapshot.previous.db); only then may the segments
// folded into the older generation go. So when one snapshot turns out to be damaged, the other and
// the journal still hold everything.
import { copyFile, link, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import type { Decision, Outcome } from '../core/types';
import type { StoreEvent } from './events';
import { listSegments, readSegment, removeSegmentsFoldedInto, segmentsAfter, syncDirectory } from './journal';
import type { JournalEntry } from './journal';
import { checkDecision, checkOutcome, EventWriter } from './records';
import { migrate, readSchemaVersion } from './schema';
import { sha256, snapshotTrailer, unsealSnapshot, verifySnapshotChecksum } from './snapshotSeal';
import { JournalReplayer } from './replay';

export const snapshotFileName = 'snapshot.db';
export const snapshotTempName = 'snapshot.db.tmp';
/** The snapshot before the current one, kept (with its journal segments) until a newer one is verified. */
export const previousSnapshotFileName = 'snapshot.previous.db';
export const previousSnapshotTempName = 'snapshot.previous.db.tmp';

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
      const problem = quickCheckProblem(db);
      if (problem !== undefined) throw new Error(problem);
    }
    if (readSchemaVersion(db) === 0) throw new Error('snapshot holds no Paramloop schema');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** What SQLite's quick_check finds wrong with `db`'s page structure, or undefined when it is sound. */
export function quickCheckProblem(db: Database): string | undefined {
  let check: unknown;
  try {
    check = db.exec('PRAGMA quick_check')[0]?.values[0]?.[0];
  } catch (error) {
    check = error instanceof Error ? error.message : String(error); // e.g. "database disk image is malformed"
  }
  return check === 'ok' ? undefined : `integrity check failed: ${String(check)}`;
}

/**
 * Checks snapshot image bytes (its checksum already verified) as opening them would: header, size,
 * SQLite's quick_check and the schema. The reason they are unreadable, or undefined. Only reads the
 * bytes (the store's worker checks them in memory it shares with the main thread).
 */
export function checkSnapshotImage(SQL: SqlJsStatic, image: Uint8Array): string | undefined {
  try {
    openSnapshot(SQL, image).close();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
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

/**
 * Writes a snapshot of `image` and puts it in place: sealed with its checksum in a temporary file,
 * synced, read back and verified; then the current snapshot's file becomes the previous one (a hard
 * link renamed into place, so that snapshot.db exists at every moment) and the new file is renamed
 * over snapshot.db; the folder is synced. Throws, leaving both generations as they were, when the
 * file read back does not match. `pause` is awaited between hashing steps (for the main thread).
 */
export async function writeSnapshotFile(dir: string, image: Uint8Array, pause?: () => Promise<void>): Promise<void> {
  const digest = await sha256(image, pause);
  const temp = join(dir, snapshotTempName);
  const handle = await open(temp, 'w');
  try {
    await handle.writev([image, snapshotTrailer(image, digest)]);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    const written = unsealSnapshot(await readFile(temp));
    if (written.digest === undefined || !written.digest.equals(digest)) throw new Error('its checksum trailer did not come back as written');
    await verifySnapshotChecksum(written, pause);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new Error(`the new snapshot did not verify when read back (${error instanceof Error ? error.message : String(error)}); the current one is kept`, { cause: error });
  }
  const current = join(dir, snapshotFileName);
  const previousTemp = join(dir, previousSnapshotTempName);
  await unlink(previousTemp).catch(() => undefined);
  let hasCurrent = true;
  try {
    await link(current, previousTemp);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') hasCurrent = false;
    else await copyFile(current, previousTemp); // a file system without hard links
  }
  if (hasCurrent) await rename(previousTemp, join(dir, previousSnapshotFileName));
  await rename(temp, current);
  await syncDirectory(dir);
}

/**
 * Reads and checks the snapshot file at `path` as opening it would: its checksum (in slices with
 * `pause` between), then header, size and SQLite's quick_check. Returns the open database, or
 * throws saying why the file is unreadable.
 */
export async function readSnapshotFile(SQL: SqlJsStatic, path: string, pause?: () => Promise<void>): Promise<Database> {
  const sealed = unsealSnapshot(await readFile(path));
  await verifySnapshotChecksum(sealed, pause);
  return openSnapshot(SQL, sealed.image);
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
 * them durable: the store switched segment at `beforeSeq` first) and puts it in place
 * (`writeSnapshotFile`), then removes the segments folded into the snapshot before the base (the
 * base is now the previous snapshot). `baseSeq` is the last event of the snapshot the store holds on disk: a
 * current snapshot that does not verify, or is not that one, is an error (nothing is written), so
 * that damage is never carried into a new checksum. Same replay as opening the store, so the result
 * equals the main thread's database at `beforeSeq - 1`.
 */
export async function compactSnapshot(SQL: SqlJsStatic, dir: string, beforeSeq: number, baseSeq: number): Promise<CompactionResult> {
  let db: Database;
  try {
    db = await readSnapshotFile(SQL, join(dir, snapshotFileName));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || baseSeq !== 0) {
      throw new Error(`the current snapshot cannot be built on (${error instanceof Error ? error.message : String(error)}); no new snapshot was written`, { cause: error });
    }
    db = new SQL.Database();
  }
  try {
    migrate(db);
    const folded = readLastSeq(db);
    if (folded !== baseSeq) throw new Error(`the current snapshot ends at event ${folded}, the store expected ${baseSeq}; no new snapshot was written`);
    let lastSeq = folded;
    let replayedEvents = 0;
    const writer = new EventWriter(db);
    // Units never committed (cut short by a crash) are dropped, as opening the store drops them; the
    // store never switches segment inside a unit, so every unit below beforeSeq is whole here.
    const replayer = new JournalReplayer();
    try {
      db.exec('BEGIN');
      // Segments kept only for the previous snapshot hold nothing newer than the base: not read.
      for (const segment of segmentsAfter(await listSegments(dir), folded)) {
        if (segment.startSeq >= beforeSeq) continue;
        const read = await readSegment(dir, segment.file, segment.startSeq);
        for (const fed of read.entries) {
          if (fed.seq <= folded || fed.seq >= beforeSeq) continue;
          lastSeq = Math.max(lastSeq, fed.seq);
          for (const entry of replayer.feed(fed, segment.file)) {
            try {
              writer.apply(entry.seq, decodeEntry(entry));
              replayedEvents++;
            } catch {
              // Reported when the store opened; skipped here exactly as there.
            }
          }
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
    // The base is now the previous snapshot: the segments folded into the one before it may go.
    await removeSegmentsFoldedInto(dir, baseSeq);
    return { lastSeq, bytes: image.byteLength, replayedEvents, exportMs };
  } finally {
    db.close();
  }
}
