// The store's folder, made ready before anything is opened in it: an error names the path the user
// gave and says what is wrong with it.
//
// The folder is created one level at a time rather than with mkdir's `recursive` option: Node's
// recursive mkdir retries for ever (at 100% CPU) under a parent that reports ENOENT for every new
// entry, such as /proc, where a single-level mkdir fails at once.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

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

function codeOf(error: unknown): string | undefined {
  const code: unknown = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function reasonOf(error: unknown): string {
  switch (codeOf(error)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'ELOOP':
      return 'the path has a loop of symbolic links';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** What is at `path`: a folder, something else, nothing, or an error reaching it. */
async function probe(path: string): Promise<'folder' | 'other' | 'missing' | { error: unknown }> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'other';
  } catch (error) {
    const code = codeOf(error);
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
  if (found !== 'missing') throw new StoreFolderError(dir, `cannot use ${dir} as the store's folder: ${reasonOf(found.error)}`);
  // Walk up to the nearest ancestor that exists; it must be a folder.
  const missing: string[] = [];
  let path = resolve(dir);
  for (;;) {
    const state = await probe(path);
    if (state === 'folder') break;
    if (state === 'other') throw new StoreFolderError(dir, `cannot use ${dir} as the store's folder: ${path} is a file, not a folder`);
    if (state !== 'missing') throw new StoreFolderError(dir, `cannot use ${dir} as the store's folder: ${path}: ${reasonOf(state.error)}`);
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
      if (codeOf(error) === 'EEXIST' && (await probe(folder)) === 'folder') continue;
      const reason = codeOf(error) === 'ENOENT' ? `${dirname(folder)} does not accept new folders` : reasonOf(error);
      throw new StoreFolderError(dir, `cannot create the store's folder ${dir}: ${reason}`);
    }
  }
}
