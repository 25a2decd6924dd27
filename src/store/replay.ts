// Replaying the journal in order, unit by unit: an event outside any unit is applied as it comes;
// the events of a unit (an import) are held until its commit and then applied together, and a unit
// whose commit never came (a crash cut it short) is dropped whole. Opening a store and building a
// snapshot in the worker replay through this, so both drop exactly the same units.
import { join } from 'node:path';
import type { JournalEntry } from './journal';
import type { RecoveryNotice } from './notices';
import { describeRange } from './continuity';

/** A unit begun and never committed, dropped whole. */
export interface DroppedUnit {
  /** The segment file holding its begin event. */
  file: string;
  /** Sequence numbers of its begin event and of the last of its events found. */
  begin: number;
  last: number;
  kind: string;
  decisions: number;
}

interface OpenUnit {
  file: string;
  kind: string;
  entries: JournalEntry[];
  last: number;
}

/** Feeds journal entries in order; says which to apply now. */
export class JournalReplayer {
  private readonly units = new Map<number, OpenUnit>();

  /**
   * Takes the next entry (of segment `file`) and returns the entries to apply now, in order: none
   * while a unit is open, the whole unit at its commit, else the entry itself.
   */
  feed(entry: JournalEntry, file: string): JournalEntry[] {
    if (entry.type === 'unitBegin') {
      const kind = (entry.record as { kind?: unknown } | null)?.kind;
      this.units.set(entry.seq, { file, kind: typeof kind === 'string' ? kind : 'unit', entries: [], last: entry.seq });
      return [];
    }
    if (entry.unit === undefined) return [entry];
    let unit = this.units.get(entry.unit);
    if (unit === undefined) {
      // Its begin was not read (a damaged line): held all the same, so that the commit decides.
      unit = { file, kind: 'unit', entries: [], last: entry.unit };
      this.units.set(entry.unit, unit);
    }
    unit.last = entry.seq;
    if (entry.type !== 'unitCommit') {
      unit.entries.push(entry);
      return [];
    }
    this.units.delete(entry.unit);
    return unit.entries;
  }

  /** The units still open when the journal ends: never committed, so dropped. */
  finish(): DroppedUnit[] {
    const dropped = [...this.units].map(([begin, unit]) => ({
      file: unit.file,
      begin,
      last: unit.last,
      kind: unit.kind,
      decisions: unit.entries.filter((e) => e.type === 'decision').length,
    }));
    this.units.clear();
    return dropped;
  }
}

/**
 * A warning per dropped unit: it was never acknowledged (its command did not report success), so
 * nothing acknowledged is lost, but the user should run it again.
 */
export function droppedUnitNotices(dropped: readonly DroppedUnit[], dir: string, readOnly: boolean): RecoveryNotice[] {
  return dropped.map((unit) => {
    const path = join(dir, unit.file);
    const what = unit.kind === 'import' ? `An import (${unit.decisions} decisions so far)` : `A unit of kind ${unit.kind}`;
    const why = readOnly ? 'still being written, or cut short by a crash,' : 'cut short by a crash';
    const done = readOnly ? 'left out whole' : 'dropped whole: none of it is in the store';
    const again = unit.kind === 'import' ? ' Run the import again to finish it.' : '';
    return {
      level: 'warning',
      code: 'journal-unfinished-unit',
      file: path,
      message: `${what} at ${describeRange(unit.begin, unit.last)} of ${path} was ${why} before its commit and was ${done}.${again}`,
    };
  });
}
