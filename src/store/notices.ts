// What opening a store reports: something it found and repaired, or could not. Level 'error' means
// that something stored was lost (or may have been): the CLI then exits non-zero and the extension
// shows an error. A damaged file whose content was recovered from elsewhere is a warning.

/** Something the store found and repaired (or could not) while opening; for the user to see. */
export interface RecoveryNotice {
  level: 'info' | 'warning' | 'error';
  code:
    | 'snapshot-unreadable'
    | 'snapshot-fallback'
    | 'journal-torn-tail'
    | 'journal-corrupt-line'
    | 'journal-gap'
    | 'journal-invalid-event'
    | 'journal-unfinished-unit'
    | 'migrated'
    | 'retention';
  message: string;
  file?: string;
  /** Where an unreadable file was moved to (it is never deleted). */
  movedTo?: string;
  /** The sequence numbers of the events lost, when the notice reports a loss. */
  lost?: { from: number; to: number };
}

/** True when opening lost (or may have lost) something stored: any error-level notice. */
export function openingLostData(notices: readonly RecoveryNotice[]): boolean {
  return notices.some((notice) => notice.level === 'error');
}
