// Reading a snapshot file when the store opens: once, in chunks, hashing each chunk while the next
// one is read (no second pass over hundreds of megabytes), into memory that the store's worker can
// see without a copy (a SharedArrayBuffer), so that SQLite's quick_check runs there on the same bytes
// while the main thread copies them into its live database (recovery.ts).
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { checksumMismatch, hasSnapshotTrailer, trailerBytes, unsealSnapshot } from './snapshotSeal';
import type { UnsealedSnapshot } from './snapshotSeal';

/** A snapshot file read and hashed. */
export interface SnapshotRead {
  /** The whole file (in shared memory when asked for). */
  file: Uint8Array;
  /** The file ends with a checksum trailer (whether or not it verifies). */
  sealed: boolean;
  /** The image and its checksum, when the trailer (if any) is readable and the checksum matches. */
  snapshot?: UnsealedSnapshot;
  /** Why the file cannot be trusted (a damaged trailer, a checksum mismatch); undefined when it verifies. */
  damage?: string;
}

/** True when SharedArrayBuffer exists here (Node always has it; kept for hosts that might not). */
export const sharedMemoryAvailable = typeof SharedArrayBuffer === 'function';

/** True when `bytes` live in shared memory (a worker can read them without a copy). */
export function inSharedMemory(bytes: Uint8Array): boolean {
  return sharedMemoryAvailable && bytes.buffer instanceof SharedArrayBuffer;
}

async function readFully(handle: FileHandle, into: Uint8Array, position: number, length: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(into, position + done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`the file ended at ${position + done} bytes while it was read, ${into.length} expected (it changed meanwhile)`);
    done += bytesRead;
  }
}

/**
 * Reads the snapshot file at `path` and checks it against its checksum trailer as it goes:
 * `chunkBytes` at a time, the next chunk read while the current one is hashed, `pause()` awaited
 * after each. Undefined when there is no such file. A file from before checksums (no trailer) is
 * read without a check.
 */
export async function readSnapshotChecked(path: string, { shared = false, pause, chunkBytes = 8 * 2 ** 20 }: { shared?: boolean; pause?: () => Promise<void>; chunkBytes?: number } = {}): Promise<SnapshotRead | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    // Not zero-filled by hand: every byte is read over (a SharedArrayBuffer's pages are mapped lazily).
    // A Buffer either way: sql.js takes a database's bytes with `slice()`, which copies a plain
    // typed array (hundreds of milliseconds at this size) and not a Buffer.
    const file = shared && sharedMemoryAvailable ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafeSlow(size);
    // The trailer first: it says how much of the file the checksum covers.
    let sealed = false;
    if (size >= trailerBytes) {
      await readFully(handle, file, size - trailerBytes, trailerBytes);
      sealed = hasSnapshotTrailer(file);
    }
    const end = sealed ? size - trailerBytes : size;
    const hash = sealed ? createHash('sha256') : undefined;
    const readChunk = (offset: number): Promise<void> | undefined => {
      if (offset >= end) return undefined;
      const reading = readFully(handle, file, offset, Math.min(chunkBytes, end - offset));
      reading.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      return reading;
    };
    let reading = readChunk(0);
    for (let offset = 0; offset < end; offset += chunkBytes) {
      await reading;
      reading = readChunk(offset + chunkBytes);
      hash?.update(file.subarray(offset, Math.min(end, offset + chunkBytes)));
      await pause?.();
    }
    let snapshot: UnsealedSnapshot;
    try {
      snapshot = unsealSnapshot(file);
    } catch (error) {
      return { file, sealed, damage: error instanceof Error ? error.message : String(error) };
    }
    if (!sealed) return { file, sealed, snapshot };
    const actual = hash?.digest();
    if (actual === undefined || snapshot.digest === undefined || !actual.equals(snapshot.digest)) {
      return { file, sealed, damage: checksumMismatch(actual, snapshot.digest) };
    }
    return { file, sealed, snapshot };
  } finally {
    await handle.close();
  }
}
