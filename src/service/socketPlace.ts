/**
 * Where the serving process listens: a Unix socket in a folder only the same OS user can enter
 * (0700, owned by the user, not a symbolic link), `<store>/service/optimizer.sock`. A Unix socket's
 * path is limited to about 104 bytes, so for a store folder whose path is longer the socket goes to
 * `<tmpdir>/paramloop-<uid>/<hash of the store's real path>.sock`, under the same checks. On Windows
 * it is a named pipe named after the hash (pipes live in no folder; the lock's secret is what
 * keeps other users out there). The folder also holds the claims of takeover.ts.
 */
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The socket's folder and path for a store folder. */
export interface SocketPlace {
  /** The private folder (on Windows, the private folder for claims only). */
  folder: string;
  /** The socket's path, or the pipe's name on Windows. */
  path: string;
}

/** Longest Unix socket path used (sun_path is 104 bytes on macOS, 108 on Linux, with its NUL). */
const maxSocketPathBytes = 103;

/** The socket folder's name inside the store folder. */
export const serviceFolderName = 'service';

/** Where the service of the store in `dir` (which must exist) listens. */
export async function socketPlace(dir: string): Promise<SocketPlace> {
  const real = await realpath(dir);
  const folder = join(real, serviceFolderName);
  const hash = createHash('sha256').update(process.platform === 'win32' ? real.toLowerCase() : real).digest('hex').slice(0, 32);
  if (process.platform === 'win32') return { folder, path: `\\\\.\\pipe\\paramloop-${hash}` };
  const beside = join(folder, 'optimizer.sock');
  if (Buffer.byteLength(beside) <= maxSocketPathBytes) return { folder, path: beside };
  const uid = process.getuid?.() ?? 0;
  const short = join(tmpdir(), `paramloop-${uid}`);
  return { folder: short, path: join(short, `${hash.slice(0, 24)}.sock`) };
}

/** The socket's folder is not private to this user (the message says why); nothing is sent through it. */
export class SocketFolderError extends Error {
  constructor(
    readonly folder: string,
    reason: string,
  ) {
    super(`The optimizer service's socket folder ${folder} ${reason}; remove it (it holds nothing but the socket) and try again.`);
    this.name = 'SocketFolderError';
  }
}

/**
 * Creates `folder` (0700) or checks the one there: a real folder, owned by this user, that no one
 * else can enter (a folder of ours with wider permissions is narrowed). Throws SocketFolderError.
 */
export async function ensurePrivateFolder(folder: string): Promise<void> {
  try {
    await mkdir(folder, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (process.platform === 'win32') return;
  const found = await lstat(folder);
  if (found.isSymbolicLink()) throw new SocketFolderError(folder, 'is a symbolic link, not a folder');
  if (!found.isDirectory()) throw new SocketFolderError(folder, 'is not a folder');
  const uid = process.getuid?.();
  if (uid !== undefined && found.uid !== uid) throw new SocketFolderError(folder, `belongs to user ${found.uid}, not to this user (${uid})`);
  if ((found.mode & 0o077) !== 0) await chmod(folder, 0o700);
}
