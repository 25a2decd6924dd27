// Node's file-system errors in a user's words: the code, and a short reason without the syscall and
// path Node puts in its message (the caller names the path as the user gave it).

/** The error's `code` (ENOENT, EACCES…), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code: unknown = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A short reason for a file-system error that does not depend on what was being done. */
export function fileSystemReason(error: unknown): string {
  switch (errorCode(error)) {
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
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
