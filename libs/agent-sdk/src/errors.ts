import { BatonError, isErrorCode, type ErrorBody, type ErrorCode } from '@baton/contracts';

/** Codes for which sending the same command again (same command id) may succeed. */
const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['WRONG_EXPECTED_VERSION', 'TIMEOUT', 'UNAVAILABLE', 'INTERNAL']);

/** Whether retrying a command that failed with `code` (same command id) can help. */
export function isRetryableCode(code: ErrorCode): boolean {
  return RETRYABLE_CODES.has(code);
}

/**
 * The error half of a reply, as a {@link BatonError} carrying the service's code, message and
 * details, and whether a retry may help. Unknown codes become INTERNAL.
 */
export function errorFromBody(subject: string, body: ErrorBody): BatonError {
  const code: ErrorCode = isErrorCode(body.code) ? body.code : 'INTERNAL';
  return new BatonError(code, `${subject}: ${body.message}`, body.details, isRetryableCode(code));
}

function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err, i = 0; e !== undefined && e !== null && i < 5; e = (e as { cause?: unknown }).cause, i++) out.push(e);
  return out;
}

/**
 * A failure of the NATS request itself (no reply), as a BatonError: no responders → UNAVAILABLE,
 * no answer in time → TIMEOUT (both retryable), a closed connection → UNAVAILABLE (not
 * retryable: this client will not reconnect), anything else → INTERNAL.
 */
export function transportError(subject: string, err: unknown): BatonError {
  for (const e of chain(err)) {
    const name = (e as { name?: unknown }).name;
    const message = String((e as { message?: unknown }).message ?? '');
    if (name === 'PermissionViolationError' || /permissions violation/i.test(message)) {
      return new BatonError('FORBIDDEN', `${subject}: the NATS server does not let these credentials use it: ${message}`, undefined, false, { cause: err });
    }
    if (name === 'NoRespondersError' || /no responders|503/i.test(message)) {
      return new BatonError('UNAVAILABLE', `${subject}: no service is listening`, undefined, true, { cause: err });
    }
    if (name === 'TimeoutError' || /timeout/i.test(message)) {
      return new BatonError('TIMEOUT', `${subject}: no reply in time`, undefined, true, { cause: err });
    }
    if (name === 'ClosedConnectionError' || name === 'DrainingConnectionError' || /connection (is )?(closed|draining)/i.test(message)) {
      return new BatonError('UNAVAILABLE', `${subject}: the NATS connection is closed`, undefined, false, { cause: err });
    }
  }
  return new BatonError('INTERNAL', `${subject}: request failed: ${(err as Error)?.message ?? String(err)}`, undefined, false, { cause: err });
}

/**
 * Throw this from an `onTask` handler to fail the task with a code of your own and to say whether
 * another attempt may help (the scheduler retries retryable failures up to the task's
 * `maxAttempts`, with back-off). Any other thrown error fails the task as not retryable, unless
 * it carries `retryable: true`.
 *
 * @example
 * throw new TaskFailure('the test database is down', { code: 'DB_DOWN', retryable: true });
 */
export class TaskFailure extends Error {
  readonly code: string | undefined;
  readonly retryable: boolean;

  constructor(message: string, options: { code?: string; retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TaskFailure';
    this.code = options.code;
    this.retryable = options.retryable ?? false;
  }
}

/** What a `fail-task` report says about an error thrown by a handler. */
export interface FailureReport {
  readonly error: { readonly message: string; readonly code?: string };
  readonly retryable: boolean;
}

const MAX_MESSAGE = 4000;
const MAX_CODE = 100;

/**
 * Turns anything a handler threw into the `fail-task` data: its message (cut to the schema's
 * 4000 characters), its string `code` if any, and its boolean `retryable` (default false).
 */
export function failureOf(err: unknown): FailureReport {
  const message = (err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err) ?? String(err)).trim() || 'task failed';
  const rawCode = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const retryable = typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
  const code = typeof rawCode === 'string' && rawCode.length > 0 ? rawCode.slice(0, MAX_CODE) : undefined;
  return { error: { message: message.slice(0, MAX_MESSAGE), ...(code !== undefined ? { code } : {}) }, retryable };
}
