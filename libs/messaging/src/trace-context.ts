import { context, propagation, trace, ROOT_CONTEXT, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { headers as natsHeaders, Match, type MsgHdrs } from '@nats-io/transport-node';

let ensured = false;

/**
 * Makes sure trace context can travel: registers the W3C `traceparent`/`tracestate`
 * propagator and an AsyncLocalStorage context manager, unless an OpenTelemetry SDK
 * already registered its own (the SDK started first in `main.ts` always wins).
 * Called by every helper here; safe to call any number of times.
 */
export function ensureTracePropagation(): void {
  if (ensured) return;
  ensured = true;
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();
  // A no-op propagator has no fields; one an SDK registered is kept.
  if (propagation.fields().length === 0) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

const setter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? carrier.keys() : []),
  get: (carrier, key) => {
    if (!carrier || !carrier.has(key, Match.IgnoreCase)) return undefined;
    const values = carrier.values(key, Match.IgnoreCase);
    return values.length <= 1 ? values[0] : values;
  },
};

/**
 * Writes the trace context of `ctx` (default: the active one) into NATS headers as W3C
 * `traceparent`/`tracestate`. Creates the headers when none are given. Writes nothing
 * when there is no valid span context.
 *
 * @example
 * const h = injectTraceHeaders();           // headers of the active trace
 * await nc.request(subject, body, { headers: h, timeout: 5000 });
 */
export function injectTraceHeaders(headers: MsgHdrs = natsHeaders(), ctx: Context = context.active()): MsgHdrs {
  ensureTracePropagation();
  propagation.inject(ctx, headers, setter);
  return headers;
}

/**
 * Reads W3C trace context from NATS headers (case-insensitive) into a new OpenTelemetry
 * context derived from `base` (default: the root context). Run the handler inside it with
 * `context.with(extractTraceContext(msg.headers), handler)`.
 */
export function extractTraceContext(headers: MsgHdrs | undefined, base: Context = ROOT_CONTEXT): Context {
  ensureTracePropagation();
  return propagation.extract(base, headers, getter);
}

/**
 * The headers to send with a message: `headers` with the trace context of `ctx` (default: the
 * active one) added, when `ctx` carries a valid span context. Otherwise `headers` as given
 * (possibly undefined): a process without tracing and without a caller's trace creates and
 * serializes no headers at all.
 *
 * @example
 * const h = outgoingTraceHeaders();  // undefined when nothing is traced
 * await nc.request(subject, body, { timeout: 5000, ...(h ? { headers: h } : {}) });
 */
export function outgoingTraceHeaders(headers?: MsgHdrs, ctx: Context = context.active()): MsgHdrs | undefined {
  const sc = trace.getSpanContext(ctx);
  if (!sc || !trace.isSpanContextValid(sc)) return headers;
  return injectTraceHeaders(headers ?? natsHeaders(), ctx);
}

/** Trace id of a context (default: the active one), or undefined when it carries none. For logs. */
export function traceIdOf(ctx: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}

/** Sets `traceparent`/`tracestate` headers from values stored with an event (the relay's path). */
export function setStoredTraceHeaders(headers: MsgHdrs, stored: { traceparent?: string; tracestate?: string }): void {
  if (stored.traceparent) headers.set('traceparent', stored.traceparent);
  if (stored.tracestate) headers.set('tracestate', stored.tracestate);
}
