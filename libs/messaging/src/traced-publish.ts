import { SpanKind, type Attributes } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { PubAck } from '@nats-io/jetstream';
import type { JetStreamPublish } from './jetstream-publisher';
import { MessagingAttributes, NATS_SYSTEM, contextOfTraceHeaders, inSpan, traceHeadersOf, tracingEnabled, type TraceHeaders } from '@baton/telemetry';
import { setStoredTraceHeaders } from './trace-context';

/** What {@link publishTraced} sends besides the subject and the body. */
export interface PublishTracedOptions {
  /** `Nats-Msg-Id`: JetStream drops a repeat inside the stream's duplicate window. */
  readonly msgID: string;
  /** PubAck wait, ms. */
  readonly timeout: number;
  /** Headers of the message (the trace headers are added to them). */
  readonly headers?: MsgHdrs;
  /** The trace the message belongs to, as stored with what it carries (an event's metadata). */
  readonly trace?: TraceHeaders;
  /** The subject with its variable tokens as `*` (`baton.agent.*.inbox`): span names carry no ids. */
  readonly destinationTemplate?: string;
  /** More span attributes, built only when tracing is on. */
  readonly attributes?: () => Attributes;
}

/**
 * Publishes to JetStream in a PRODUCER span `send <subject or template>`, a child of the trace
 * stored with what the message carries, and sends that span's context as the message's
 * `traceparent`, so the consumer's span is a child of this publish. Tracing off: no span work;
 * the stored trace headers go out as they are (other processes may trace), and a message
 * without any goes without headers unless `headers` were given.
 *
 * @example
 * await publishTraced(js, Subjects.agentInbox(agentId), body, { msgID: event.eventId, timeout: 5000,
 *   trace: event.metadata, destinationTemplate: 'baton.agent.*.inbox' });
 */
export function publishTraced(js: JetStreamPublish, subject: string, body: string | Uint8Array, options: PublishTracedOptions): Promise<PubAck> {
  if (!tracingEnabled()) {
    let headers = options.headers;
    if (options.trace?.traceparent) setStoredTraceHeaders((headers ??= natsHeaders()), options.trace);
    return js.publish(subject, body, { msgID: options.msgID, timeout: options.timeout, ...(headers ? { headers } : {}) });
  }
  return sendTraced(subject, { ...options, bodySize: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength }, (trace) => {
    const headers = options.headers ?? natsHeaders();
    if (trace) setStoredTraceHeaders(headers, trace);
    return js.publish(subject, body, { msgID: options.msgID, timeout: options.timeout, headers });
  });
}

/**
 * Runs `send` in the PRODUCER span `send <subject or template>` that {@link publishTraced} makes,
 * a child of the stored trace, handing it the trace the message should carry: the span's own
 * context (or the stored one when tracing is off: no span work then). For a message that goes
 * another way than a JetStream publish (an assignment as the reply of a waiting agent's request).
 * `send` is called before this returns (as `inSpan` calls its function), so what it does at once
 * is done when the call returns.
 */
export function sendTraced<T>(
  subject: string,
  options: Pick<PublishTracedOptions, 'msgID' | 'trace' | 'destinationTemplate' | 'attributes'> & { readonly bodySize?: number },
  send: (trace: TraceHeaders | undefined) => Promise<T> | T,
): Promise<T> {
  if (!tracingEnabled()) return Promise.resolve(send(options.trace));
  const template = options.destinationTemplate;
  return inSpan(
    `send ${template ?? subject}`,
    {
      kind: SpanKind.PRODUCER,
      parent: contextOfTraceHeaders(options.trace),
      attributes: () => ({
        [MessagingAttributes.system]: NATS_SYSTEM,
        [MessagingAttributes.operationType]: 'send',
        [MessagingAttributes.destinationName]: subject,
        ...(template ? { [MessagingAttributes.destinationTemplate]: template } : {}),
        [MessagingAttributes.messageId]: options.msgID,
        ...(options.bodySize === undefined ? {} : { [MessagingAttributes.bodySize]: options.bodySize }),
        ...options.attributes?.(),
      }),
    },
    (span) => send(traceHeadersOf(span.spanContext()) ?? options.trace),
  );
}
