/**
 * Working sessions, the traffic keys of the sticky split (safety/rollout.ts): one developer's
 * requests belong to one session until a gap of more than `gapMs` without requests or until the
 * session has lasted `maxMs`; then the next request starts a new one. At 30 requests a day the
 * defaults (1 h, 2 h) give ~10–12 sessions a day of 2–3 requests each, so a 5% canary serves about
 * one session in twenty. Pure: times are arguments.
 */

/** When a session ends. */
export interface SessionRule {
  /** A gap longer than this without requests ends the session. */
  gapMs: number;
  /** A session lasts at most this long. */
  maxMs: number;
}

/** One hour of silence or two hours of work. */
export const defaultSessionRule: SessionRule = { gapMs: 3_600_000, maxMs: 7_200_000 };

/** The persisted state of a `SessionTracker`. */
export interface SessionState {
  index: number;
  startedAt: number;
  lastAt: number;
}

/** Numbers sessions 0, 1, 2… as requests arrive (in time order). */
export class SessionTracker {
  private s: SessionState;

  constructor(
    startedAt: number,
    readonly rule: SessionRule = defaultSessionRule,
    state?: SessionState,
  ) {
    this.s = state ? { ...state } : { index: 0, startedAt, lastAt: startedAt };
  }

  /** The index of the session a request at `now` belongs to (a new one after a gap or at the length limit). */
  at(now: number): number {
    if (now - this.s.lastAt > this.rule.gapMs || now - this.s.startedAt > this.rule.maxMs) {
      this.s.index++;
      this.s.startedAt = now;
    }
    this.s.lastAt = now;
    return this.s.index;
  }

  toJSON(): SessionState {
    return { ...this.s };
  }
}
