// The append-only journal: the durable record of every event between two snapshots.
//
// Layout: segment files `journal-<first seq, 12 digits>.log` in the store folder. Each line is
// `<crc32 of the JSON, 8 hex digits> <JSON>\n`; the first line of a segment is a header
// `{"h":{"format":1,"schema":N,"start":S}}`, every other line an event `{"s":seq,"t":type,"e":record}`
// (with `"u":B` when it belongs to the unit begun at event B: see UnitBeginRecord).
// The CRC makes each line self-checking: a line cut short by a crash (the last line of a segment)
// fails it and is dropped; a failing line followed by good ones is corruption and is reported.
// A new segment is started at open, at each snapshot and when a segment grows past a size limit, so
// a torn tail always stays the last line of its file and folded-in segments can be deleted whole.
import {
  close as closeCallback,
  closeSync,
  fdatasync as fdatasyncCallback,
  fdatasyncSync,
  fsync as fsyncCallback,
  fsyncSync,
  open as openCallback,
  openSync,
  write as writeCallback,
  writeSync,
} from 'node:fs';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { TimeSlicer } from './slicer';
import { open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreEventType } from './events';
import { storeEventTypes } from './events';

export const journalFormat = 1;
const segmentPattern = /^journal-(\d{12})\.log$/;

/** The file name of the segment whose first event has sequence number `startSeq`. */
export function segmentFileName(startSeq: number): string {
  return `journal-${String(startSeq).padStart(12, '0')}.log`;
}

