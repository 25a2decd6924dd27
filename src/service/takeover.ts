/**
 * Who holds a store's lock, as a process about to connect sees it, and the claim that lets exactly
 * one process take over a lock whose holder died.
 *
 * The store's lock takes over a stale lock by renaming its own over it and reading it back
 * (src/store/lock.ts), which leaves a window in which two processes that found the same stale lock
 * both succeed. When the serving process is killed, every client finds the stale lock at the same
 * instant, so here the takeover is made exclusive first: a process may open the store over a stale
 * lock only while it holds the claim for that lock, a file `takeover-<key>` in the private socket
 * folder created with link(2), which fails if the file exists. Its key is the stale lock's secret
 * (or a hash of the lock's text when that does not parse). A claim whose holder died in turn is
 * claimed by its own key, so a crash during a takeover never blocks the next. Having won, the
 * process reads the lock again and goes on only if it is still the stale lock claimed; the store's
 * own check (a live holder is refused) covers the rest. Winners remove their claims once they hold
 * the lock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { lockFileName, type LockHolder } from '../store/lock';

/** The store's lock as found: none, held by a live process here or on another host, or stale. */
export type LockState =
  | { kind: 'free' }
  | { kind: 'live'; holder: LockHolder }
  | { kind: 'foreign'; holder: LockHolder }
  | { kind: 'stale'; key: string; holder: LockHolder | undefined };

/** True when a process with this pid runs (on this host). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.since === 'number' && typeof value.token === 'string') {
      return { pid: value.pid, host: value.host, since: value.since, token: value.token, ...(typeof value.secret === 'string' ? { secret: value.secret } : {}) };
    }
  } catch {
    // Cut short by a crash while written: stale.
  }
  return undefined;
}

/** Reads the lock of the store in `dir`. */
export async function readLockState(dir: string): Promise<LockState> {
  let text: string;
  try {
    text = await readFile(join(dir, lockFileName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'free' };
    throw error;
  }
  const holder = parseHolder(text);
  if (holder === undefined) return { kind: 'stale', key: `text-${createHash('sha256').update(text).digest('hex').slice(0, 32)}`, holder };
  if (holder.host !== hostname()) return { kind: 'foreign', holder };
  // This process's own pid: a store it holds (another connection of it serves), or a copied file,
  // which the store's lock tells apart.
  if (holder.pid === process.pid || isAlive(holder.pid)) return { kind: 'live', holder };
  return { kind: 'stale', key: claimKeyOf(holder), holder };
}

function claimKeyOf(holder: LockHolder): string {
  return `lock-${createHash('sha256').update(holder.secret ?? holder.token).digest('hex').slice(0, 32)}`;
}

/** A won claim: release it once the lock is held (or the takeover was abandoned). */
export interface Claim {
  release(): Promise<void>;
}

interface ClaimRecord {
  pid: number;
  host: string;
  token: string;
}

/**
 * Claims the takeover of the stale lock whose key is `key`: resolves to the claim when this process
 * won it, or undefined when a live process holds it (it is taking over; connect to it when it
 * serves).
 */
export async function claimTakeover(folder: string, key: string, depth = 0): Promise<Claim | undefined> {
  if (depth > 16) return undefined;
  const path = join(folder, `takeover-${key}`);
  const mine: ClaimRecord = { pid: process.pid, host: hostname(), token: randomBytes(16).toString('hex') };
  const temp = join(folder, `claim-${mine.token}.tmp`);
  await writeFile(temp, JSON.stringify(mine), { mode: 0o600 });
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const other = await readClaim(path);
    // Gone meanwhile (its winner released it): the caller reads the lock again.
    if (other === 'missing') return undefined;
    if (other !== undefined && (other.host !== mine.host || isAlive(other.pid))) return undefined;
    // Its holder died while taking over: claim the claim.
    const next = await claimTakeover(folder, `claim-${other?.token ?? 'unreadable'}`, depth + 1);
    if (next === undefined) return undefined;
    return {
      async release() {
        await unlink(path).catch(() => undefined);
        await next.release();
      },
    };
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return {
    async release() {
      await unlink(path).catch(() => undefined);
    },
  };
}

async function readClaim(path: string): Promise<ClaimRecord | undefined | 'missing'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<ClaimRecord>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string') return { pid: value.pid, host: value.host, token: value.token };
  } catch {
    // Written whole before it was linked, so only a damaged disk leaves it unreadable: claimable.
  }
  return undefined;
}

/** Removes claims left by processes that died while taking over (called by the process that now serves). */
export async function sweepClaims(folder: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const linked = name.startsWith('takeover-');
    if (!linked && !(name.startsWith('claim-') && name.endsWith('.tmp'))) continue;
    const path = join(folder, name);
    const claim = await readClaim(path);
    if (claim === 'missing') continue;
    // A temporary file may be read while it is being written: only a dead writer's goes.
    const dead = claim === undefined ? linked : claim.host === hostname() && !isAlive(claim.pid);
    if (dead) await unlink(path).catch(() => undefined);
  }
}
