import { errorCodeOf, type ErrorCode, type GatewayErrorCode, type ProblemDetails } from '@baton/contracts';

/** The media type of every error the gateway answers (RFC 9457). */
export const PROBLEM_JSON = 'application/problem+json';

/** HTTP status of each Baton error code at the gateway. */
const STATUS: Readonly<Record<GatewayErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNKNOWN_SCHEMA_VERSION: 400,
  UNKNOWN_MESSAGE: 404,
  PAYLOAD_TOO_LARGE: 413,
  WRONG_EXPECTED_VERSION: 409,
  DUPLICATE: 409,
  IDEMPOTENCY_CONFLICT: 409,
  NOT_FOUND: 404,
  CONFLICT: 409,
  STALE_LEASE: 409,
  ILLEGAL_TRANSITION: 409,
  FORBIDDEN: 403,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  SERVICE_UNAVAILABLE: 503,
};

const TITLE: Readonly<Partial<Record<GatewayErrorCode, string>>> = {
  UNAUTHENTICATED: 'Authentication required',
  FORBIDDEN: 'Forbidden',
  RATE_LIMITED: 'Too many requests',
  QUOTA_EXCEEDED: 'Too many active runs',
  SERVICE_UNAVAILABLE: 'Service unavailable',
  NOT_FOUND: 'Not found',
  PAYLOAD_TOO_LARGE: 'Request body too large',
};

/** An error raised at the HTTP edge, with a code Baton's services do not have (401, 429, …) or extra headers. */
export class GatewayError extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** The status of a code. */
export function statusOf(code: GatewayErrorCode): number {
  return STATUS[code];
}

/**
 * Any error as problem details: a GatewayError or a BatonError (from a service reply) keeps its
 * code, message and details; anything else is INTERNAL with no detail leaked.
 */
export function problemOf(err: unknown, instance: string): { problem: ProblemDetails; headers: Readonly<Record<string, string>> } {
  const gatewayCode = err instanceof GatewayError ? err.code : (errorCodeOf(err) as ErrorCode | undefined);
  const code: GatewayErrorCode = gatewayCode ?? 'INTERNAL';
  const known = gatewayCode !== undefined && code !== 'INTERNAL';
  const detail = known ? String((err as Error).message) : 'internal error';
  const details = known ? (err as { details?: unknown }).details : undefined;
  return { problem: problemDetails(code, detail, instance, details), headers: err instanceof GatewayError ? err.headers : {} };
}

/** The problem details of a code, for an answer written without an error object (rate-gate.ts). */
export function problemDetails(code: GatewayErrorCode, detail: string, instance: string, details?: unknown): ProblemDetails {
  return {
    type: `urn:baton:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLE[code] ?? code.toLowerCase().replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
    status: STATUS[code],
    detail,
    instance,
    code,
    ...(details === undefined ? {} : { details }),
  };
}
