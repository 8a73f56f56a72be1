import {
  context,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** The tracer of Baton's own spans (one instrumentation scope for every lib). */
export function batonTracer(): Tracer {
  return trace.getTracer('baton');
}

/**
 * Whether spans record in this process: an SDK (or a test's provider) is registered. When false,
 * every tracer is the API's no-op one; callers use this to skip work a span would need (parsing a
 * stored traceparent, building attributes).
 */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('baton') !== undefined;
}

/**
 * W3C trace headers as they travel in event metadata and NATS headers: `traceparent` and, when
 * the trace has one, `tracestate`.
 */
export interface TraceHeaders {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/**
 * Messaging attribute names of the OpenTelemetry semantic conventions (still "development", so
 * copied here rather than imported from the incubating entry point).
 */
export const MessagingAttributes = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destinationName: 'messaging.destination.name',
  destinationTemplate: 'messaging.destination.template',
  consumerGroup: 'messaging.consumer.group.name',
  messageId: 'messaging.message.id',
  bodySize: 'messaging.message.body.size',
} as const;

/** `messaging.system` of every NATS span (not in the conventions' list, which allows others). */
export const NATS_SYSTEM = 'nats';

/** Baton's own span attributes: ids go here, never into span names. */
export const BatonAttributes = {
  commandId: 'baton.command.id',
  streamId: 'baton.stream.id',
  eventId: 'baton.event.id',
  eventType: 'baton.event.type',
  runId: 'baton.run.id',
  stageId: 'baton.stage.id',
  taskId: 'baton.task.id',
  agentId: 'baton.agent.id',
  errorCode: 'baton.error.code',
} as const;

// Its own instance, not the global propagator: reading stored headers must not depend on which
// propagators a process configured, and costs nothing when tracing is off (never called then).
const w3c = new W3CTraceContextPropagator();

const recordGetter: TextMapGetter<TraceHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined),
};

/**
 * The W3C headers of a span context (`00-<trace>-<span>-<flags>`), or undefined when it is not
 * valid. Used to store a span's context with the events it caused.
 *
 * @example
 * const stored = traceHeadersOf(span.spanContext()); // { traceparent: '00-4bf9…-00f0…-01' }
 */
export function traceHeadersOf(sc: SpanContext | undefined): TraceHeaders | undefined {
  if (!sc || !isSpanContextValid(sc)) return undefined;
  const traceparent = `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  const tracestate = sc.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/**
 * The context a stored `traceparent`/`tracestate` pair names, derived from `base` (default: the
 * root context, so nothing active in the process leaks in). A missing or malformed traceparent
 * gives `base` back.
 */
export function contextOfTraceHeaders(headers: TraceHeaders | undefined, base: Context = ROOT_CONTEXT): Context {
  if (!headers?.traceparent) return base;
  return w3c.extract(base, headers, recordGetter);
}

/** The trace id in a stored traceparent, without parsing the rest; undefined when it has none. */
export function traceIdOfHeaders(headers: TraceHeaders | undefined): string | undefined {
  const tp = headers?.traceparent;
  return tp !== undefined && tp.length >= 55 && tp[2] === '-' ? tp.slice(3, 35) : undefined;
}

/** How {@link inSpan} starts its span. */
export interface InSpanOptions {
  readonly kind?: SpanKind;
  /** Built only when the span records, so a process without tracing allocates nothing for them. */
  readonly attributes?: () => Attributes;
  readonly links?: readonly Link[];
  /** The parent; default the active context. */
  readonly parent?: Context;
}

/**
 * Runs `fn` inside a new span and ends it when `fn` settles; a throw sets the span's status to
 * ERROR, records the exception and its Baton `code` (when it has one), and is rethrown. When
 * tracing is off the span is the API's non-recording one: `fn` then runs in the parent context
 * without any span work (no attributes, no status, no end bookkeeping).
 *
 * @example
 * const verdict = await inSpan('validate handoff', { attributes: () => ({ [BatonAttributes.taskId]: taskId }) }, (span) => evaluate());
 */
export function inSpan<T>(name: string, options: InSpanOptions, fn: (span: Span) => Promise<T> | T): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = batonTracer().startSpan(
    name,
    options.kind === undefined && options.links === undefined ? undefined : { kind: options.kind, ...(options.links ? { links: [...options.links] } : {}) },
    parent,
  );
  if (!span.isRecording()) return parent === context.active() ? settle(fn, span) : context.with(parent, () => settle(fn, span));
  if (options.attributes) span.setAttributes(options.attributes());
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

function settle<T>(fn: (span: Span) => Promise<T> | T, span: Span): Promise<T> {
  try {
    return Promise.resolve(fn(span));
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/** Marks a span failed by `err`: ERROR status with the message, the exception event and the Baton error code. */
export function failSpan(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') span.setAttribute(BatonAttributes.errorCode, code);
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** The span active now when it records (tracing on), else undefined. */
export function recordingSpan(ctx: Context = context.active()): Span | undefined {
  const span = trace.getSpan(ctx);
  return span?.isRecording() ? span : undefined;
}
