import { randomUUID } from 'node:crypto';
import { DeliverPolicy, jetstream, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { categoryOf, eventSubjectFor, EVENTS_STREAM, type RecordedEvent } from '@baton/contracts';
import { waitFor } from './util';

/** What {@link relayedEvent} looks for. */
export interface RelayedEventQuery {
  /** Subject filter on the events stream, e.g. `baton.evt.agent.registered`. */
  readonly subject: string;
  /** Read from this time on (a test file's start), so events of earlier files are skipped quickly. */
  readonly since: Date;
  /** The message wanted, e.g. the one whose `Baton-Stream-Id` header names a stream. */
  readonly match: (msg: JsMsg) => boolean;
  /** Named in the timeout error. */
  readonly what: string;
  /** Default 15 s. */
  readonly timeoutMs?: number;
}

/**
 * Waits until an event relayed to the Baton events stream matches, reading through an ephemeral
 * consumer (deleted afterwards); fails with `what` when none arrives in time.
 *
 * @example
 * const msg = await relayedEvent(nc, { subject: Subjects.event('agent', 'registered'), since: startedAt,
 *   match: (m) => m.headers?.get(EventHeaders.streamId) === streamId, what: `${streamId} on JetStream` });
 */
export async function relayedEvent(nc: NatsConnection, query: RelayedEventQuery): Promise<JsMsg> {
  const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, {
    filter_subjects: [query.subject],
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: query.since.toISOString(),
  });
  try {
    return await waitFor(
      async () => {
        const m = await consumer.next({ expires: 1000 });
        return m && query.match(m) ? m : undefined;
      },
      { what: query.what, timeoutMs: query.timeoutMs ?? 15_000 },
    );
  } finally {
    await consumer.delete();
  }
}

let published = 0;

/**
 * Publishes `data` as event `type` of stream `streamId` the way a service's relay does: the
 * RecordedEvent as JSON on `baton.evt.<category>.<event>`, `Nats-Msg-Id` = its event id. For
 * tests of a consumer that stand in for the service that owns the stream.
 *
 * @example
 * await publishRelayedEvent(nc, 'run-r1', 'RunCompleted', { runId: 'r1', ... });
 */
export async function publishRelayedEvent(nc: NatsConnection, streamId: string, type: string, data: unknown, occurredAt = new Date()): Promise<RecordedEvent> {
  const recorded: RecordedEvent = {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    streamId,
    revision: published,
    position: { commit: 1_000_000 + published, prepare: published },
    data,
    metadata: { occurredAt: occurredAt.toISOString() },
    prevHash: '0'.repeat(64),
    hash: 'f'.repeat(64),
  };
  published++;
  const h = natsHeaders();
  h.set('Baton-Event-Type', type);
  h.set('Baton-Stream-Id', streamId);
  await jetstream(nc).publish(eventSubjectFor(categoryOf(streamId), type), JSON.stringify(recorded), { msgID: recorded.eventId, headers: h });
  return recorded;
}
