// One writer per store folder. Two writers would interleave their journal segments and overwrite
// each other's snapshots, so opening for writing takes `store.lock` (created exclusively, holding
// the owner's pid, host and start time) and closing removes it.
//
// A lock left by a process that no longer runs (killed, crashed) is stale: the next open takes it
// over, which is safe because the journal holds everything that process acknowledged. A lock held
// by a live process on this host, or by another store of this very process, is refused with a
// StoreLockedError naming the holder. A lock written on another host cannot be checked and is
// refused too (the message says how to clear it). A lock file carrying this process's pid whose
// folder this process does not hold was copied from elsewhere (a backup, a crash image): stale.
//
// Limit: two processes that find the same stale lock at the same instant could both take it over;
// each open renames its own lock into place and re-reads it, which narrows but does not close that
// window. Read-only opens take no lock.
//
// The lock also carries a random secret, readable by its owner only (the file is created 0600): the
// process that holds the lock serves the optimizer to the user's other processes over a local
// socket (src/service/connect.ts), and a client proves it runs as the same user by presenting it.
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { open, readFile, realpath, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const lockFileName = 'store.lock';

/** Who holds (or held) a store's lock. */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the holder opened the store (ms since the epoch). */
  since: number;
  /** Distinguishes two opens by the same process. */
  token: string;
  /** 32 random bytes (base64url) a client of the serving process presents; absent in older locks. */
  secret?: string;
}

export class StoreLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
    reason: string,
  ) {
    super(`The store in ${dir} is in use: ${reason}. Close the other window or process first; nothing was changed.`);
    this.name = 'StoreLockedError';
  }
}

/** Folders (real paths) whose lock this process holds. */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.since === 'number' && typeof value.token === 'string') {
      return value as LockHolder;
    }
  } catch {
    // A lock cut short by a crash while it was written: stale.
  }
  return undefined;
}

async function writeLockFile(path: string, holder: LockHolder, flags: 'wx' | 'w'): Promise<void> {
  // Owner-only: the secret in it is what a client of the serving process presents.
  const handle = await open(path, flags, 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(holder)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A held lock. */
export interface StoreLock {
  /** What this open wrote into the lock file (with its secret). */
  readonly holder: LockHolder;
  /** The lock this one replaced, left by a process that ended without closing the store. */
  readonly staleHolder: LockHolder | undefined;
  release(): Promise<void>;
}

/** Takes the lock of the store folder `dir` (which must exist), or throws StoreLockedError. */
export async function acquireLock(dir: string, now: () => number = Date.now): Promise<StoreLock> {
  const key = await realpath(dir);
  const path = join(dir, lockFileName);
  const mine: LockHolder = { pid: process.pid, host: hostname(), since: now(), token: randomUUID(), secret: randomBytes(32).toString('base64url') };
  if (heldHere.has(key)) {
    throw new StoreLockedError(dir, mine, 'another store of this process has it open');
  }
  let staleHolder: LockHolder | undefined;
  try {
    await writeLockFile(path, mine, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const text = await readFile(path, 'utf8').catch(() => '');
    const holder = parseHolder(text);
    if (holder !== undefined && holder.host !== mine.host) {
      throw new StoreLockedError(dir, holder, `${path} says process ${holder.pid} on host ${holder.host} has it open (if that host no longer runs Paramloop on this folder, delete ${path})`);
    }
    if (holder !== undefined && holder.pid !== process.pid && isAlive(holder.pid)) {
      throw new StoreLockedError(dir, holder, `process ${holder.pid} has had it open since ${new Date(holder.since).toISOString()}`);
    }
    staleHolder = holder ?? { pid: 0, host: mine.host, since: 0, token: '' };
    // Replace the stale lock atomically, then check that ours is the one in place.
    const temp = `${path}.${mine.token}`;
    await writeLockFile(temp, mine, 'w');
    await rename(temp, path);
    const check = parseHolder(await readFile(path, 'utf8'));
    if (check?.token !== mine.token) {
      throw new StoreLockedError(dir, check ?? mine, 'another process took over its stale lock at the same moment');
    }
  }
  heldHere.add(key);
  let released = false;
  return {
    holder: mine,
    staleHolder,
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(key);
      const current = parseHolder(await readFile(path, 'utf8').catch(() => ''));
      if (current?.token === mine.token) await unlink(path).catch(() => undefined);
    },
  };
}
