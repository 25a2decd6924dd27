// Opening a store's folder: reading what is on disk, checking versions before anything is changed,
// setting an unreadable snapshot aside, migrating, and rebuilding the live database from the
// snapshot plus the journal tail. What was found and repaired is reported as notices.
import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import { listSegments, readSegment, syncDirectory } from './journal';
import type { SegmentReadResult } from './journal';
import { openLiveDatabase } from './memoryDatabase';
import { TimeSlicer } from './slicer';
import { EventWriter } from './records';
import { migrate, readSchemaVersion, schemaVersion, StoreVersionError } from './schema';
import { decodeEntry, headerUserVersion, openSnapshot, readLastSeq, snapshotFileName, stamp } from './snapshotFile';
import { checkContinuity, continuityNotices } from './continuity';
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
}

export interface RecoveryOptions {
  readOnly: boolean;
  now: () => number;
  /**
   * Checks the snapshot file elsewhere (the store's worker): resolves to why it is unreadable, or
   * undefined; rejects when it could not check (the check then runs here).
   */
  checkSnapshot?: (path: string) => Promise<string | undefined>;
}

/**
 * Rebuilds the live database from the folder `dir`. Throws StoreVersionError, before anything is
 * changed, when the snapshot or the journal was written by a newer schema. Read-only: an unreadable
 * snapshot is left in place (otherwise it is renamed aside with a timestamp, never deleted).
 */
export async function recoverDatabase(SQL: SqlJsStatic, dir: string, { readOnly, now, checkSnapshot }: RecoveryOptions): Promise<RecoveredDatabase> {
  const notices: RecoveryNotice[] = [];
  const folderExists = existsSync(dir);

  // 1. Read everything and check versions before changing anything.
  const snapshotPath = join(dir, snapshotFileName);
  let snapshotBytes: Uint8Array | undefined;
  try {
    snapshotBytes = await readFile(snapshotPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (snapshotBytes !== undefined) {
    const version = headerUserVersion(snapshotBytes);
    if (version !== undefined && version > schemaVersion) throw new StoreVersionError(version, schemaVersion, `The database ${snapshotPath}`);
  }
  const segments: SegmentReadResult[] = [];
  for (const segment of folderExists ? await listSegments(dir) : []) {
    const read = await readSegment(dir, segment.file, segment.startSeq);
    if (read.schema !== undefined && read.schema > schemaVersion) {
      throw new StoreVersionError(read.schema, schemaVersion, `The journal ${join(dir, segment.file)}`);
    }
    segments.push(read);
  }

  // 2. The snapshot, or an empty database when there is none or it is unreadable.
  let image: Database | undefined;
  let dirty = false;
  if (snapshotBytes !== undefined) {
    try {
      // SQLite's quick_check takes time in proportion to the size: in the worker when there is one.
      let checkedElsewhere = false;
      if (checkSnapshot !== undefined) {
        const check = await checkSnapshot(snapshotPath).then(
          (unreadable) => ({ done: true, unreadable }),
          () => ({ done: false, unreadable: undefined }), // the worker failed: check here instead
        );
        if (check.unreadable !== undefined) throw new Error(check.unreadable);
        checkedElsewhere = check.done;
      }
      image = openSnapshot(SQL, snapshotBytes, { integrity: !checkedElsewhere });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const notice: RecoveryNotice = {
        level: 'error',
        code: 'snapshot-unreadable',
        file: snapshotPath,
        message: `The snapshot ${snapshotPath} is unreadable (${reason}).`,
      };
      if (!readOnly) {
        const movedTo = `${snapshotPath}.corrupt-${stamp(now())}`;
        await rename(snapshotPath, movedTo);
        await syncDirectory(dir);
        notice.movedTo = movedTo;
        notice.message += ` It was moved to ${movedTo}; the store was rebuilt from the journal, and events folded into that snapshot before the journal's oldest segment are only in the moved file.`;
      } else {
        notice.message += ' Opened read-only: it was left in place and only the journal was read.';
      }
      notices.push(notice);
      dirty = true;
    }
  }
  image ??= new SQL.Database();
  // Closed on failure: the file image until its pages are copied, then the live database.
  let held = image;
  try {
    // 3. Forward migrations, on the file image; then its pages move into the live in-memory
    // database, where writes cost the same at any size (memoryDatabase.ts).
    const from = readSchemaVersion(image);
    const applied = migrate(image);
    if (from > 0 && applied.length > 0) {
      notices.push({ level: 'info', code: 'migrated', message: `The database was migrated from schema version ${from} to ${schemaVersion}.` });
      dirty = true;
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
    const folded = readLastSeq(db);
    notices.push(...continuityNotices(checkContinuity(segments, folded), dir, folded, readOnly));
    let maxSeq = folded;
    const writer = new EventWriter(db);
    const setLastSeq = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_seq', ?)");
    let replayed = 0;
    const invalid: { file: string; seq: number; type: string; reason: string }[] = [];
    // In transactions of a few milliseconds each, yielding between them: a crash can leave 100k
    // events to replay, and the editor must not freeze meanwhile.
    const slicer = new TimeSlicer();
    let steps = 0;
    db.exec('BEGIN');
    try {
      for (const segment of segments) {
        for (const entry of segment.entries) {
          maxSeq = Math.max(maxSeq, entry.seq);
          if (entry.seq <= folded) continue;
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
      setLastSeq.run([String(maxSeq)]);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    } finally {
      setLastSeq.free();
    }
    notices.push(...invalidEventNotices(invalid));

    return { db, writer, maxSeq, replayed, dirty, segmentStarts: segments.map((s) => s.startSeq), notices };
  } catch (error) {
    held.close();
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
