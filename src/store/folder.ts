// The store's folder, made ready before anything is opened in it: an error names the path the user
// gave and says what is wrong with it.
//
// The folder is created one level at a time rather than with mkdir's `recursive` option: Node's
// recursive mkdir retries for ever (at 100% CPU) under a parent that reports ENOENT for every new
// entry, such as /proc, where a single-level mkdir fails at once.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errorCode, fileSystemReason } from './fileErrors';

/** The store's folder cannot be used: the message says why, naming the path as given. */
export class StoreFolderError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(message);
    this.name = 'StoreFolderError';
  }
}


/** What is at `path`: a folder, something else, nothing, or an error reaching it. */
async function probe(path: string): Promise<'folder' | 'other' | 'missing' | { error: unknown }> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'other';
  } catch (error) {
    const code = errorCode(error);
    // ENOTDIR: a component of the path is a file; reported by the caller with that component.
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : { error };
  }
}

/**
 * Checks that `dir` can hold a store: an existing folder, or (unless `readOnly`) one that can be
 * created, with its missing parents. Throws a {@link StoreFolderError} naming `dir` (and the part
 * of it at fault) otherwise. Read-only, a missing folder is left for the caller to judge.
 */
export async function prepareStoreFolder(dir: string, readOnly: boolean): Promise<void> {
  const found = await probe(dir);
  if (found === 'folder') return;
  if (found === 'other') throw new StoreFolderError(dir, `${dir} is a file, not a folder: a store is a folder (give a folder path)`);
  if (found !== 'missing') throw new StoreFolderError(dir, `cannot use ${dir} as the store's folder: ${fileSystemReason(found.error)}`);
  // Walk up to the nearest ancestor that exists; it must be a folder.
  const missing: string[] = [];
  let path = resolve(dir);
  for (;;) {
    const state = await probe(path);
    if (state === 'folder') break;
    if (state === 'other') throw new StoreFolderError(dir, `cannot use ${dir} as the store's folder: ${path} is a file, not a folder`);
    if (state !== 'missing') throw new StoreFolderError(dir, `cannot use ${dir} as the store's folder: ${path}: ${fileSystemReason(state.error)}`);
    missing.push(path);
    const parent = dirname(path);
    if (parent === path) break;
    path = parent;
  }
  if (readOnly) return;
  for (const folder of missing.reverse()) {
    try {
      await mkdir(folder);
    } catch (error) {
      // Another process may have made it meanwhile.
      if (errorCode(error) === 'EEXIST' && (await probe(folder)) === 'folder') continue;
      const reason = errorCode(error) === 'ENOENT' ? `${dirname(folder)} does not accept new folders` : fileSystemReason(error);
      throw new StoreFolderError(dir, `cannot create the store's folder ${dir}: ${reason}`);
    }
  }
}
