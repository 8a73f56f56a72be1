import { context, trace, ROOT_CONTEXT, TraceFlags, createTraceState } from '@opentelemetry/api';
import { headers } from '@nats-io/transport-node';
import { extractTraceContext, injectTraceHeaders, outgoingTraceHeaders, traceIdOf } from './trace-context';

const spanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  traceState: createTraceState('vendor=abc'),
};

describe('trace context in NATS headers', () => {
  it('round-trips traceparent and tracestate from a context through headers back to a context', () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, spanContext);
    const h = injectTraceHeaders(headers(), ctx);
    expect(h.get('traceparent')).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(h.get('tracestate')).toBe('vendor=abc');

    const back = trace.getSpanContext(extractTraceContext(h));
    expect(back).toMatchObject({ traceId: spanContext.traceId, spanId: spanContext.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(back?.traceState?.get('vendor')).toBe('abc');
  });

  it('injects the active context by default', () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, spanContext);
    const h = context.with(ctx, () => injectTraceHeaders());
    expect(h.get('traceparent')).toContain(spanContext.traceId);
    expect(context.with(ctx, () => traceIdOf())).toBe(spanContext.traceId);
  });

  it('writes nothing when there is no trace, and extracts nothing from empty headers', () => {
    const h = injectTraceHeaders(headers(), ROOT_CONTEXT);
    expect(h.has('traceparent')).toBe(false);
    expect(traceIdOf(extractTraceContext(undefined))).toBeUndefined();
    expect(traceIdOf(extractTraceContext(h))).toBeUndefined();
  });

  it('reads a header written in another case by a foreign client', () => {
    const h = headers();
    h.set('Traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(traceIdOf(extractTraceContext(h))).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('ignores a malformed traceparent', () => {
    const h = headers();
    h.set('traceparent', 'not-a-trace');
    expect(traceIdOf(extractTraceContext(h))).toBeUndefined();
  });

  it('creates no headers for an outgoing message when there is no trace to carry', () => {
    expect(outgoingTraceHeaders(undefined, ROOT_CONTEXT)).toBeUndefined();
    const given = headers();
    given.set('Baton-Event-Type', 'TaskCreated');
    expect(outgoingTraceHeaders(given, ROOT_CONTEXT)).toBe(given);
    expect(given.has('traceparent')).toBe(false);
  });

  it('adds the trace of the context to an outgoing message, keeping the headers given', () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, spanContext);
    const fresh = outgoingTraceHeaders(undefined, ctx);
    expect(fresh?.get('traceparent')).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    const given = headers();
    given.set('Baton-Event-Type', 'TaskCreated');
    const out = context.with(ctx, () => outgoingTraceHeaders(given));
    expect(out).toBe(given);
    expect(out?.get('Baton-Event-Type')).toBe('TaskCreated');
    expect(traceIdOf(extractTraceContext(out))).toBe(spanContext.traceId);
  });
});
