import { randomUUID } from 'node:crypto';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { EVENTS_STREAM, type RecordedEvent } from '@baton/contracts';
import { ensureEventStreams } from '@baton/messaging';
import { testNatsUrl, waitFor, testNatsAuth } from '@baton/testing';
import { subscribeEvents, type EventDelivery, type EventSubscription } from './event-subscription';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A domain event as the relays publish it. */
function recordedEvent(aggregate: string, n: number, eventId: string = randomUUID()): RecordedEvent {
  return {
    eventId,
    type: 'ThingHappened',
    schemaVersion: 1,
    streamId: `${aggregate}-1`,
    revision: n,
    position: { commit: 1000 + n, prepare: n },
    data: { n },
    metadata: { occurredAt: new Date().toISOString() },
    prevHash: '0'.repeat(64),
    hash: n.toString(16).padStart(64, '0'),
  };
}

describe('subscribeEvents: a durable consumer of the events stream (real JetStream)', () => {
  let nc: NatsConnection;
  const durables: string[] = [];
  const running: EventSubscription[] = [];

  const publish = async (subject: string, event: RecordedEvent, msgId = event.eventId): Promise<number> => {
    const h = headers();
    h.set('Nats-Msg-Id', msgId);
    return (await jetstream(nc).publish(subject, JSON.stringify(event), { headers: h })).seq;
  };
  const collector = (pauseMs = 0) => {
    const events: RecordedEvent[] = [];
    const deliveries: EventDelivery[] = [];
    const handler = async (e: RecordedEvent, d: EventDelivery): Promise<void> => {
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      events.push(e);
      deliveries.push(d);
    };
    return { events, deliveries, handler };
  };
  const aggregate = (): string => `tssub${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth(), name: 'event-subscription-test' });
    await ensureEventStreams(await jetstreamManager(nc));
  });

  afterAll(async () => {
    await Promise.allSettled(running.map((s) => s.stop()));
    const jsm = await jetstreamManager(nc);
    await Promise.allSettled(durables.map((d) => jsm.consumers.delete(EVENTS_STREAM, d)));
    await nc.close();
  });

  it('from stream sequence N, across a restart: every event once, in order; a republished event is recognised by its id', async () => {
    const agg = aggregate();
    const subject = `baton.evt.${agg}.happened`;
    const durable = `ts-follow-${agg}`;
    durables.push(durable);
    const events = Array.from({ length: 10 }, (_, i) => recordedEvent(agg, i + 1));
    const seqs: number[] = [];
    for (const e of events) seqs.push(await publish(subject, e));

    const first = collector(50);
    const sub1 = await subscribeEvents({ connection: nc, durable, subjects: [subject], start: { from: 'sequence', sequence: seqs[3]! }, handler: first.handler, ackWaitMs: 2000, logger: quiet });
    await waitFor(() => first.events.length >= 3, { what: 'three events before the restart', timeoutMs: 15_000 });
    await sub1.stop();
    // Acknowledgements are not awaited between events; stop() waits for those still out.
    expect(sub1.stats.lastSequence).toBe(first.deliveries.at(-1)!.streamSequence);
    const later = Array.from({ length: 5 }, (_, i) => recordedEvent(agg, 11 + i));
    for (const e of later) await publish(subject, e);

    const second = collector();
    const sub2 = await subscribeEvents({ connection: nc, durable, subjects: [subject], start: { from: 'all' }, handler: second.handler, ackWaitMs: 2000, logger: quiet });
    running.push(sub2);
    const expected = [...events.slice(3), ...later].map((e) => e.eventId);
    await waitFor(() => first.events.length + second.events.length >= expected.length, { what: 'the rest after the restart', timeoutMs: 20_000 });
    // The relay publishing an event again, past JetStream's de-duplication window (a new message).
    await publish(subject, later[1]!, `republished-${later[1]!.eventId}`);
    await waitFor(() => sub2.stats.duplicates === 1, { what: 'the republished event recognised', timeoutMs: 10_000 });

    expect([...first.events, ...second.events].map((e) => e.eventId)).toEqual(expected);
    expect(first.deliveries[0]!.streamSequence).toBe(seqs[3]);
    expect(sub2.stats.handled).toBe(second.events.length);
    expect(sub2.stats.lastSequence).toBeGreaterThan(seqs[9]!);
  });

  it('a failing handler gets the event again; start "new" skips what came before', async () => {
    const agg = aggregate();
    const subject = `baton.evt.${agg}.happened`;
    await publish(subject, recordedEvent(agg, 1));
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    const durable = `ts-new-${agg}`;
    durables.push(durable);
    const sub = await subscribeEvents({
      connection: nc,
      durable,
      subjects: [`baton.evt.${agg}.>`],
      start: { from: 'new' },
      retryDelayMs: 200,
      logger: quiet,
      handler: (e) => {
        attempts.set(e.eventId, (attempts.get(e.eventId) ?? 0) + 1);
        if (attempts.get(e.eventId) === 1) throw new Error('the dashboard database is restarting');
        handled.push(e.eventId);
      },
    });
    running.push(sub);
    const fresh = recordedEvent(agg, 2);
    await publish(subject, fresh);
    await waitFor(() => handled.length === 1, { what: 'the event handled on its second delivery', timeoutMs: 10_000 });
    expect(handled).toEqual([fresh.eventId]);
    expect(sub.stats.failures).toBe(1);
  });

  it('start at a time skips the events stored before it', async () => {
    const agg = aggregate();
    const subject = `baton.evt.${agg}.happened`;
    await publish(subject, recordedEvent(agg, 1));
    await new Promise((r) => setTimeout(r, 50));
    const since = new Date();
    await new Promise((r) => setTimeout(r, 50));
    const after = recordedEvent(agg, 2);
    await publish(subject, after);
    const seen = collector();
    const durable = `ts-time-${agg}`;
    durables.push(durable);
    running.push(await subscribeEvents({ connection: nc, durable, subjects: [subject], start: { from: 'time', time: since }, handler: seen.handler, logger: quiet }));
    await waitFor(() => seen.events.length > 0, { what: 'the event after the start time', timeoutMs: 10_000 });
    expect(seen.events.map((e) => e.eventId)).toEqual([after.eventId]);
  });

  it('refuses a durable name JetStream cannot take and a start that is not a position', async () => {
    await expect(subscribeEvents({ connection: nc, durable: 'has.dots', handler: () => undefined })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(subscribeEvents({ connection: nc, durable: `ts-bad-${aggregate()}`, start: { from: 'sequence', sequence: 0 }, handler: () => undefined })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});
