// Is the journal whole? Every event has a sequence number one above the one before it, and each
// segment starts where the one before it ends (a store starts a segment at one past the last event
// it saw). So a missing range of sequence numbers is always a loss, and where it sits says how it
// was lost: cut from the end of a segment that a later one follows, damaged lines in the middle of
// a segment, or events before the journal's first segment that the snapshot does not hold.
//
// The one loss this cannot see is lines cut from the end of the last segment: nothing follows them.
// A last line cut short there is the normal trace of a crash during an unacknowledged write.
import { join } from 'node:path';
import type { SegmentReadResult } from './journal';
import type { RecoveryNotice } from './notices';

/** A range of sequence numbers the snapshot and the journal should hold and do not. */
export interface JournalGap {
  /** First and last missing sequence number. */
  from: number;
  to: number;
  /**
   * `before-journal`: after the snapshot's last event and before the first segment;
   * `segment-end`: cut from the end of `file`, which `nextFile` follows;
   * `within-segment`: between two lines of `file` (`damagedLines` says which lines were damaged).
   */
  where: 'before-journal' | 'segment-end' | 'within-segment';
  file: string;
  nextFile?: string;
  /** Damaged lines of `file` that sat where the missing events were. */
  damagedLines: { line: number; reason: string }[];
  /** The segment `file` ends with a line cut short (for `segment-end`). */
  tornTail: boolean;
}

/** What `checkContinuity` found. */
export interface Continuity {
  gaps: JournalGap[];
  /** Damaged lines that hid no event of the sequence (a header, or a line whose event is elsewhere). */
  otherDamage: { file: string; line: number; reason: string }[];
  /** Segments whose last line was cut short with no loss following: unacknowledged writes. */
  tornTails: string[];
}

/**
 * Checks that the events after `folded` (the snapshot's last event) run without a gap through the
 * segments, which must be in order of their first sequence number.
 */
export function checkContinuity(segments: readonly SegmentReadResult[], folded: number): Continuity {
  const gaps: JournalGap[] = [];
  const explained = new Set<string>();
  const tornTails: string[] = [];
  let expect = folded + 1;
  let previous: SegmentReadResult | undefined;
  let previousLastLine = 1;
  for (const segment of segments) {
    if (segment.startSeq > expect) {
      if (previous === undefined) {
        gaps.push({ from: expect, to: segment.startSeq - 1, where: 'before-journal', file: segment.file, damagedLines: [], tornTail: false });
      } else {
        const damagedLines = previous.corruptLines.filter((d) => d.line > previousLastLine);
        for (const d of damagedLines) explained.add(`${previous.file}:${d.line}`);
        gaps.push({ from: expect, to: segment.startSeq - 1, where: 'segment-end', file: previous.file, nextFile: segment.file, damagedLines, tornTail: previous.tornTail });
      }
      expect = segment.startSeq;
    } else if (previous?.tornTail === true) {
      tornTails.push(previous.file);
    }
    let lastLine = 1;
    for (const entry of segment.entries) {
      if (entry.seq > expect) {
        const damagedLines = segment.corruptLines.filter((d) => d.line > lastLine && d.line < entry.line);
        for (const d of damagedLines) explained.add(`${segment.file}:${d.line}`);
        gaps.push({ from: expect, to: entry.seq - 1, where: 'within-segment', file: segment.file, damagedLines, tornTail: false });
      }
      expect = Math.max(expect, entry.seq + 1);
      lastLine = entry.line;
    }
    previous = segment;
    previousLastLine = lastLine;
  }
  if (previous?.tornTail === true) tornTails.push(previous.file);
  const otherDamage = segments.flatMap((segment) =>
    segment.corruptLines.filter((d) => !explained.has(`${segment.file}:${d.line}`)).map((d) => ({ file: segment.file, ...d })),
  );
  return { gaps, otherDamage, tornTails };
}

/** "event 7" or "events 7–12". */
export function describeRange(from: number, to: number): string {
  return from === to ? `event ${from}` : `events ${from}–${to} (${to - from + 1})`;
}

/**
 * The notices for what `checkContinuity` found, with file paths under `dir`. Losses are errors; a
 * damaged line that hid no event is a warning; a torn last line with nothing lost after it is the
 * trace of an unacknowledged write (or, read-only, of a write still in progress). `base` names the
 * snapshot the database was rebuilt from (undefined: none).
 */
export function continuityNotices(continuity: Continuity, dir: string, folded: number, readOnly: boolean, base?: string): RecoveryNotice[] {
  const notices: RecoveryNotice[] = [];
  for (const file of continuity.tornTails) {
    const path = join(dir, file);
    const why = readOnly ? 'still being written by the store that holds the folder, or interrupted by a crash' : 'an unacknowledged write interrupted by a crash';
    notices.push({ level: 'info', code: 'journal-torn-tail', file: path, message: `The last line of ${path} was cut short (${why}) and was ${readOnly ? 'left out' : 'dropped'}.` });
  }
  for (const gap of continuity.gaps) {
    const path = join(dir, gap.file);
    const lost = { from: gap.from, to: gap.to };
    const range = describeRange(gap.from, gap.to);
    const Range = range.charAt(0).toUpperCase() + range.slice(1);
    const damage = gap.damagedLines.map((d) => `line ${d.line}: ${d.reason}`).join('; ');
    if (gap.where === 'within-segment' && gap.damagedLines.length > 0) {
      const lines = gap.damagedLines.map((d) => d.line);
      const head = lines.length === 1 ? `Line ${lines[0]} of ${path} is damaged (${gap.damagedLines[0]?.reason})` : `Lines ${lines.join(', ')} of ${path} are damaged (${damage})`;
      notices.push({ level: 'error', code: 'journal-corrupt-line', file: path, lost, message: `${head}: ${range} ${gap.from === gap.to ? 'is' : 'are'} lost.` });
    } else if (gap.where === 'within-segment') {
      notices.push({ level: 'error', code: 'journal-gap', file: path, lost, message: `${Range} ${gap.from === gap.to ? 'is' : 'are'} missing from ${path}, between two of its lines: lost.` });
    } else if (gap.where === 'segment-end') {
      const cut = gap.tornTail ? ' (its last line is cut short)' : '';
      const damaged = gap.damagedLines.length > 0 ? ` (damaged: ${damage})` : '';
      notices.push({
        level: 'error',
        code: 'journal-gap',
        file: path,
        lost,
        message: `${Range} ${gap.from === gap.to ? 'was' : 'were'} cut from the end of ${path}${cut}${damaged}, which ${join(dir, gap.nextFile ?? '')} follows: ${gap.from === gap.to ? 'it is' : 'they are'} lost.`,
      });
    } else {
      notices.push({
        level: 'error',
        code: 'journal-gap',
        file: path,
        lost,
        message:
          base === undefined
            ? `${Range} ${gap.from === gap.to ? 'is' : 'are'} lost: no readable snapshot holds ${gap.from === gap.to ? 'it' : 'them'}, and the journal starts at ${gap.to + 1} (${path}).`
            : `${Range} ${gap.from === gap.to ? 'is' : 'are'} lost: ${base} holds events up to ${folded} and the journal starts at ${gap.to + 1} (${path}).`,
      });
    }
  }
  for (const damage of continuity.otherDamage) {
    const path = join(dir, damage.file);
    notices.push({ level: 'warning', code: 'journal-corrupt-line', file: path, message: `Line ${damage.line} of ${path} is damaged (${damage.reason}) and was skipped.` });
  }
  return notices;
}
