import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { testNatsAuth, testNatsUrl, uniqueId } from '@baton/testing';
import { PipelinedJetStreamPublisher } from './jetstream-publisher';

jest.setTimeout(60_000);

describe('pipelined JetStream publisher (real nats-server)', () => {
  let nc: NatsConnection;
  const stream = uniqueId('PIPE').replace(/[^A-Za-z0-9_]/g, '_');
  const subject = `test.${stream}.evt`;

  beforeAll(async () => {
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth(), name: uniqueId('pipelined-publisher') });
    await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`test.${stream}.>`], duplicate_window: 60_000_000_000 });
  });

  afterAll(async () => {
    await (await jetstreamManager(nc)).streams.delete(stream);
    await nc.drain();
  });

  /** A subject with a plain subscriber that never answers: a publish to it gets no acknowledgement. */
  async function silentSubject(name: string): Promise<{ subject: string; close: () => void }> {
    const silent = `test.${uniqueId(name)}`;
    const sub = nc.subscribe(silent, { callback: () => undefined });
    await nc.flush();
    return { subject: silent, close: () => sub.unsubscribe() };
  }

  it('stores every message of a burst, in order, with one acknowledgement each, and drops a repeated message id', async () => {
    const publisher = new PipelinedJetStreamPublisher(nc);
    const acks = await Promise.all(Array.from({ length: 300 }, (_, i) => publisher.publish(subject, JSON.stringify({ i }), { msgID: `m-${i}`, timeout: 5000 })));
    expect(acks.every((a) => a.stream === stream && !a.duplicate)).toBe(true);
    const seqs = acks.map((a) => a.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(300);
    expect(publisher.inFlight).toBe(0);

    const again = await publisher.publish(subject, JSON.stringify({ i: 7 }), { msgID: 'm-7', timeout: 5000 });
    expect(again).toMatchObject({ duplicate: true, seq: acks[7]!.seq });
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    expect(info.state.messages).toBe(300);
    // What it stored is what a JetStream client reads.
    const m = await (await jetstreamManager(nc)).streams.getMessage(stream, { seq: acks[299]!.seq });
    expect(m?.json()).toEqual({ i: 299 });
    expect(m?.header.get('Nats-Msg-Id')).toBe('m-299');
    publisher.close();
  });

  it('refuses at once a subject no stream takes, and names it', async () => {
    const publisher = new PipelinedJetStreamPublisher(nc);
    const nowhere = `test.${uniqueId('nowhere')}`;
    await expect(publisher.publish(nowhere, 'x', { msgID: 'n-1', timeout: 5000 })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(nowhere) });
    publisher.close();
  });

  it('times out a publish whose acknowledgement never comes (a plain subscriber, not a stream), then answers the next ones', async () => {
    const publisher = new PipelinedJetStreamPublisher(nc);
    const silent = await silentSubject('silent');
    await expect(publisher.publish(silent.subject, 'x', { msgID: 's-1', timeout: 300 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    silent.close();
    expect(publisher.inFlight).toBe(0);
    await expect(publisher.publish(subject, 'y', { msgID: uniqueId('after'), timeout: 5000 })).resolves.toMatchObject({ stream, duplicate: false });
    publisher.close();
  });

  it('refuses what is still waiting when closed, and every publish after', async () => {
    const publisher = new PipelinedJetStreamPublisher(nc);
    const silent = await silentSubject('closing');
    const waiting = publisher.publish(silent.subject, 'x', { msgID: 'c-1', timeout: 30_000 });
    publisher.close();
    await expect(waiting).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(publisher.publish(subject, 'y', { msgID: 'c-2', timeout: 5000 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    silent.close();
  });
});
