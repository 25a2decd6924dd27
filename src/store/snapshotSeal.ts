// A snapshot file carries its own checksum: the SQLite image, then a 48-byte trailer
//   "PLSNAP01" | image length (uint64, big-endian) | SHA-256 of the image (32 bytes)
// so that a flipped byte anywhere is detected before the file is trusted (SQLite's own checks see
// damaged page structure, not changed values). One file, renamed into place at once: the checksum
// can never belong to another image. Files written before the trailer existed (no trailer, and a
// length that is a whole number of pages) are read without a checksum.
import { createHash } from 'node:crypto';

const magic = Buffer.from('PLSNAP01', 'latin1');
/** Bytes of the checksum trailer at the end of a snapshot file. */
export const trailerBytes = 48;

/** SHA-256 of `bytes`, hashed 4 MiB at a time with `pause()` awaited between (for the main thread). */
export async function sha256(bytes: Uint8Array, pause?: () => Promise<void>): Promise<Buffer> {
  const hash = createHash('sha256');
  const step = 4 * 2 ** 20;
  for (let offset = 0; offset < bytes.length; offset += step) {
    hash.update(bytes.subarray(offset, Math.min(bytes.length, offset + step)));
    if (pause !== undefined && offset + step < bytes.length) await pause();
  }
  return hash.digest();
}

/** The trailer that seals `image`, whose SHA-256 is `digest`. */
export function snapshotTrailer(image: Uint8Array, digest: Buffer): Buffer {
  const trailer = Buffer.alloc(trailerBytes);
  magic.copy(trailer, 0);
  trailer.writeBigUInt64BE(BigInt(image.byteLength), 8);
  digest.copy(trailer, 16);
  return trailer;
}

/** The image of a snapshot file, and the checksum it carries (undefined for a file from before checksums). */
export interface UnsealedSnapshot {
  image: Uint8Array;
  digest: Buffer | undefined;
}

/** The number of bytes a SQLite header says its file holds, when the header's count is valid. */
function headerFileBytes(bytes: Uint8Array): number | undefined {
  if (bytes.length < 100 || Buffer.from(bytes.subarray(0, 16)).toString('latin1') !== 'SQLite format 3\0') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawPageSize = view.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  // The in-header page count is valid when the change counter matches "version-valid-for".
  if (view.getUint32(24) !== view.getUint32(92)) return undefined;
  return pageSize * view.getUint32(28);
}

/**
 * Splits a snapshot file into its image and its checksum; throws saying why when the trailer is
 * there but damaged. Does not check the checksum (see `verifySnapshotChecksum`).
 */
export function unsealSnapshot(bytes: Uint8Array): UnsealedSnapshot {
  const end = bytes.length - trailerBytes;
  if (end >= 0 && Buffer.from(bytes.buffer, bytes.byteOffset + end, 8).equals(magic)) {
    const trailer = Buffer.from(bytes.buffer, bytes.byteOffset + end, trailerBytes);
    const length = trailer.readBigUInt64BE(8);
    if (length !== BigInt(end)) throw new Error(`its checksum trailer says the image is ${length} bytes, the file holds ${end}`);
    return { image: bytes.subarray(0, end), digest: Buffer.from(trailer.subarray(16, 48)) };
  }
  // A file from before checksums is exactly the pages its header counts; a sealed file is 48 bytes
  // more. That length without a readable trailer is a damaged trailer, not an old file.
  if (end > 0 && headerFileBytes(bytes) === end) throw new Error('its checksum trailer is damaged');
  return { image: bytes, digest: undefined };
}

/** True when `bytes` end with this format's trailer magic (whether or not the rest of it is sound). */
export function hasSnapshotTrailer(bytes: Uint8Array): boolean {
  const end = bytes.length - trailerBytes;
  return end >= 0 && Buffer.from(bytes.buffer, bytes.byteOffset + end, 8).equals(magic);
}

/** What a checksum mismatch is reported as: the file was changed after it was written. */
export function checksumMismatch(actual: Buffer | undefined, sealed: Buffer | undefined): string {
  const hex = (digest: Buffer | undefined): string => (digest === undefined ? 'none' : `${digest.toString('hex').slice(0, 16)}…`);
  return `checksum mismatch: the file was changed after it was written (SHA-256 ${hex(actual)}, sealed with ${hex(sealed)})`;
}

/**
 * Checks the image against the checksum it was sealed with; throws on a mismatch. Resolves to
 * whether there was a checksum to check (false for a file from before checksums).
 */
export async function verifySnapshotChecksum(snapshot: UnsealedSnapshot, pause?: () => Promise<void>): Promise<boolean> {
  if (snapshot.digest === undefined) return false;
  const actual = await sha256(snapshot.image, pause);
  if (!actual.equals(snapshot.digest)) {
    throw new Error(checksumMismatch(actual, snapshot.digest));
  }
  return true;
}

/**
 * True when `bytes` end with this format's trailer and do not match it. A header that claims a
 * newer schema version is believed (and the store refused, untouched) unless this says the file
 * was damaged after it was written: a flipped byte in the header must not pass for a newer store.
 */
export async function sealedAndDamaged(bytes: Uint8Array, pause?: () => Promise<void>): Promise<boolean> {
  if (!hasSnapshotTrailer(bytes)) return false;
  try {
    await verifySnapshotChecksum(unsealSnapshot(bytes), pause);
    return false;
  } catch {
    return true;
  }
}
