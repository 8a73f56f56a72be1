import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { categoryOf, eventSubjectFor, type RecordedEvent } from '@baton/contracts';
import { setStoredTraceHeaders } from './trace-context';

/** Header names on every published event (besides `Nats-Msg-Id` = event id and `traceparent`). */
export const EventHeaders = {
  eventType: 'Baton-Event-Type',
  schemaVersion: 'Baton-Schema-Version',
  streamId: 'Baton-Stream-Id',
  revision: 'Baton-Revision',
  position: 'Baton-Position',
  correlationId: 'Baton-Correlation-Id',
} as const;

/** The JetStream subject of a recorded event: `baton.evt.<category>.<event>`. */
export function subjectOfEvent(event: Pick<RecordedEvent, 'streamId' | 'type'>): string {
  return eventSubjectFor(categoryOf(event.streamId), event.type);
}

/** Headers for a recorded event: Baton-* metadata plus the traceparent stored with it. */
export function eventHeaders(event: RecordedEvent): MsgHdrs {
  const h = natsHeaders();
  h.set(EventHeaders.eventType, event.type);
  h.set(EventHeaders.schemaVersion, String(event.schemaVersion));
  h.set(EventHeaders.streamId, event.streamId);
  h.set(EventHeaders.revision, String(event.revision));
  h.set(EventHeaders.position, `${event.position.commit}/${event.position.prepare}`);
  if (typeof event.metadata.correlationId === 'string') h.set(EventHeaders.correlationId, event.metadata.correlationId);
  setStoredTraceHeaders(h, event.metadata);
  return h;
}

export interface PublishEventOptions {
  /** Milliseconds to wait for the PubAck. Default 5000. */
  readonly timeoutMs?: number;
}

/**
 * Publishes a recorded event to JetStream with `msgID = eventId` and awaits the PubAck, so
 * a republish inside the stream's duplicate window is dropped (`ack.duplicate === true`).
 * The body is the whole {@link RecordedEvent} as JSON. Used by {@link EventRelay}; services
 * never publish their own events directly (no dual write).
 */
export async function publishEvent(js: JetStreamClient, event: RecordedEvent, options: PublishEventOptions = {}): Promise<PubAck> {
  return js.publish(subjectOfEvent(event), JSON.stringify(event), {
    msgID: event.eventId,
    headers: eventHeaders(event),
    timeout: options.timeoutMs ?? 5000,
  });
}
