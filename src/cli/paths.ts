// Checks of the files and folders named on the command line, made before any work starts, so that
// an ordinary mistake (a folder where a file is expected, a folder that does not exist) is reported
// naming the option and the path the user gave.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorCode, fileSystemReason } from '../store/fileErrors';
import { CliError } from './io';

/** A short reason for a file-system error, without the syscall and path Node puts in its message. */
export function fileErrorReason(error: unknown): string {
  switch (errorCode(error)) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a folder, not a file';
    default:
      return fileSystemReason(error);
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
    if (errorCode(error) !== 'ENOENT') throw new CliError(`cannot write ${path} (${what}): ${fileErrorReason(error)}`, 1);
  }
  const folder = dirname(path);
  try {
    if (!(await stat(folder)).isDirectory()) throw new CliError(`cannot write ${path} (${what}): ${folder} is a file, not a folder`, 1);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const reason = errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR' ? `the folder ${folder} does not exist` : fileErrorReason(error);
    throw new CliError(`cannot write ${path} (${what}): ${reason}`, 1);
  }
}
