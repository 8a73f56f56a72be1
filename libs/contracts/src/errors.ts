/**
 * The stable error codes Baton replies with. Callers branch on `code`, never on
 * message text or `instanceof` (a code survives process hops and duplicate module copies).
 */
export const ErrorCodes = [
  'VALIDATION_FAILED',
  'INVALID_JSON',
  'PAYLOAD_TOO_LARGE',
  'UNKNOWN_SCHEMA_VERSION',
  'UNKNOWN_MESSAGE',
  'WRONG_EXPECTED_VERSION',
  'DUPLICATE',
  'IDEMPOTENCY_CONFLICT',
  'NOT_FOUND',
  'CONFLICT',
  'STALE_LEASE',
  'ILLEGAL_TRANSITION',
  'FORBIDDEN',
  'TIMEOUT',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

/** The error half of every reply on the wire: `{ ok: false, error: { code, message, details } }`. */
export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: unknown;
}

export interface ErrorReply {
  readonly ok: false;
  readonly error: ErrorBody;
}

export interface OkReply<T> {
  readonly ok: true;
  readonly data: T;
}

/** Every command and query reply: `{ ok: true, data }` or `{ ok: false, error }`. */
export type Reply<T> = OkReply<T> | ErrorReply;

/**
 * Base of Baton's error family. Each subclass fixes a literal `code` and says whether
 * retrying the same request can help.
 */
export class BatonError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // Every subclass is named after itself: logs and `toMatchObject({ name })` see the class.
    this.name = new.target.name;
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export class ValidationError extends BatonError {
  constructor(message: string, details?: unknown) {
    super('VALIDATION_FAILED', message, details);
  }
}

export class WrongExpectedVersionError extends BatonError {
  constructor(
    readonly streamId: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'WRONG_EXPECTED_VERSION',
      `stream ${streamId}: expected revision ${expected} but the stream is at ${actual}`,
      { streamId, expected, actual },
      true,
    );
  }
}

export class NotFoundError extends BatonError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} was not found`, { what, id });
  }
}

export class ConflictError extends BatonError {
  constructor(message: string, details?: unknown) {
    super('CONFLICT', message, details, true);
  }
}

export class StaleLeaseError extends BatonError {
  constructor(message: string, details?: unknown) {
    super('STALE_LEASE', message, details);
  }
}

export class IllegalTransitionError extends BatonError {
  constructor(message: string, details?: unknown) {
    super('ILLEGAL_TRANSITION', message, details);
  }
}

export class UnavailableError extends BatonError {
  constructor(message: string, details?: unknown, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, details, true, options);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ErrorCodes as readonly string[]).includes(value);
}

/** Reads a code off anything thrown: a BatonError, or any object carrying a known `code`. */
export function errorCodeOf(err: unknown): ErrorCode | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (isErrorCode(code)) return code;
  }
  return undefined;
}

/** Builds the wire form of an error. Unknown errors become INTERNAL with no leaked detail. */
export function toErrorReply(err: unknown): ErrorReply {
  if (err instanceof BatonError) return { ok: false, error: err.toBody() };
  const code = errorCodeOf(err);
  if (code && code !== 'INTERNAL' && typeof (err as { message?: unknown }).message === 'string') {
    const e = err as { message: string; details?: unknown };
    return { ok: false, error: e.details === undefined ? { code, message: e.message } : { code, message: e.message, details: e.details } };
  }
  return { ok: false, error: { code: 'INTERNAL', message: 'internal error' } };
}

export function isErrorReply(value: unknown): value is ErrorReply {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { ok?: unknown }).ok === false &&
    typeof (value as { error?: { code?: unknown } }).error?.code === 'string'
  );
}

/** Turns a reply received over the wire back into a BatonError, so callers can throw it. */
export function fromErrorBody(body: ErrorBody): BatonError {
  return new BatonError(isErrorCode(body.code) ? body.code : 'INTERNAL', body.message, body.details);
}