/** Encodes one journal line (with its trailing newline) from a JSON text. */
export function encodeLine(json: string): string {
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/**
 * Encodes an event line. `recordJson` is the record already serialised; `unit` marks an event (or
 * the commit) of the unit begun at that sequence number.
 */
export function encodeEventLine(seq: number, type: StoreEventType, recordJson: string, unit?: number): string {
  return encodeLine(unit === undefined ? `{"s":${seq},"t":"${type}","e":${recordJson}}` : `{"s":${seq},"t":"${type}","u":${unit},"e":${recordJson}}`);
}

/** One event read back from the journal. */
export interface JournalEntry {
  seq: number;
  type: StoreEventType;
  record: unknown;
  /** 1-based line number in its segment (the header is line 1). */
  line: number;
  /** The unit (its begin event's sequence number) this event belongs to, if any. */
  unit?: number;
}

/** A segment as read back: its header, its good events, and what was wrong with it. */
export interface SegmentReadResult {
  file: string;
  startSeq: number;
  schema: number | undefined;
  entries: JournalEntry[];
  /** True when the last line was cut short (no newline, or a bad checksum with nothing after it). */
  tornTail: boolean;
  /** 1-based line numbers of damaged lines that were followed by good ones, with the reason. */
  corruptLines: { line: number; reason: string }[];
}

/** Segment files in `dir`, ordered by first sequence number. */
export async function listSegments(dir: string): Promise<{ file: string; startSeq: number }[]> {
  const names = await readdir(dir);
  const segments: { file: string; startSeq: number }[] = [];
  for (const name of names) {
    const match = segmentPattern.exec(name);
    if (match?.[1] !== undefined) segments.push({ file: name, startSeq: Number(match[1]) });
  }
  return segments.sort((a, b) => a.startSeq - b.startSeq);
}

/** Parses one line (without its newline); returns the JSON value or the reason it is unreadable. */
function decodeLine(line: string): { value: unknown } | { error: string } {
  if (line.length < 10 || line[8] !== ' ') return { error: 'no checksum prefix' };
  const json = line.slice(9);
  const expected = Number.parseInt(line.slice(0, 8), 16);
  if (!/^[0-9a-f]{8}$/.test(line.slice(0, 8)) || crc32(json) !== expected) return { error: 'checksum mismatch' };
  try {
    return { value: JSON.parse(json) as unknown };
  } catch {
    return { error: 'invalid JSON' };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a segment. Never throws on content: damage is returned, for the caller to report. */
export async function readSegment(dir: string, file: string, startSeq: number): Promise<SegmentReadResult> {
  const buffer = await readFile(join(dir, file));
  const result: SegmentReadResult = { file, startSeq, schema: undefined, entries: [], tornTail: false, corruptLines: [] };
  const damaged: { line: number; reason: string }[] = [];
  const consider = (text: string, lineNumber: number, terminated: boolean): void => {
    const decoded = decodeLine(text);
    if ('error' in decoded) {
      damaged.push({ line: lineNumber, reason: terminated ? decoded.error : `${decoded.error} (no newline)` });
      return;
    }
    const value = decoded.value;
    if (isObject(value) && isObject(value.h)) {
      if (lineNumber === 1 && typeof value.h.schema === 'number') result.schema = value.h.schema;
      return;
    }
    if (isObject(value) && typeof value.s === 'number' && typeof value.t === 'string' && (storeEventTypes as readonly string[]).includes(value.t)) {
      const entry: JournalEntry = { seq: value.s, type: value.t as StoreEventType, record: value.e, line: lineNumber };
      if (typeof value.u === 'number') entry.unit = value.u;
      result.entries.push(entry);
      return;
    }
    damaged.push({ line: lineNumber, reason: 'not a journal event' });
  };
  // Line by line, yielding to the event loop between slices (a segment may hold 100k events).
  const slicer = new TimeSlicer();
  let lineNumber = 0;
  let position = 0;
  while (position < buffer.length) {
    const end = buffer.indexOf(0x0a, position);
    lineNumber++;
    if (end === -1) {
      // The last line has no newline: cut short by a crash, unless it happens to be whole.
      consider(buffer.toString('utf8', position), lineNumber, false);
      break;
    }
    consider(buffer.toString('utf8', position, end), lineNumber, true);
    position = end + 1;
    if ((lineNumber & 63) === 0 && slicer.due()) await slicer.pause();
  }
  const totalLines = lineNumber;
  for (const damage of damaged) {
    if (damage.line === totalLines) result.tornTail = true;
    else result.corruptLines.push(damage);
  }
  return result;
}

/**
 * The schema version in a segment's header (its first line), read without reading the rest of the
 * file; undefined when the header is unreadable.
 */
export async function readSegmentSchema(dir: string, file: string): Promise<number | undefined> {
  const handle = await open(join(dir, file), 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const end = buffer.subarray(0, bytesRead).indexOf(0x0a);
    if (end === -1) return undefined;
    const decoded = decodeLine(buffer.toString('utf8', 0, end));
    if ('error' in decoded || !isObject(decoded.value) || !isObject(decoded.value.h)) return undefined;
    return typeof decoded.value.h.schema === 'number' ? decoded.value.h.schema : undefined;
  } finally {
    await handle.close();
  }
}

/**
 * The segments that may hold events after `folded`: all but those followed by a segment starting
 * at or below `folded + 1` (kept only for an older snapshot).
 */
export function segmentsAfter<T extends { startSeq: number }>(segments: readonly T[], folded: number): T[] {
  return segments.filter((_, i) => {
    const next = segments[i + 1];
    return next === undefined || next.startSeq > folded + 1;
  });
}

/** fsyncs a directory so that a file created, renamed or removed in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Appends lines to the current segment and makes them durable. Calls must not overlap: the store
 * serialises them (one batch in flight at a time).
 */
export class JournalWriter {
  /** The open segment's file descriptor (raw, so that the synchronous twins can use it too). */
  private fd: number | undefined;
  private bytes = 0;
  private currentStart = 0;

  constructor(
    private readonly dir: string,
    private readonly schema: number,
    private readonly maxSegmentBytes: number,
  ) {}

  /** First sequence number of the segment being written. */
  get segmentStart(): number {
    return this.currentStart;
  }

  private header(startSeq: number): Buffer {
    return Buffer.from(encodeLine(JSON.stringify({ h: { format: journalFormat, schema: this.schema, start: startSeq } })), 'utf8');
  }

  /**
   * Starts a new segment whose first event will be `startSeq`: creates it with its header, syncs
   * the file and the folder (so the segment itself survives a crash), then closes the previous one.
   */
  async startSegment(startSeq: number): Promise<void> {
    const previous = this.fd;
    const fd = await openFd(join(this.dir, segmentFileName(startSeq)), 'a');
    const header = this.header(startSeq);
    await writeAll(fd, header);
    await fsyncFd(fd);
    await syncDirectory(this.dir);
    this.fd = fd;
    this.bytes = header.length;
    this.currentStart = startSeq;
    if (previous !== undefined) await closeFd(previous);
  }

  /** The synchronous twin of `startSegment`, for producers that run in one synchronous loop. */
  startSegmentSync(startSeq: number): void {
    const previous = this.fd;
    const fd = openSync(join(this.dir, segmentFileName(startSeq)), 'a');
    const header = this.header(startSeq);
    writeAllSync(fd, header);
    fsyncSync(fd);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    this.fd = fd;
    this.bytes = header.length;
    this.currentStart = startSeq;
    if (previous !== undefined) closeSync(previous);
  }

  /**
   * Writes a batch of encoded lines whose first event is `firstSeq` and waits until it is on disk
   * (fdatasync). Rolls over to a new segment first when the current one is full.
   */
  async writeDurably(text: string, firstSeq: number): Promise<void> {
    if (this.fd === undefined) throw new Error('journal is closed');
    if (this.bytes > this.maxSegmentBytes) await this.startSegment(firstSeq);
    const fd = this.fd;
    if (fd === undefined) throw new Error('journal is closed');
    const buffer = Buffer.from(text, 'utf8');
    await writeAll(fd, buffer);
    this.bytes += buffer.length;
    await fdatasyncFd(fd);
  }

  /**
   * The synchronous twin of `writeDurably`, for producers that run in one synchronous loop (the
   * simulator): write and fdatasync block the thread.
   */
  writeDurablySync(text: string, firstSeq: number): void {
    if (this.fd === undefined) throw new Error('journal is closed');
    if (this.bytes > this.maxSegmentBytes) this.startSegmentSync(firstSeq);
    const fd = this.fd;
    const buffer = Buffer.from(text, 'utf8');
    writeAllSync(fd, buffer);
    this.bytes += buffer.length;
    fdatasyncSync(fd);
  }

  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeFd(fd);
  }
}

const openFd = promisify(openCallback);
const closeFd = promisify(closeCallback);
const fsyncFd = promisify(fsyncCallback);
const fdatasyncFd = promisify(fdatasyncCallback);
const writeFd = promisify(writeCallback);

async function writeAll(fd: number, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) offset += (await writeFd(fd, buffer, offset, buffer.length - offset)).bytesWritten;
}

function writeAllSync(fd: number, buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

/**
 * Removes the segments whose events are all at or below `folded` (the last event of the older
 * snapshot kept): a segment goes when the one after it starts at or below `folded + 1`. Returns
 * how many were removed.
 */
export async function removeSegmentsFoldedInto(dir: string, folded: number): Promise<number> {
  const segments = await listSegments(dir);
  const kept = new Set(segmentsAfter(segments, folded));
  let removed = 0;
  for (const segment of segments) {
    if (kept.has(segment)) break;
    await unlink(join(dir, segment.file));
    removed++;
  }
  if (removed > 0) await syncDirectory(dir);
  return removed;
}
