import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { headers } from '@nats-io/transport-node';
import { messageContext, startAgentTracing, traceHeaders } from './tracing';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('agent SDK trace headers without an OpenTelemetry SDK', () => {
  it('send no headers and read no trace (the API no-op propagator)', () => {
    expect(traceHeaders()).toBeUndefined();
    const h = headers();
    h.set('traceparent', traceparent);
    expect(trace.getSpanContext(messageContext(h))).toBeUndefined();
  });

  it('start nothing when no OTEL_* variable is set', async () => {
    const tracing = startAgentTracing({ NATS_URL: 'nats://127.0.0.1:4222' });
    await expect(tracing.flush()).resolves.toBeUndefined();
  });
});

describe('agent SDK trace headers with the W3C propagator (an SDK started)', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    propagation.disable();
    context.disable();
  });

  it('read the trace an inbox message carries, from the root and not from what is active', () => {
    const h = headers();
    h.set('Traceparent', traceparent);
    const other = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
    const sc = context.with(other, () => trace.getSpanContext(messageContext(h)));
    expect(sc).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', isRemote: true });
    expect(trace.getSpanContext(messageContext(undefined))).toBeUndefined();
  });

  it('send the active trace with a request, and nothing when none is active', () => {
    expect(traceHeaders()).toBeUndefined();
    const h = headers();
    h.set('traceparent', traceparent);
    const sent = context.with(messageContext(h), () => traceHeaders());
    expect(sent?.get('traceparent')).toBe(traceparent);
  });
});
