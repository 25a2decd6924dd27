// Opening a store's folder: reading what is on disk, checking versions before anything is changed,
// setting an unreadable snapshot aside, migrating, and rebuilding the live database from the
// snapshot plus the journal tail. What was found and repaired is reported as notices.
import { existsSync, statSync } from 'node:fs';
import { open, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import { listSegments, readSegment, readSegmentSchema, segmentsAfter, syncDirectory } from './journal';
import type { SegmentReadResult } from './journal';
import { openLiveDatabase } from './memoryDatabase';
import { TimeSlicer } from './slicer';
import { EventWriter } from './records';
import { migrate, readSchemaVersion, schemaVersion, StoreVersionError } from './schema';
import { decodeEntry, headerUserVersion, openSnapshot, previousSnapshotFileName, quickCheckProblem, readLastSeq, snapshotFileName, stamp } from './snapshotFile';
import { sealedAndDamaged } from './snapshotSeal';
import { inSharedMemory, readSnapshotChecked, sharedMemoryAvailable } from './snapshotRead';
import type { SnapshotRead } from './snapshotRead';
import { checkContinuity, continuityNotices } from './continuity';
import { droppedUnitNotices, JournalReplayer } from './replay';
import { openingLostData } from './notices';
import type { RecoveryNotice } from './notices';

export type { RecoveryNotice };

/** The live database rebuilt from a folder, and what rebuilding it found. */
export interface RecoveredDatabase {
  db: Database;
  writer: EventWriter;
  /** The highest sequence number on disk (folded into the snapshot or in the journal). */
  maxSeq: number;
  /** Journal events applied on top of the snapshot. */
  replayed: number;
  /** Opening changed the database beyond the replay (a migration, a snapshot set aside). */
  dirty: boolean;
  /** First sequence numbers of the journal segments found. */
  segmentStarts: number[];
  notices: RecoveryNotice[];
  /** The last event of the snapshot the database was rebuilt from (0: none). */
  snapshotFolded: number;
}

export interface RecoveryOptions {
  readOnly: boolean;
  now: () => number;
  /**
   * The store's worker, which runs SQLite's checks of a snapshot (time in proportion to its size)
   * off the main thread, on the bytes this thread read into shared memory, while they are copied
   * into the live database. Without it the checks run here.
   */
  checker?: SnapshotChecker;
  /** Throw a StoreDataLossError, with nothing on disk changed, when opening would lose anything. */
  refuseLoss?: boolean;
}

/** Checks snapshot images off the main thread (the store's worker, compactor.ts). */
export interface SnapshotChecker {
  /** Starts the worker ahead of a check (the file is read meanwhile). */
  prepare(): void;
  /**
   * Header, size, SQLite's quick_check and schema of image bytes in shared memory: resolves to why
   * they are unreadable, or undefined; rejects when it could not check (the check then runs here).
   */
  checkImage(image: Uint8Array): Promise<string | undefined>;
}

/** A read-only open of a folder that holds no store (a mistyped path must not read as an empty log). */
export class StoreNotFoundError extends Error {
  constructor(
    readonly dir: string,
    reason: string,
  ) {
    super(`${dir} holds no Paramloop store (${reason})`);
    this.name = 'StoreNotFoundError';
  }
}

/** An open refused (`refuseLoss`) because it would lose stored events; the notices name them. */
export class StoreDataLossError extends Error {
  constructor(
    readonly dir: string,
    readonly notices: readonly RecoveryNotice[],
  ) {
    const lost = notices.filter((n) => n.level === 'error').map((n) => n.message);
    super(`opening the store in ${dir} would lose stored events, so it was not opened and nothing in it was changed:\n${lost.join('\n')}`);
    this.name = 'StoreDataLossError';
  }
}

/** Why a folder with no snapshot and no journal is not a store, naming what it does hold. */
async function whatIsThere(dir: string): Promise<string> {
  const names = await readdir(dir);
  const setAside = names.filter((name) => name.includes('.corrupt-')).sort();
  return setAside.length > 0 ? `no snapshot and no journal; files set aside as damaged: ${setAside.join(', ')}` : 'no snapshot and no journal in it';
}

/**
 * Rebuilds the live database from the folder `dir`. Throws StoreVersionError, before anything is
 * changed, when the snapshot or the journal was written by a newer schema. Read-only: an unreadable
 * snapshot is left in place (otherwise it is renamed aside with a timestamp, never deleted).
 */
export async function recoverDatabase(SQL: SqlJsStatic, dir: string, { readOnly, now, checker, refuseLoss = false }: RecoveryOptions): Promise<RecoveredDatabase> {
  const notices: RecoveryNotice[] = [];
  const folderExists = existsSync(dir);
  // Reading a folder that is not a store is an error (a writable open creates one).
  if (readOnly && !folderExists) throw new StoreNotFoundError(dir, 'no such folder');
  if (readOnly && !statSync(dir).isDirectory()) throw new StoreNotFoundError(dir, 'not a folder');

  // 1. Read everything and check versions before changing anything.
  const currentPath = join(dir, snapshotFileName);
  const previousPath = join(dir, previousSnapshotFileName);
  const checkSlicer = new TimeSlicer();
  const pause = async (): Promise<void> => {
    if (checkSlicer.due()) await checkSlicer.pause();
  };
  // With a worker, the file goes into shared memory, where the worker checks it while this thread
  // copies it into the live database; it loads SQLite while the file is read.
  const shared = checker !== undefined && sharedMemoryAvailable;
  if (shared && existsSync(currentPath)) checker.prepare();
  // Read once, hashed while it is read.
  const current = await readSnapshotChecked(currentPath, { shared, pause });
  const previousHead = await readIfPresent(previousPath, 100);
  for (const [bytes, path] of [[current?.file, currentPath], [previousHead, previousPath]] as const) {
    const version = bytes === undefined ? undefined : headerUserVersion(bytes);
    if (version === undefined || version <= schemaVersion) continue;
    // Unless the file is ours and fails its checksum (a damaged header), it is a newer store.
    const damagedSeal = path === currentPath && current !== undefined ? current.sealed && current.damage !== undefined : await sealedAndDamaged(await readFile(path), pause);
    if (!damagedSeal) throw new StoreVersionError(version, schemaVersion, `The database ${path}`);
  }
  const listed = folderExists ? await listSegments(dir) : [];
  if (readOnly && current === undefined && previousHead === undefined && listed.length === 0) throw new StoreNotFoundError(dir, await whatIsThere(dir));
  for (const segment of listed) {
    const schema = await readSegmentSchema(dir, segment.file);
    if (schema !== undefined && schema > schemaVersion) throw new StoreVersionError(schema, schemaVersion, `The journal ${join(dir, segment.file)}`);
  }

  // 2. The current snapshot, else the previous one (its journal segments are kept until a newer
  // snapshot is verified), else an empty database: the journal alone. A snapshot is used only once
  // its checksum, header and SQLite's quick_check pass.
  const damaged: { path: string; reason: string }[] = [];
  let loaded: LoadedSnapshot | undefined;
  let base: 'the snapshot' | 'the previous snapshot' | undefined;
  if (current !== undefined) {
    const result = await loadSnapshot(SQL, current, checker);
    if ('unreadable' in result) damaged.push({ path: currentPath, reason: result.unreadable });
    else [loaded, base] = [result, 'the snapshot'];
  }
  if (loaded === undefined && previousHead !== undefined) {
    const previous = await readSnapshotChecked(previousPath, { shared, pause });
    const result = previous === undefined ? { unreadable: 'the file vanished while the store was opened' } : await loadSnapshot(SQL, previous, checker);
    if ('unreadable' in result) damaged.push({ path: previousPath, reason: result.unreadable });
    else [loaded, base] = [result, 'the previous snapshot'];
  }
  const dirty = damaged.length > 0 || base === 'the previous snapshot';
  const rebuiltFrom = base === 'the previous snapshot' ? `the previous snapshot ${previousPath} and the journal` : 'the journal alone';
  // Files are moved only once the whole folder has been read and replayed (step 5): an open refused
  // for a loss leaves everything in place.
  const moves: { from: string; to: string; notice?: RecoveryNotice }[] = [];
  for (const { path, reason } of damaged) {
    const notice: RecoveryNotice = { level: 'warning', code: 'snapshot-unreadable', file: path, message: `The snapshot ${path} is unreadable (${reason}). The store was rebuilt from ${rebuiltFrom}.` };
    if (readOnly) notice.message += ' Opened read-only: it was left in place.';
    else moves.push({ from: path, to: `${path}.corrupt-${stamp(now())}`, notice });
    notices.push(notice);
  }
  if (current === undefined && base === 'the previous snapshot') {
    notices.push({ level: 'warning', code: 'snapshot-fallback', file: currentPath, message: `The snapshot ${currentPath} is missing. The store was rebuilt from ${rebuiltFrom}.` });
  }
  // The previous snapshot becomes the current one: the next snapshot builds on it.
  if (!readOnly && base === 'the previous snapshot') moves.push({ from: previousPath, to: currentPath });
  // 3. No usable snapshot: an empty database, migrated to the current schema (step 3 for a snapshot
  // ran in loadSnapshot: forward migrations on its file image, then its pages copied into the live
  // in-memory database, where writes cost the same at any size, memoryDatabase.ts).
  loaded ??= await loadEmpty(SQL);
  const db = loaded.db;
  let dirtied = dirty;
  try {
    if (loaded.from > 0 && loaded.applied.length > 0) {
      notices.push({ level: 'info', code: 'migrated', message: `The database was migrated from schema version ${loaded.from} to ${schemaVersion}.` });
      dirtied = true;
    }

    // 4. Replay the journal tail, after checking that it runs on from the snapshot without a gap.
    // Segments kept only for an older snapshot are not read.
    const folded = readLastSeq(db);
    const segments: SegmentReadResult[] = [];
    for (const segment of segmentsAfter(listed, folded)) {
      const read = await readSegment(dir, segment.file, segment.startSeq);
      if (read.schema !== undefined && read.schema > schemaVersion) throw new StoreVersionError(read.schema, schemaVersion, `The journal ${join(dir, segment.file)}`);
      segments.push(read);
    }
    notices.push(...continuityNotices(checkContinuity(segments, folded), dir, folded, readOnly, base));
    let maxSeq = folded;
    const writer = new EventWriter(db);
    const setLastSeq = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_seq', ?)");
    let replayed = 0;
    const invalid: { file: string; seq: number; type: string; reason: string }[] = [];
    const replayer = new JournalReplayer();
    // In transactions of a few milliseconds each, yielding between them: a crash can leave 100k
    // events to replay, and the editor must not freeze meanwhile.
    const slicer = new TimeSlicer();
    let steps = 0;
    db.exec('BEGIN');
    try {
      for (const segment of segments) {
        for (const fed of segment.entries) {
          maxSeq = Math.max(maxSeq, fed.seq);
          if (fed.seq <= folded) continue;
          // Usually the entry itself; nothing while a unit is open; the whole unit at its commit.
          for (const entry of replayer.feed(fed, segment.file)) {
            try {
              writer.apply(entry.seq, decodeEntry(entry));
              replayed++;
            } catch (error) {
              invalid.push({ file: join(dir, segment.file), seq: entry.seq, type: entry.type, reason: error instanceof Error ? error.message : String(error) });
            }
            if ((++steps & 63) === 0 && slicer.due()) {
              setLastSeq.run([String(maxSeq)]);
              db.exec('COMMIT');
              await slicer.pause();
              db.exec('BEGIN');
            }
          }
        }
      }
      setLastSeq.run([String(maxSeq)]);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    } finally {
      setLastSeq.free();
    }
    notices.push(...invalidEventNotices(invalid));
    notices.push(...droppedUnitNotices(replayer.finish(), dir, readOnly));

    // 5. Refused for a loss: nothing was changed. Otherwise damaged files go aside (never deleted).
    if (refuseLoss && openingLostData(notices)) throw new StoreDataLossError(dir, notices);
    for (const move of moves) {
      await rename(move.from, move.to);
      if (move.notice !== undefined) {
        move.notice.movedTo = move.to;
        move.notice.message += ` It was moved to ${move.to} (kept, never deleted).`;
      }
    }
    if (moves.length > 0) await syncDirectory(dir);

    return { db, writer, maxSeq, replayed, dirty: dirtied, segmentStarts: listed.map((s) => s.startSeq), notices, snapshotFolded: folded };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A snapshot copied into the live database, with the migrations its image went through. */
interface LoadedSnapshot {
  db: Database;
  /** The schema version the snapshot was written with (0: none, an empty database). */
  from: number;
  applied: number[];
}

/**
 * The live database holding the snapshot `read`, or why the snapshot is unreadable: its checksum
 * (verified while it was read), its header and size, SQLite's quick_check (in the worker, on the
 * same shared bytes, while this thread copies them; here when there is no worker or it failed) and
 * its schema. The copy is discarded unless every check passes. Errors that say nothing about the
 * file (a migration or a copy that fails on sound bytes) are thrown.
 */
async function loadSnapshot(SQL: SqlJsStatic, read: SnapshotRead, checker: SnapshotChecker | undefined): Promise<LoadedSnapshot | { unreadable: string }> {
  if (read.damage !== undefined || read.snapshot === undefined) return { unreadable: read.damage ?? 'unreadable' };
  const bytes = read.snapshot.image;
  const inWorker = checker !== undefined && inSharedMemory(bytes);
  let image: Database;
  try {
    image = openSnapshot(SQL, bytes, { integrity: !inWorker });
  } catch (error) {
    return { unreadable: error instanceof Error ? error.message : String(error) };
  }
  try {
    // Settles to the reason the bytes are unreadable, or undefined; never rejects.
    const verdict: Promise<string | undefined> = inWorker
      ? checker.checkImage(bytes).catch(() => quickCheckProblem(image)) // the worker failed: checked here
      : Promise.resolve(undefined);
    // Forward migrations write the image (and the bytes the worker reads): only once it is checked.
    const from = readSchemaVersion(image);
    if (from < schemaVersion) {
      const unreadable = await verdict;
      if (unreadable !== undefined) return { unreadable };
    }
    const applied = migrate(image);
    // 256 pages (1 MiB) at a time, yielding whenever a slice of a few milliseconds has run, and
    // before the first step (reading and hashing the file ran up to here).
    const copySlicer = new TimeSlicer();
    await copySlicer.pause();
    let db: Database;
    try {
      db = await openLiveDatabase(SQL, image, {
        pagesPerStep: 256,
        pause: async () => {
          if (copySlicer.due()) await copySlicer.pause();
        },
      });
    } catch (error) {
      const unreadable = await verdict;
      if (unreadable !== undefined) return { unreadable };
      throw error;
    }
    const unreadable = await verdict;
    if (unreadable !== undefined) {
      db.close();
      return { unreadable };
    }
    return { db, from, applied };
  } finally {
    // Kept open until the verdict: a check that falls back to this thread reads it.
    image.close();
  }
}

/** The live database of a store without a usable snapshot: empty, at the current schema. */
async function loadEmpty(SQL: SqlJsStatic): Promise<LoadedSnapshot> {
  const image = new SQL.Database();
  try {
    const applied = migrate(image);
    return { db: await openLiveDatabase(SQL, image), from: 0, applied };
  } finally {
    image.close();
  }
}

/** The file's bytes (at most `limit` of them), or undefined when there is no such file. */
async function readIfPresent(path: string, limit?: number): Promise<Uint8Array | undefined> {
  try {
    if (limit === undefined) return await readFile(path);
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(limit);
      const { bytesRead } = await handle.read(buffer, 0, limit, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * One error per file for events the journal holds but the database could not take (their data is
 * not in the store: lost to it, though the journal keeps them until the next snapshot): the first
 * few named, the rest counted, so that a long run of them stays readable.
 */
function invalidEventNotices(invalid: readonly { file: string; seq: number; type: string; reason: string }[]): RecoveryNotice[] {
  const byFile = new Map<string, typeof invalid>();
  for (const item of invalid) byFile.set(item.file, [...(byFile.get(item.file) ?? []), item]);
  return [...byFile].map(([file, items]) => {
    const shown = items.slice(0, 3).map((i) => `event ${i.seq} (${i.type}): ${i.reason}`);
    const more = items.length > 3 ? `; and ${items.length - 3} more` : '';
    const head = items.length === 1 ? `Event ${items[0]?.seq} (${items[0]?.type}) in ${file} could not be applied` : `${items.length} events in ${file} could not be applied`;
    return { level: 'error', code: 'journal-invalid-event', file, message: `${head}: ${items.length === 1 ? items[0]?.reason : shown.join('; ')}${more}.` };
  });
}
