import { BatonError, type ErrorCode } from '@baton/contracts';

/**
 * Why a file-mode command refused, finer than the error code. Callers branch on `code` (the
 * codes every Baton reply uses) and may read `details.reason` for the particular case.
 */
export type FileModeReason =
  | 'MALFORMED_TASK_FILE'
  | 'NO_TASK_DIRECTORY'
  | 'MISSING_STATE_DIRECTORY'
  | 'NOT_WRITABLE'
  | 'ALREADY_CLAIMED'
  | 'DEPENDENCIES_NOT_DONE'
  | 'WRONG_STATE'
  | 'TASK_NOT_FOUND'
  | 'DUPLICATE_TASK'
  | 'NOT_READY'
  | 'HOOK_EXISTS'
  | 'NOT_A_GIT_REPOSITORY'
  | 'BAD_ARGUMENT'
  | 'NOT_YOURS';

/**
 * A refusal of the file mode: a {@link BatonError} (so the CLI prints `CODE: message` like any
 * other reply) whose details carry the reason and the paths involved. Nothing was changed on disk.
 */
export function fileModeError(code: ErrorCode, reason: FileModeReason, message: string, details: Record<string, unknown> = {}): BatonError {
  return new BatonError(code, message, { reason, ...details });
}

/** The `reason` of a file-mode error, if it is one. */
export function reasonOf(err: unknown): FileModeReason | undefined {
  const details = (err as { details?: unknown } | null)?.details;
  const reason = typeof details === 'object' && details !== null ? (details as { reason?: unknown }).reason : undefined;
  return typeof reason === 'string' ? (reason as FileModeReason) : undefined;
}

/** errno codes that mean "this file system or directory does not let us write". */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'ENOSPC', 'EDQUOT']);

/**
 * Turns a failed file-system call into a coded error: a directory we cannot write (read-only
 * file system, immutable or not a directory) is FORBIDDEN/NOT_WRITABLE; anything else is rethrown.
 */
export function translateFsError(err: unknown, path: string, doing: string): never {
  const errno = (err as { code?: unknown } | null)?.code;
  if (typeof errno === 'string' && NOT_WRITABLE.has(errno)) {
    throw fileModeError('FORBIDDEN', 'NOT_WRITABLE', `cannot ${doing}: ${path} is not writable (${errno}); nothing was changed`, { path, errno });
  }
  throw err;
}
