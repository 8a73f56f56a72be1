import { Catch, HttpException, Logger, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { BatonError, errorCodeOf, isErrorReply, toErrorReply, type ErrorCode, type ErrorReply } from '@baton/contracts';
import { traceIdOf } from './trace-context';
import type { MessagingLogger } from './messaging.logger';

/** Where an error happened, for the log line of an INTERNAL error. */
export interface RpcErrorScope {
  readonly subject?: string;
  readonly traceId?: string;
}

const HTTP_STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'FORBIDDEN',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  503: 'UNAVAILABLE',
  504: 'TIMEOUT',
};

function fromNestException(err: unknown): BatonError | undefined {
  if (err instanceof RpcException) {
    const inner = err.getError();
    const code = errorCodeOf(inner);
    if (code && typeof inner === 'object' && inner !== null && typeof (inner as { message?: unknown }).message === 'string') {
      return new BatonError(code, (inner as { message: string }).message, (inner as { details?: unknown }).details);
    }
    return undefined;
  }
  if (err instanceof HttpException) {
    const code = HTTP_STATUS_CODES[err.getStatus()];
    return code ? new BatonError(code, err.message) : undefined;
  }
  return undefined;
}

/**
 * The one translation of errors into replies (STYLE.md §9): a BatonError, or anything
 * carrying a known `code`, keeps its code, message and details; Nest's `RpcException`
 * (wrapping a coded object) and common `HttpException`s (guards) are mapped; everything
 * else becomes `INTERNAL` with a generic message and is logged with the trace id, never
 * sent to the caller.
 */
export function rpcErrorReply(err: unknown, scope: RpcErrorScope, logger: MessagingLogger): ErrorReply {
  if (isErrorReply(err)) return err;
  const reply = toErrorReply(fromNestException(err) ?? err);
  if (reply.error.code === 'INTERNAL') {
    const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
    logger.error(
      `internal error handling ${scope.subject ?? '(unknown subject)'} [traceId=${scope.traceId ?? 'none'}]: ${stack}`,
    );
    if (!(err instanceof BatonError)) return { ok: false, error: { code: 'INTERNAL', message: 'internal error' } };
    return { ok: false, error: { code: 'INTERNAL', message: err.message } };
  }
  return reply;
}

interface RpcContextLike {
  getSubject?: () => string;
  getTraceId?: () => string | undefined;
}

/**
 * Nest exception filter for every Baton command and query handler (applied by
 * `@CommandHandler`/`@QueryHandler`; also safe as a global filter). It replaces Nest's
 * stock RPC filter, which answers non-`RpcException` errors with a generic message and
 * no code. The error reply travels as the stream's error, which {@link BatonRpcTransport}
 * sends as `{ok: false, error: {code, message, details}}`.
 */
@Catch()
export class BatonRpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger: MessagingLogger = new Logger('BatonRpc');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const ctx = host.switchToRpc().getContext<RpcContextLike | undefined>();
    const scope: RpcErrorScope = {
      subject: typeof ctx?.getSubject === 'function' ? ctx.getSubject() : undefined,
      traceId: (typeof ctx?.getTraceId === 'function' ? ctx.getTraceId() : undefined) ?? traceIdOf(),
    };
    const reply = rpcErrorReply(exception, scope, this.logger);
    return throwError(() => reply);
  }
}
