import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Writable } from 'node:stream';
import { EnvError } from './env';
import { activeTraceFields, createLogger } from './logger';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('writes JSON lines with service, level label and ISO time', () => {
    const out = capture();
    createLogger({ service: 'scheduler', destination: out.stream, env: {} }).info({ port: 1 }, 'listening');
    const [line] = out.lines();
    expect(line).toMatchObject({ service: 'scheduler', level: 'info', msg: 'listening', port: 1 });
    expect(typeof line?.time).toBe('string');
    expect(Number.isNaN(Date.parse(String(line?.time)))).toBe(false);
    expect(line).not.toHaveProperty('trace_id');
  });

  it('takes the level from LOG_LEVEL and rejects unknown levels', () => {
    const out = capture();
    const logger = createLogger({ service: 's', destination: out.stream, env: { LOG_LEVEL: 'WARN' } });
    logger.info('dropped');
    logger.warn('kept');
    expect(out.lines().map((l) => l.msg)).toEqual(['kept']);
    expect(() => createLogger({ service: 's', env: { LOG_LEVEL: 'loud' } })).toThrow(EnvError);
    expect(() => createLogger({ service: 's', env: { LOG_LEVEL: 'loud' } })).toThrow(
      'LOG_LEVEL is invalid: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
  });

  it('adds the trace id of the active span', () => {
    const out = capture();
    const logger = createLogger({ service: 's', destination: out.stream, env: {} });
    const spanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    };
    context.with(trace.setSpanContext(context.active(), spanContext), () => {
      logger.info('inside');
      expect(activeTraceFields()).toEqual({ trace_id: spanContext.traceId, span_id: spanContext.spanId, trace_flags: '01' });
    });
    logger.info('outside');
    const [inside, outside] = out.lines();
    expect(inside).toMatchObject({ trace_id: spanContext.traceId, span_id: spanContext.spanId, trace_flags: '01' });
    expect(outside).not.toHaveProperty('trace_id');
  });

  it('ignores an invalid span context', () => {
    const invalid = { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: TraceFlags.NONE };
    context.with(trace.setSpanContext(context.active(), invalid), () => {
      expect(activeTraceFields()).toEqual({});
    });
  });
});
