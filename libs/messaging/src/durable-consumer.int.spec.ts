import { randomUUID } from 'node:crypto';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { trace, context } from '@opentelemetry/api';
import { BatonError, DEAD_LETTER_STREAM, EVENTS_STREAM, deadLetterSubject, type RecordedEvent } from '@baton/contracts';
import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import {
  DeadLetterHeaders,
  EventHeaders,
  PostgresInboxStore,
  consumeDurable,
  ensureEventStreams,
  publishEvent,
  subjectOfEvent,
  type ConsumeDurableOptions,
  type DurableConsumer,
} from './index';
import { connectTestJetStream, countMessages, makeRecordedEvent, readMessages } from './testing/jetstream-test.helpers';

const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

jest.setTimeout(60_000);

describe('JetStream streams, publisher and durable consumers', () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let db: TestDatabase;
  let inbox: PostgresInboxStore;
  const consumers: DurableConsumer[] = [];
  const createdDurables = new Set<string>();
  const durableName = (prefix: string) => {
    const name = uniqueId(prefix);
    createdDurables.add(name);
    return name;
  };

  beforeAll(async () => {
    ({ nc, js, jsm } = await connectTestJetStream('consumer-test'));
    db = await createTestDatabase('messaging_inbox');
    inbox = new PostgresInboxStore(db.pool);
    await inbox.ensureSchema();
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    for (const name of createdDurables) await jsm.consumers.delete(EVENTS_STREAM, name);
    createdDurables.clear();
  });

  afterAll(async () => {
    await db.drop();
    await nc.drain();
  });

  /** Starts a durable consumer of the events stream, logging nowhere, stopped after the test. */
  const consume = async (durable: string, options: Omit<ConsumeDurableOptions, 'js' | 'jsm' | 'stream' | 'durable' | 'logger'>): Promise<void> => {
    consumers.push(await consumeDurable({ js, jsm, stream: EVENTS_STREAM, durable, logger: quietLogger, ...options }));
  };

  /** A unique aggregate category per test, so its subjects are `baton.evt.<category>.>`. */
  const category = () => uniqueId('c').replace('-', '');

  it('creates the event and dead-letter streams idempotently, with file storage and a duplicate window', async () => {
    const again = await ensureEventStreams(jsm);
    expect(again.events.config).toMatchObject({ name: EVENTS_STREAM, subjects: ['baton.evt.>'], storage: 'file' });
    expect(again.events.config.duplicate_window).toBe(120_000 * 1_000_000);
    expect(again.deadLetters.config).toMatchObject({ name: DEAD_LETTER_STREAM, subjects: ['baton.dlq.>'] });
  });

  it('publishes with msgID = eventId and Baton headers; a republish is dropped as a duplicate', async () => {
    const cat = category();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const event = makeRecordedEvent(`${cat}-1`, 0, { type: 'AgentRegistered', metadata: { occurredAt: 'now', traceparent, correlationId: 'run-1' } });
    const ack = await publishEvent(js, event);
    expect(ack.duplicate).toBe(false);
    expect(ack.stream).toBe(EVENTS_STREAM);
    const again = await publishEvent(js, event);
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(ack.seq);

    expect(subjectOfEvent(event)).toBe(`baton.evt.${cat}.agent-registered`);
    const [m] = await readMessages(js, jsm, EVENTS_STREAM, `baton.evt.${cat}.>`);
    expect(m).toBeDefined();
    const h = m!.headers!;
    expect(h.get('Nats-Msg-Id')).toBe(event.eventId);
    expect(h.get('traceparent')).toBe(traceparent);
    expect(h.get(EventHeaders.eventType)).toBe('AgentRegistered');
    expect(h.get(EventHeaders.schemaVersion)).toBe('1');
    expect(h.get(EventHeaders.streamId)).toBe(`${cat}-1`);
    expect(h.get(EventHeaders.revision)).toBe('0');
    expect(m!.json<RecordedEvent>()).toEqual(event);
  });

  it('redelivers after a handler failure, with the trace context of the event', async () => {
    const cat = category();
    const durable = durableName('redeliver');
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const event = makeRecordedEvent(`${cat}-1`, 0, { metadata: { occurredAt: 'now', traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
    await publishEvent(js, event);
    const attempts: { count: number; traceId: string | undefined }[] = [];
    await consume(durable, {
      filterSubject: `baton.evt.${cat}.>`,
      maxDeliver: 5,
      backoffMs: 20,
      inbox,
      handler: (_e, d) => {
        attempts.push({ count: d.deliveryCount, traceId: trace.getSpanContext(context.active())?.traceId });
        if (d.deliveryCount < 3) throw new Error('transient');
      },
    });
    await waitFor(() => consumers[0]!.stats.processed === 1, { what: 'the event to succeed on the third attempt' });
    expect(attempts.map((a) => a.count)).toEqual([1, 2, 3]);
    expect(attempts.every((a) => a.traceId === traceId)).toBe(true);
    expect(consumers[0]!.stats).toMatchObject({ failures: 2, deadLettered: 0 });
    expect(await inbox.seenBefore(durable, event.eventId)).toBe(true);
  });

  it('dead-letters a message that keeps failing after maxDeliver attempts, then moves on', async () => {
    const cat = category();
    const durable = durableName('poison');
    const bad = makeRecordedEvent(`${cat}-1`, 0);
    const good = makeRecordedEvent(`${cat}-1`, 1);
    await publishEvent(js, bad);
    await publishEvent(js, good);
    const handled: string[] = [];
    let badAttempts = 0;
    await consume(durable, {
      filterSubject: `baton.evt.${cat}.>`,
      maxDeliver: 3,
      backoffMs: [10, 20],
      inbox,
      handler: (e) => {
        if (e.eventId === bad.eventId) {
          badAttempts++;
          throw new Error('this event always breaks the projection');
        }
        handled.push(e.eventId);
      },
    });
    await waitFor(async () => (await countMessages(jsm, DEAD_LETTER_STREAM, deadLetterSubject(durable))) === 1, { what: 'a dead letter' });
    await waitFor(() => handled.length === 1, { what: 'the next event' });
    expect(badAttempts).toBe(3);
    expect(handled).toEqual([good.eventId]);

    const [dl] = await readMessages(js, jsm, DEAD_LETTER_STREAM, deadLetterSubject(durable));
    const h = dl!.headers!;
    expect(h.get(DeadLetterHeaders.errorCode)).toBe('INTERNAL');
    expect(h.get(DeadLetterHeaders.error)).toContain('always breaks');
    expect(h.get(DeadLetterHeaders.originalSubject)).toBe(subjectOfEvent(bad));
    expect(h.get(DeadLetterHeaders.originalStream)).toBe(EVENTS_STREAM);
    expect(Number(h.get(DeadLetterHeaders.originalSequence))).toBeGreaterThan(0);
    expect(h.get(DeadLetterHeaders.deliveries)).toBe('3');
    expect(h.get(EventHeaders.streamId)).toBe(`${cat}-1`);
    expect(dl!.json<RecordedEvent>().eventId).toBe(bad.eventId);

    await waitFor(
      async () => {
        const info = await jsm.consumers.info(EVENTS_STREAM, durable);
        return info.num_pending + info.num_ack_pending === 0;
      },
      { what: 'nothing left pending on the consumer' },
    );
  });

  it('dead-letters a message that is not a valid event at once, without calling the handler', async () => {
    const cat = category();
    const durable = durableName('invalid');
    await js.publish(`baton.evt.${cat}.broken`, '{"not": json', { msgID: randomUUID() });
    await js.publish(`baton.evt.${cat}.broken`, JSON.stringify({ eventId: 'x' }), { msgID: randomUUID() });
    let calls = 0;
    await consume(durable, {
      filterSubjects: [`baton.evt.${cat}.broken`, `baton.evt.${cat}.other`],
      maxDeliver: 5,
      backoffMs: 10,
      handler: () => {
        calls++;
      },
    });
    await waitFor(async () => (await countMessages(jsm, DEAD_LETTER_STREAM, deadLetterSubject(durable))) === 2, { what: 'two dead letters' });
    const dls = await readMessages(js, jsm, DEAD_LETTER_STREAM, deadLetterSubject(durable));
    expect(dls.map((m) => m.headers!.get(DeadLetterHeaders.errorCode))).toEqual(['INVALID_JSON', 'VALIDATION_FAILED']);
    expect(dls.map((m) => m.headers!.get(DeadLetterHeaders.deliveries))).toEqual(['1', '1']);
    expect(calls).toBe(0);
  });

  it('dead-letters at once when the handler rejects the event as invalid', async () => {
    const cat = category();
    const durable = durableName('reject');
    await publishEvent(js, makeRecordedEvent(`${cat}-1`, 0));
    let calls = 0;
    await consume(durable, {
      filterSubject: `baton.evt.${cat}.>`,
      maxDeliver: 5,
      backoffMs: 10,
      handler: () => {
        calls++;
        throw new BatonError('UNKNOWN_SCHEMA_VERSION', 'no upcaster for v9');
      },
    });
    await waitFor(async () => (await countMessages(jsm, DEAD_LETTER_STREAM, deadLetterSubject(durable))) === 1, { what: 'a dead letter' });
    expect(calls).toBe(1);
  });

  it('drops an event id it has processed before, even when JetStream stores it twice', async () => {
    const cat = category();
    const durable = durableName('dedupe');
    const event = makeRecordedEvent(`${cat}-1`, 0);
    await publishEvent(js, event);
    const h = headers();
    h.set(EventHeaders.streamId, event.streamId);
    // A republish after the duplicate window: a different Nats-Msg-Id, the same event.
    await js.publish(subjectOfEvent(event), JSON.stringify(event), { msgID: `late-${event.eventId}`, headers: h });
    await publishEvent(js, makeRecordedEvent(`${cat}-1`, 1));
    expect(await countMessages(jsm, EVENTS_STREAM, `baton.evt.${cat}.>`)).toBe(3);

    const seen: string[] = [];
    await consume(durable, {
      filterSubject: `baton.evt.${cat}.>`,
      inbox,
      handler: (e) => {
        seen.push(`${e.streamId}@${e.revision}`);
      },
    });
    await waitFor(() => consumers[0]!.stats.processed + consumers[0]!.stats.duplicates === 3, { what: 'all three messages' });
    expect(seen).toEqual([`${cat}-1@0`, `${cat}-1@1`]);
    expect(consumers[0]!.stats.duplicates).toBe(1);
  });

  it('runs an effect and records the inbox row in one transaction, once per event', async () => {
    await db.pool.query('CREATE TABLE effects (event_id text PRIMARY KEY)');
    const id = randomUUID();
    const first = await inbox.runOnce('tx-consumer', id, (trx) => trx.query('INSERT INTO effects VALUES ($1)', [id]));
    const second = await inbox.runOnce('tx-consumer', id, (trx) => trx.query('INSERT INTO effects VALUES ($1)', [id]));
    expect(first.ran).toBe(true);
    expect(second.ran).toBe(false);
    await expect(inbox.runOnce('tx-consumer', randomUUID(), () => Promise.reject(new Error('effect failed')))).rejects.toThrow('effect failed');
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM baton_consumer_inbox WHERE consumer = $1', ['tx-consumer']);
    expect(rows[0].n).toBe(1);
  });
});
