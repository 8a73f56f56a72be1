import { ForbiddenException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { NotFoundError, ValidationError } from '@baton/contracts';
import { rpcErrorReply } from './rpc-exception.filter';
import type { MessagingLogger } from './messaging.logger';

function recordingLogger(): MessagingLogger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, log: () => undefined, warn: () => undefined, error: (m: unknown) => void errors.push(String(m)) };
}

describe('rpcErrorReply', () => {
  it('keeps the code, message and details of a BatonError and logs nothing', () => {
    const logger = recordingLogger();
    const reply = rpcErrorReply(new ValidationError('bad', { issues: [{ path: 'x', message: 'm' }] }), {}, logger);
    expect(reply).toEqual({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'bad', details: { issues: [{ path: 'x', message: 'm' }] } } });
    expect(rpcErrorReply(new NotFoundError('agent', 'a-1'), {}, logger).error.code).toBe('NOT_FOUND');
    expect(logger.errors).toEqual([]);
  });

  it('turns an unknown error into INTERNAL with a generic message and logs it with the trace id', () => {
    const logger = recordingLogger();
    const reply = rpcErrorReply(new TypeError('secret connection string postgres://x'), { subject: 'baton.cmd.x.y', traceId: 'abc123' }, logger);
    expect(reply).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]).toContain('traceId=abc123');
    expect(logger.errors[0]).toContain('baton.cmd.x.y');
    expect(logger.errors[0]).toContain('secret connection string');
  });

  it('maps Nest exceptions from guards and RpcExceptions carrying a code', () => {
    const logger = recordingLogger();
    expect(rpcErrorReply(new ForbiddenException('not your agent'), {}, logger).error).toEqual({ code: 'FORBIDDEN', message: 'not your agent' });
    expect(rpcErrorReply(new RpcException({ code: 'CONFLICT', message: 'busy' }), {}, logger).error).toEqual({ code: 'CONFLICT', message: 'busy' });
    expect(rpcErrorReply(new RpcException('plain text'), {}, logger).error.code).toBe('INTERNAL');
  });

  it('passes an already-built error reply through unchanged', () => {
    const reply = { ok: false as const, error: { code: 'TIMEOUT' as const, message: 't' } };
    expect(rpcErrorReply(reply, {}, recordingLogger())).toBe(reply);
  });
});
