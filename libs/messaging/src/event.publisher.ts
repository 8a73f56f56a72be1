import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { PubAck } from '@nats-io/jetstream';
import type { JetStreamPublish } from './jetstream-publisher';
import { categoryOf, eventSubjectFor, type RecordedEvent } from '@baton/contracts';
import { BatonAttributes } from '@baton/telemetry';
import { publishTraced } from './traced-publish';

/** Header names on every published event (besides `Nats-Msg-Id` = event id and `traceparent`). */
export const EventHeaders = {
  eventType: 'Baton-Event-Type',
  schemaVersion: 'Baton-Schema-Version',
  streamId: 'Baton-Stream-Id',
  revision: 'Baton-Revision',
  position: 'Baton-Position',
  correlationId: 'Baton-Correlation-Id',
} as const;

/** Subjects by category, then event type: the relay asks for the same few pairs once per event. */
const subjectCache = new Map<string, Map<string, string>>();
/** Bound on cached pairs; categories and event types are few, so it only guards against odd inputs. */
const SUBJECT_CACHE_MAX = 10_000;
let subjectCacheSize = 0;

/** The JetStream subject of a recorded event: `baton.evt.<category>.<event>`. */
export function subjectOfEvent(event: Pick<RecordedEvent, 'streamId' | 'type'>): string {
  const category = categoryOf(event.streamId);
  let byType = subjectCache.get(category);
  const cached = byType?.get(event.type);
  if (cached !== undefined) return cached;
  const subject = eventSubjectFor(category, event.type);
  if (subjectCacheSize < SUBJECT_CACHE_MAX) {
    if (!byType) subjectCache.set(category, (byType = new Map()));
    byType.set(event.type, subject);
    subjectCacheSize++;
  }
  return subject;
}

/** Headers for a recorded event: Baton-* metadata (the trace headers are added by the publish). */
export function eventHeaders(event: RecordedEvent): MsgHdrs {
  const h = natsHeaders();
  h.set(EventHeaders.eventType, event.type);
  h.set(EventHeaders.schemaVersion, String(event.schemaVersion));
  h.set(EventHeaders.streamId, event.streamId);
  h.set(EventHeaders.revision, String(event.revision));
  h.set(EventHeaders.position, `${event.position.commit}/${event.position.prepare}`);
  if (typeof event.metadata.correlationId === 'string') h.set(EventHeaders.correlationId, event.metadata.correlationId);
  return h;
}

export interface PublishEventOptions {
  /** Milliseconds to wait for the PubAck. Default 5000. */
  readonly timeoutMs?: number;
}

/**
 * Publishes a recorded event to JetStream with `msgID = eventId` and awaits the PubAck, so
 * a republish inside the stream's duplicate window is dropped (`ack.duplicate === true`).
 * The body is the whole {@link RecordedEvent} as JSON. The publish is a PRODUCER span, a child of
 * the trace stored in the event's metadata (the command that appended it), whose context goes
 * out as the message's `traceparent` (see {@link publishTraced}). Used by {@link EventRelay};
 * services never publish their own events directly (no dual write).
 */
export async function publishEvent(js: JetStreamPublish, event: RecordedEvent, options: PublishEventOptions = {}): Promise<PubAck> {
  return publishTraced(js, subjectOfEvent(event), JSON.stringify(event), {
    msgID: event.eventId,
    headers: eventHeaders(event),
    timeout: options.timeoutMs ?? 5000,
    trace: event.metadata,
    attributes: () => ({ [BatonAttributes.eventType]: event.type, [BatonAttributes.streamId]: event.streamId }),
  });
}
