import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { uniqueId, waitFor } from '@baton/testing';
import { StreamInterest } from './index';
import { connectTestJetStream } from './testing/jetstream-test.helpers';

const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

jest.setTimeout(60_000);

describe('StreamInterest (real NATS)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    ({ nc, jsm } = await connectTestJetStream('relay-interest-test'));
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
});
