import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, createTraceState } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { contextOfTraceHeaders, inSpan, recordingSpan, traceHeadersOf, traceIdOfHeaders, tracingEnabled } from './spans';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('stored trace headers', () => {
  it('round-trip a span context through traceparent/tracestate', () => {
    const ctx = contextOfTraceHeaders({ traceparent, tracestate: 'vendor=abc' });
    const sc = trace.getSpanContext(ctx);
    expect(sc).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(traceHeadersOf(sc)).toEqual({ traceparent, tracestate: 'vendor=abc' });
  });

  it('write an unsampled span as flags 00 and leave tracestate out when there is none', () => {
    const sc = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE, traceState: createTraceState('') };
    expect(traceHeadersOf(sc)).toEqual({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' });
  });

  it('give nothing for an invalid context, and the base for a missing or malformed traceparent', () => {
    expect(traceHeadersOf(undefined)).toBeUndefined();
    expect(traceHeadersOf(trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }).spanContext())).toBeUndefined();
    expect(contextOfTraceHeaders(undefined)).toBe(ROOT_CONTEXT);
    expect(trace.getSpanContext(contextOfTraceHeaders({ traceparent: 'not-a-trace' }))).toBeUndefined();
  });

  it('name the trace id of a stored traceparent without parsing it', () => {
    expect(traceIdOfHeaders({ traceparent })).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOfHeaders({})).toBeUndefined();
    expect(traceIdOfHeaders({ traceparent: 'short' })).toBeUndefined();
  });
});

describe('inSpan with tracing off (the API no-op tracer)', () => {
  it('runs the function with a non-recording span and builds no attributes', async () => {
    expect(tracingEnabled()).toBe(false);
    const attributes = jest.fn(() => ({ a: 1 }));
    const result = await inSpan('work', { kind: SpanKind.SERVER, attributes }, (span) => {
      expect(span.isRecording()).toBe(false);
      expect(recordingSpan()).toBeUndefined();
      return 42;
    });
    expect(result).toBe(42);
    expect(attributes).not.toHaveBeenCalled();
  });

  it('passes a stored parent through unchanged (another process may trace)', async () => {
    const parent = contextOfTraceHeaders({ traceparent });
    const seen = await inSpan('work', { parent }, (span) => traceHeadersOf(span.spanContext()));
    expect(seen).toEqual({ traceparent });
  });

  it('rejects with what the function throws, synchronously or not', async () => {
    await expect(
      inSpan('work', {}, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});

describe('inSpan with tracing on', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const manager = new AsyncLocalStorageContextManager();
  const finished = async () => {
    await provider.forceFlush();
    return exporter.getFinishedSpans();
  };
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('records a span under the given parent, active while the function runs', async () => {
    expect(tracingEnabled()).toBe(true);
    await inSpan('outer', { parent: contextOfTraceHeaders({ traceparent }), kind: SpanKind.CONSUMER, attributes: () => ({ 'baton.task.id': 't-1' }) }, async () => {
      expect(recordingSpan()).toBeDefined();
      await inSpan('inner', {}, () => undefined);
    });
    const [inner, outer] = await finished();
    expect(outer).toMatchObject({ name: 'outer', kind: SpanKind.CONSUMER, attributes: { 'baton.task.id': 't-1' } });
    expect(outer!.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(outer!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(inner!.parentSpanContext?.spanId).toBe(outer!.spanContext().spanId);
  });

  it('marks a failed span with the error and its Baton code', async () => {
    const err = Object.assign(new Error('no such task'), { code: 'NOT_FOUND' });
    await expect(inSpan('fails', {}, () => Promise.reject(err))).rejects.toBe(err);
    const [span] = await finished();
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such task' });
    expect(span!.attributes['baton.error.code']).toBe('NOT_FOUND');
    expect(span!.events.map((e) => e.name)).toContain('exception');
  });
});
