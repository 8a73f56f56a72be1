import { DeliverPolicy, jetstream, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENTS_STREAM } from '@baton/contracts';
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
