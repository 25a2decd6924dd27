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
import { decodeEntry, headerUserVersion, openSnapshot, previousSnapshotFileName, readLastSeq, snapshotFileName, stamp } from './snapshotFile';
import { sealedAndDamaged, unsealSnapshot, verifySnapshotChecksum } from './snapshotSeal';
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
   * Checks the snapshot file elsewhere (the store's worker): resolves to why it is unreadable, or
   * undefined; rejects when it could not check (the check then runs here).
   */
  checkSnapshot?: (path: string) => Promise<string | undefined>;
  /** Throw a StoreDataLossError, with nothing on disk changed, when opening would lose anything. */
  refuseLoss?: boolean;
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
export async function recoverDatabase(SQL: SqlJsStatic, dir: string, { readOnly, now, checkSnapshot, refuseLoss = false }: RecoveryOptions): Promise<RecoveredDatabase> {
  const notices: RecoveryNotice[] = [];
  const folderExists = existsSync(dir);
  // Reading a folder that is not a store is an error (a writable open creates one).
  if (readOnly && !folderExists) throw new StoreNotFoundError(dir, 'no such folder');
  if (readOnly && !statSync(dir).isDirectory()) throw new StoreNotFoundError(dir, 'not a folder');

  // 1. Read everything and check versions before changing anything.
  const currentPath = join(dir, snapshotFileName);
  const previousPath = join(dir, previousSnapshotFileName);
  const currentBytes = await readIfPresent(currentPath);
  const previousHead = await readIfPresent(previousPath, 100);
  const checkSlicer = new TimeSlicer();
  const pause = async (): Promise<void> => {
    if (checkSlicer.due()) await checkSlicer.pause();
  };
  for (const [bytes, path] of [[currentBytes, currentPath], [previousHead, previousPath]] as const) {
    const version = bytes === undefined ? undefined : headerUserVersion(bytes);
    if (version === undefined || version <= schemaVersion) continue;
    // Unless the file is ours and fails its checksum (a damaged header), it is a newer store.
    if (!(await sealedAndDamaged(path === currentPath && currentBytes !== undefined ? currentBytes : await readFile(path), pause))) {
      throw new StoreVersionError(version, schemaVersion, `The database ${path}`);
    }
  }
  const listed = folderExists ? await listSegments(dir) : [];
  if (readOnly && currentBytes === undefined && previousHead === undefined && listed.length === 0) throw new StoreNotFoundError(dir, await whatIsThere(dir));
  for (const segment of listed) {
    const schema = await readSegmentSchema(dir, segment.file);
    if (schema !== undefined && schema > schemaVersion) throw new StoreVersionError(schema, schemaVersion, `The journal ${join(dir, segment.file)}`);
  }

  // 2. The current snapshot, else the previous one (its journal segments are kept until a newer
  // snapshot is verified), else an empty database: the journal alone.
  let image: Database | undefined;
  let base: 'the snapshot' | 'the previous snapshot' | undefined;
  const damaged: { path: string; reason: string }[] = [];
  if (currentBytes !== undefined) {
    try {
      image = await openChecked(SQL, currentPath, currentBytes, checkSnapshot, pause);
      base = 'the snapshot';
    } catch (error) {
      damaged.push({ path: currentPath, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  if (image === undefined && previousHead !== undefined) {
    try {
      image = await openChecked(SQL, previousPath, await readFile(previousPath), checkSnapshot, pause);
      base = 'the previous snapshot';
    } catch (error) {
      damaged.push({ path: previousPath, reason: error instanceof Error ? error.message : String(error) });
    }
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
  if (currentBytes === undefined && base === 'the previous snapshot') {
    notices.push({ level: 'warning', code: 'snapshot-fallback', file: currentPath, message: `The snapshot ${currentPath} is missing. The store was rebuilt from ${rebuiltFrom}.` });
  }
  // The previous snapshot becomes the current one: the next snapshot builds on it.
  if (!readOnly && base === 'the previous snapshot') moves.push({ from: previousPath, to: currentPath });
  image ??= new SQL.Database();
  // Closed on failure: the file image until its pages are copied, then the live database.
  let held = image;
  let dirtied = dirty;
  try {
    // 3. Forward migrations, on the file image; then its pages move into the live in-memory
    // database, where writes cost the same at any size (memoryDatabase.ts).
    const from = readSchemaVersion(image);
    const applied = migrate(image);
    if (from > 0 && applied.length > 0) {
      notices.push({ level: 'info', code: 'migrated', message: `The database was migrated from schema version ${from} to ${schemaVersion}.` });
      dirtied = true;
    }
    // 1,024 pages (4 MiB) at a time, yielding between slices: 160 MiB is 40 steps.
    const copySlicer = new TimeSlicer();
    const db = await openLiveDatabase(SQL, image, {
      pagesPerStep: 1024,
      pause: async () => {
        if (copySlicer.due()) await copySlicer.pause();
      },
    });
    image.close();
    held = db;

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
    held.close();
    throw error;
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
 * Opens snapshot `bytes` (read from `path`) once its checksum and SQLite's quick_check pass: both
 * in the worker when there is one (they take time in proportion to the size), else here, hashing in
 * slices. Throws saying why the file is unreadable.
 */
async function openChecked(
  SQL: SqlJsStatic,
  path: string,
  bytes: Uint8Array,
  checkSnapshot: RecoveryOptions['checkSnapshot'],
  pause: () => Promise<void>,
): Promise<Database> {
  const sealed = unsealSnapshot(bytes);
  if (checkSnapshot !== undefined) {
    const check = await checkSnapshot(path).then(
      (unreadable) => ({ done: true, unreadable }),
      () => ({ done: false, unreadable: undefined }), // the worker failed: check here instead
    );
    if (check.unreadable !== undefined) throw new Error(check.unreadable);
    if (check.done) return openSnapshot(SQL, sealed.image, { integrity: false });
  }
  await verifySnapshotChecksum(sealed, pause);
  return openSnapshot(SQL, sealed.image);
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
