import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { EVENTS_STREAM, comparePositions, type NewEvent } from '@baton/contracts';
import { createPostgresEventStore, type PostgresEventStore } from '@baton/event-store';
import { createTestDatabase, testNatsAuth, testNatsUrl, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import { EventRelay, PostgresCheckpointStore, StreamInterest, ensureEventStreams } from './index';
import { countMessages } from './testing/jetstream-test.helpers';

const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

jest.setTimeout(60_000);

describe('StreamInterest and the relay publishing by interest (real NATS, real Postgres)', () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth(), name: 'relay-interest-test' });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await ensureEventStreams(jsm);
  });

  afterAll(async () => {
    await nc.drain();
  });

  it("follows the stream's consumers: their filter subjects as they are created and deleted, and everything for one without a filter", async () => {
    const id = uniqueId('interest').replace(/[^a-zA-Z0-9]/g, '');
    const stream = `TEST_INTEREST_${id}`;
    await jsm.streams.add({ name: stream, subjects: [`${id}.>`] });
    const interest = new StreamInterest({ nc, jsm, stream, refreshMs: 60_000, logger: quietLogger });
    let widened = 0;
    interest.onWidened(() => widened++);
    try {
      await interest.start();
      expect(interest.filters).toEqual([]);
      expect(interest.wants(`${id}.task.created`)).toBe(false);

      // Learned from the consumer-created advisory (the list is read again only every minute).
      await jsm.consumers.add(stream, { durable_name: 'tasks', ack_policy: AckPolicy.Explicit, filter_subject: `${id}.task.>` });
      await waitFor(() => interest.wants(`${id}.task.created`), { what: 'the new consumer to be seen', timeoutMs: 5000 });
      expect(interest.wants(`${id}.run.started`)).toBe(false);
      expect(widened).toBe(1);

      await jsm.consumers.add(stream, { durable_name: 'everything', ack_policy: AckPolicy.Explicit });
      await waitFor(() => interest.filters === 'all', { what: 'a consumer without a filter to mean everything', timeoutMs: 5000 });
      expect(interest.wants(`${id}.run.started`)).toBe(true);

      await jsm.consumers.delete(stream, 'everything');
      await waitFor(() => Array.isArray(interest.filters), { what: 'the deleted consumer to be seen', timeoutMs: 5000 });
      expect(interest.filters).toEqual([`${id}.task.>`]);
      expect(interest.wants(`${id}.run.started`)).toBe(false);
    } finally {
      interest.stop();
      await jsm.streams.delete(stream);
    }
  });

  it('wants every subject while it cannot read the consumer list', async () => {
    const interest = new StreamInterest({ nc, jsm, stream: `TEST_INTEREST_MISSING_${uniqueId('m').replace(/[^a-zA-Z0-9]/g, '')}`, refreshMs: 60_000, logger: quietLogger });
    await interest.start();
    try {
      expect(interest.filters).toBeUndefined();
      expect(interest.wants('baton.evt.task.created')).toBe(true);
    } finally {
      interest.stop();
    }
  });

  describe('a relay', () => {
    let db: TestDatabase;
    let store: PostgresEventStore;
    let checkpoints: PostgresCheckpointStore;

    beforeAll(async () => {
      db = await createTestDatabase('relay_interest');
      store = await createPostgresEventStore({ connectionString: db.url });
      checkpoints = new PostgresCheckpointStore(db.pool);
      await checkpoints.ensureSchema();
    });

    afterAll(async () => {
      await store.close();
      await db.drop();
    });

    it('gives a consumer created after its events were passed over every one of them, and the later ones', async () => {
      const category = `thing${uniqueId('c').replace(/[^a-zA-Z0-9]/g, '').toLowerCase()}`;
      const subject = `baton.evt.${category}.>`;
      const interest = new StreamInterest({ nc, jsm, refreshMs: 60_000, logger: quietLogger });
      await interest.start();
      const relay = new EventRelay({ name: `relay-${category}`, store, js, checkpoints, filter: { categories: [category] }, interest, logger: quietLogger, checkpointIntervalMs: 50 });
      const happened = (n: number, from: number): NewEvent[] =>
        Array.from({ length: n }, (_, i) => ({ type: 'ThingHappened', data: { n: from + i }, metadata: { occurredAt: '2026-12-06T00:00:00.000Z' } }));
      const durable = `interest-${category}`;
      try {
        await relay.start();
        const first = await store.append(`${category}-1`, happened(3, 0));
        // The relay has moved past the three; unless some other consumer reads every subject, none was published.
        await waitFor(() => relay.lag().lastPosition !== undefined && comparePositions(relay.lag().lastPosition!, first.position) >= 0, { what: 'the relay to move past the first three' });
        if (interest.filters !== 'all' && !interest.wants(`baton.evt.${category}.thing-happened`)) {
          expect(relay.lag()).toMatchObject({ skipped: 3, published: 0 });
          expect(await countMessages(jsm, EVENTS_STREAM, subject)).toBe(0);
        }

        await jsm.consumers.add(EVENTS_STREAM, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: subject });
        await store.append(`${category}-1`, happened(2, 3));
        await waitFor(async () => (await countMessages(jsm, EVENTS_STREAM, subject)) === 5, { what: 'all five events in the stream', timeoutMs: 10_000 });

        const consumer = await js.consumers.get(EVENTS_STREAM, durable);
        const batch = await consumer.fetch({ max_messages: 10, expires: 2000 });
        const seen: number[] = [];
        for await (const m of batch) {
          seen.push((m.json() as { data: { n: number } }).data.n);
          m.ack();
          if (seen.length === 5) break;
        }
        expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
      } finally {
        await relay.stop();
        interest.stop();
        await jsm.consumers.delete(EVENTS_STREAM, durable).catch(() => undefined);
      }
    });
  });
});
