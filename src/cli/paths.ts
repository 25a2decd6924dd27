// Checks of the files and folders named on the command line, made before any work starts, so that
// an ordinary mistake (a folder where a file is expected, a folder that does not exist) is reported
// naming the option and the path the user gave.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError } from './io';

function codeOf(error: unknown): string | undefined {
  const code: unknown = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A short reason for a file-system error, without the syscall and path Node puts in its message. */
export function fileErrorReason(error: unknown): string {
  switch (codeOf(error)) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** Throws a CliError (exit 1) unless `path` is a readable regular file; `what` names it, e.g. "--input". */
export async function checkInputFile(path: string, what: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (error) {
    throw new CliError(`cannot read ${path} (${what}): ${fileErrorReason(error)}`, 1);
  }
  if (!isFile) throw new CliError(`cannot read ${path} (${what}): it is a folder, not a file`, 1);
}

/**
 * Throws a CliError (exit 1) unless a file can be written at `path`: not a folder, in a folder that
 * exists. `what` names the option, e.g. "--out".
 */
export async function checkOutputFile(path: string, what: string): Promise<void> {
  try {
    if ((await stat(path)).isDirectory()) throw new CliError(`cannot write ${path} (${what}): it is a folder; give the path of a file to write`, 1);
    return;
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (codeOf(error) !== 'ENOENT') throw new CliError(`cannot write ${path} (${what}): ${fileErrorReason(error)}`, 1);
  }
  const folder = dirname(path);
  try {
    if (!(await stat(folder)).isDirectory()) throw new CliError(`cannot write ${path} (${what}): ${folder} is a file, not a folder`, 1);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const reason = codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR' ? `the folder ${folder} does not exist` : fileErrorReason(error);
    throw new CliError(`cannot write ${path} (${what}): ${reason}`, 1);
  }
}
