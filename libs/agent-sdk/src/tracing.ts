import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Context, type Span, type SpanKind, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

// The SDK traces through `@opentelemetry/api` only, with the global propagator: it stays free of
// the services' telemetry library (which loads Nest), and an agent that starts no OpenTelemetry
// SDK gets the API's no-op tracer and propagator, so none of this does any work.

const setter: TextMapSetter<MsgHdrs> = { set: (carrier, key, value) => carrier.set(key, value) };

const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? carrier.keys() : []),
  get: (carrier, key) => {
    const values = carrier?.values(key, 'insensitive') ?? [];
    return values.length <= 1 ? values[0] : values;
  },
};

/** The trace context a message carries (W3C `traceparent`), from the root: nothing else in the process leaks in. */
export function messageContext(headers: MsgHdrs | undefined): Context {
  return headers ? propagation.extract(ROOT_CONTEXT, headers, getter) : ROOT_CONTEXT;
}

/** Headers with the active trace context, or undefined when there is none (no headers then). */
export function traceHeaders(): MsgHdrs | undefined {
  const sc = trace.getSpanContext(context.active());
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  const h = natsHeaders();
  propagation.inject(context.active(), h, setter);
  return h.keys().length > 0 ? h : undefined;
}

/**
 * Runs `fn` in a span (ended when it settles; a throw marks it failed with the error's `code`).
 * A non-recording span (no SDK) costs nothing more than the API's no-op tracer.
 */
export async function inAgentSpan<T>(name: string, kind: SpanKind, parent: Context, attributes: () => Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  const span = trace.getTracer('baton-agent-sdk').startSpan(name, { kind }, parent);
  if (!span.isRecording()) return context.with(trace.setSpan(parent, span), () => fn(span));
  span.setAttributes(attributes());
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string') span.setAttribute('baton.error.code', code);
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

/** What {@link startAgentTracing} leaves running: flush on stop. */
export interface AgentTracing {
  flush(): Promise<void>;
}

const NO_TRACING: AgentTracing = { flush: () => Promise.resolve() };

/**
 * Starts the OpenTelemetry SDK for this agent process when the standard `OTEL_*` variables turn
 * tracing on (an OTLP endpoint or a traces exporter; `OTEL_SDK_DISABLED=true` wins), with
 * `service.name` = `OTEL_SERVICE_NAME` or `baton-agent`. Once per process; nothing is loaded
 * when no `OTEL_*` variable is set.
 */
export function startAgentTracing(env: Readonly<Record<string, string | undefined>> = process.env): AgentTracing {
  if (!Object.keys(env).some((k) => k.startsWith('OTEL_'))) return NO_TRACING;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when tracing may be on
  const { startTracing } = require('@baton/telemetry') as typeof import('@baton/telemetry');
  return startTracing({ serviceName: 'baton-agent', env });
}
