/**
 * Hash-chained audit log (ARCHITECTURE.md §"Statistics", "Budgets"): every budget event and waiver change is appended as
 * an entry that holds the hash of the previous entry, so editing, removing or reordering any entry
 * breaks the chain at that point and the verifier names the first bad index. Removing entries from
 * the end leaves a valid shorter chain; to catch that, keep the head (length and last hash)
 * somewhere else (the store does, in its snapshot) and pass it to `verifyAuditChain`.
 *
 * Hashing is SHA-256 over a canonical JSON encoding (keys sorted, no whitespace), so the hash of an
 * entry does not depend on key order or on how a store serialised it. node:crypto is used for the
 * digest: it is a deterministic function of its input, not I/O.
 */
import { createHash } from 'node:crypto';

/** Hash of the entry before the first one. */
export const genesisHash = '0'.repeat(64);

/** A JSON value as the audit log accepts it (finite numbers only). */
export type AuditValue = string | number | boolean | null | AuditValue[] | { [key: string]: AuditValue };

/** One entry of the chain. `hash` covers every other field. */
export interface AuditEntry {
  index: number;
  timestamp: number;
  /** What happened, e.g. "budget.spend", "waiver.activated". */
  kind: string;
  /** Who or what caused it: a user name, or "system". */
  actor: string;
  payload: { [key: string]: AuditValue };
  prevHash: string;
  hash: string;
}

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, `undefined` members dropped,
 * non-finite numbers refused (JSON cannot represent them, and silently writing null would make two
 * different entries hash alike).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`canonical JSON cannot encode ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new Error(`canonical JSON cannot encode a ${typeof value}`);
  }
}

/** SHA-256 in lowercase hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hash an entry must carry: SHA-256 of the canonical JSON of every field but `hash`. */
export function hashAuditEntry(entry: Omit<AuditEntry, 'hash'>): string {
  const { index, timestamp, kind, actor, payload, prevHash } = entry;
  return sha256Hex(canonicalJson({ index, timestamp, kind, actor, payload, prevHash }));
}

/** Result of verifying a chain: ok, or the first index where it breaks and why. */
export type AuditVerification =
  | { ok: true; length: number; headHash: string }
  | { ok: false; firstBadIndex: number; problem: 'index' | 'prevHash' | 'hash' | 'truncated' | 'head'; message: string };

/**
 * Checks every link: entry i must have index i, carry the previous entry's hash, and hash to its own
 * `hash`. With `expectedHead` also checks that nothing was cut off the end.
 */
export function verifyAuditChain(entries: readonly AuditEntry[], expectedHead?: { length: number; hash: string }): AuditVerification {
  let prev = genesisHash;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as AuditEntry;
    if (e.index !== i) return { ok: false, firstBadIndex: i, problem: 'index', message: `entry ${i} carries index ${e.index}` };
    if (e.prevHash !== prev) {
      return { ok: false, firstBadIndex: i, problem: 'prevHash', message: `entry ${i} does not link to the entry before it` };
    }
    let recomputed: string;
    try {
      recomputed = hashAuditEntry(e);
    } catch {
      recomputed = '';
    }
    if (recomputed !== e.hash) return { ok: false, firstBadIndex: i, problem: 'hash', message: `entry ${i} was modified after it was written` };
    prev = e.hash;
  }
  if (expectedHead) {
    if (entries.length < expectedHead.length) {
      return {
        ok: false,
        firstBadIndex: entries.length,
        problem: 'truncated',
        message: `the log ends at ${entries.length} entries, ${expectedHead.length} were recorded`,
      };
    }
    const head = entries[expectedHead.length - 1];
    if (expectedHead.length > 0 && head?.hash !== expectedHead.hash) {
      return { ok: false, firstBadIndex: expectedHead.length - 1, problem: 'head', message: 'the recorded head hash does not match the log' };
    }
  }
  return { ok: true, length: entries.length, headHash: prev };
}

/** Where an audit log keeps its entries: all of them in memory, or only its head (a store keeps them). */
export interface AuditLogOptions {
  /** Keep every entry in memory (default true); false keeps only the head, and `entries` is empty. */
  keepEntries?: boolean;
  /** Called with each entry appended, e.g. to write it to a store. */
  onAppend?: (entry: AuditEntry) => void;
}

/** The end of a chain: how many entries it has and the last one's hash. */
export interface AuditHead {
  length: number;
  hash: string;
}

/** An append-only hash chain, in memory or as its head alone. */
export class AuditLog {
  private readonly list: AuditEntry[] = [];
  private headValue: AuditHead = { length: 0, hash: genesisHash };
  private readonly keep: boolean;
  /** Called with each entry appended (the guarded optimizer sends them out as events). */
  onAppend: ((entry: AuditEntry) => void) | undefined;

  /** Starts from persisted entries; throws when they do not verify, so a broken chain is never extended. */
  constructor(entries: readonly AuditEntry[] = [], options: AuditLogOptions = {}) {
    const check = verifyAuditChain(entries);
    if (!check.ok) throw new Error(`audit log does not verify: ${check.message}`);
    this.keep = options.keepEntries ?? true;
    this.onAppend = options.onAppend;
    if (this.keep) this.list.push(...entries);
    this.headValue = { length: entries.length, hash: check.headHash };
  }

  /** A log that continues a chain known only by its head (its entries live in a store). */
  static fromHead(head: AuditHead, options: AuditLogOptions = {}): AuditLog {
    const log = new AuditLog([], { ...options, keepEntries: false });
    log.headValue = { ...head };
    return log;
  }

  /** Appends an entry linked to the current head and returns it. */
  append(timestamp: number, kind: string, actor: string, payload: { [key: string]: AuditValue }): AuditEntry {
    const index = this.headValue.length;
    const prevHash = this.headValue.hash;
    const unhashed = { index, timestamp, kind, actor, payload, prevHash };
    const entry: AuditEntry = { ...unhashed, hash: hashAuditEntry(unhashed) };
    this.push(entry);
    this.onAppend?.(entry);
    return entry;
  }

  /**
   * Appends an entry read back from a log (restoring), after checking that it continues this chain:
   * its index and previous hash follow the head and its own hash is right. Throws naming the index
   * otherwise, so a broken chain is reported, never silently extended.
   */
  applyEntry(entry: AuditEntry): void {
    if (entry.index !== this.headValue.length) throw new Error(`audit entry ${entry.index} does not follow entry ${this.headValue.length - 1}: the chain is broken`);
    if (entry.prevHash !== this.headValue.hash) throw new Error(`audit entry ${entry.index} does not link to the entry before it: the chain is broken`);
    if (hashAuditEntry(entry) !== entry.hash) throw new Error(`audit entry ${entry.index} does not match its hash: it was altered`);
    this.push(entry);
  }

  /**
   * Continues the chain from an entry that did not verify (restoring a log whose chain is broken):
   * later entries then link to it. The caller reports the break; this only lets the log go on.
   */
  continueFrom(entry: AuditEntry): void {
    this.push(entry);
  }

  private push(entry: AuditEntry): void {
    if (this.keep) this.list.push(entry);
    this.headValue = { length: entry.index + 1, hash: entry.hash };
  }

  /** The entries kept in memory (all of them, unless the log keeps only its head). */
  get entries(): readonly AuditEntry[] {
    return this.list;
  }

  /** Entries from index `n` on (what a store has not persisted yet), when kept in memory. */
  since(n: number): AuditEntry[] {
    return this.list.slice(n);
  }

  /** Length and last hash, to be kept apart from the log so truncation can be detected. */
  head(): AuditHead {
    return { ...this.headValue };
  }

  verify(): AuditVerification {
    return this.keep ? verifyAuditChain(this.list) : { ok: true, length: this.headValue.length, headHash: this.headValue.hash };
  }
}
