import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { EVENTS_STREAM, comparePositions, type NewEvent, type Position, type RecordedEvent } from '@baton/contracts';
import { createPostgresEventStore, type PostgresEventStore } from '@baton/event-store';
import { createTestDatabase, testNatsUrl, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import { EventRelay, PostgresCheckpointStore, StreamInterest, type RelayLag } from './index';
import { connectTestJetStream, countMessages, readMessages } from './testing/jetstream-test.helpers';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const RELAY_SCRIPT = path.join(__dirname, 'testing', 'relay.process.ts');
const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

interface RelayChild {
  readonly proc: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

function startRelayProcess(env: Record<string, string>): RelayChild {
  const proc = spawn(process.execPath, ['-r', '@swc-node/register', RELAY_SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '', SWC_NODE_PROJECT: path.join(REPO_ROOT, 'tsconfig.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => stdout.push(...d.split('\n').filter((l) => l !== '')));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, stdout, stderr, exited };
}

async function waitReady(child: RelayChild): Promise<void> {
  await waitFor(
    () => {
      if (child.proc.exitCode !== null) throw new Error(`relay process exited ${child.proc.exitCode}: ${child.stderr.join('')}`);
      return child.stdout.includes('READY');
    },
    { timeoutMs: 30_000, what: 'the relay process to start' },
  );
}

function newEvents(n: number, from: number): NewEvent[] {
  return Array.from({ length: n }, (_, i) => ({ type: 'ThingHappened', data: { n: from + i }, metadata: { occurredAt: '2026-11-22T00:00:00.000Z' } }));
}

jest.setTimeout(60_000);

describe('EventRelay', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let checkpoints: PostgresCheckpointStore;

  beforeAll(async () => {
    db = await createTestDatabase('messaging_relay');
    store = await createPostgresEventStore({ connectionString: db.url });
    checkpoints = new PostgresCheckpointStore(db.pool);
    await checkpoints.ensureSchema();
    ({ nc, js, jsm } = await connectTestJetStream('relay-test'));
  });

  afterAll(async () => {
    await store.close();
    await db.drop();
    await nc.drain();
  });

  const category = () => uniqueId('r').replace('-', '');

  it('gives a consumer created after its events were passed over every one of them, and the later ones', async () => {
    const category = `thing${uniqueId('c').replace(/[^a-zA-Z0-9]/g, '').toLowerCase()}`;
    const subject = `baton.evt.${category}.>`;
    const interest = new StreamInterest({ nc, jsm, refreshMs: 60_000, logger: quietLogger });
    await interest.start();
    const relay = new EventRelay({ name: `relay-${category}`, store, js, checkpoints, filter: { categories: [category] }, interest, logger: quietLogger, checkpointIntervalMs: 50 });
    const durable = `interest-${category}`;
    try {
      await relay.start();
      const first = await store.append(`${category}-1`, newEvents(3, 0));
      // The relay has moved past the three; unless some other consumer reads every subject, none was published.
      await waitFor(() => relay.lag().lastPosition !== undefined && comparePositions(relay.lag().lastPosition!, first.position) >= 0, { what: 'the relay to move past the first three' });
      if (interest.filters !== 'all' && !interest.wants(`baton.evt.${category}.thing-happened`)) {
        expect(relay.lag()).toMatchObject({ skipped: 3, published: 0 });
        expect(await countMessages(jsm, EVENTS_STREAM, subject)).toBe(0);
      }

      await jsm.consumers.add(EVENTS_STREAM, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: subject });
      await store.append(`${category}-1`, newEvents(2, 3));
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

  it('publishes committed events in order, checkpoints them, resumes from the checkpoint and reports its lag', async () => {
    const cat = category();
    for (let i = 0; i < 5; i++) await store.append(`${cat}-${i % 2}`, newEvents(3, i * 3));
    let now = 1_000;
    const relay = new EventRelay({ name: uniqueId('relay'), store, js, checkpoints, filter: { categories: [cat] }, checkpointEvery: 4, logger: quietLogger, now: () => now });
    await relay.start();
    await waitFor(() => relay.lag().published === 15, { what: '15 events published' });
    now += 250;
    const lag: RelayLag = relay.lag();
    expect(lag).toMatchObject({ running: true, published: 15, duplicates: 0, msSinceLastPublish: 250 });
    await relay.stop();
    expect(relay.lag().checkpoint).toEqual(relay.lag().lastPosition);

    const stored = await store.readAll({ filter: { categories: [cat] } });
    const msgs = await readMessages(js, jsm, EVENTS_STREAM, `baton.evt.${cat}.>`);
    expect(msgs.map((m) => m.headers!.get('Nats-Msg-Id')).sort()).toEqual(stored.map((e) => e.eventId).sort());
    // Order holds per stream (an event waits for its stream's previous PubAck; other streams' events may pass it).
    for (const streamId of [`${cat}-0`, `${cat}-1`]) {
      expect(msgs.filter((m) => m.headers!.get('Baton-Stream-Id') === streamId).map((m) => m.headers!.get('Nats-Msg-Id'))).toEqual(
        stored.filter((e) => e.streamId === streamId).map((e) => e.eventId),
      );
    }
    expect(msgs[0]!.subject).toBe(`baton.evt.${cat}.thing-happened`);

    await store.append(`${cat}-9`, newEvents(2, 100));
    const again = new EventRelay({ name: relay.lag().name, store, js, checkpoints, filter: { categories: [cat] }, logger: quietLogger });
    await again.start();
    await waitFor(() => again.lag().published === 2, { what: 'the two new events' });
    await again.stop();
    expect(again.lag().duplicates).toBe(0);
    expect(await countMessages(jsm, EVENTS_STREAM, `baton.evt.${cat}.>`)).toBe(17);
  });

  it('never moves the checkpoint past an event JetStream refuses, keeps publishing other streams meanwhile, and holds each stream back behind its refused event', async () => {
    const cat = category();
    const ok = (n: number): NewEvent[] => newEvents(1, n);
    // JetStream refuses messages over the stream's max_msg_size: b1 carries 16 KB, the others well under 1 KB.
    const refused: NewEvent[] = [{ type: 'ThingRefused', data: { blob: 'x'.repeat(16_384) }, metadata: { occurredAt: '2026-11-22T00:00:00.000Z' } }];
    await jsm.streams.update(EVENTS_STREAM, { max_msg_size: 8192 });
    const warnings: string[] = [];
    const relay = new EventRelay({
      name: uniqueId('relay-refused'),
      store,
      js,
      checkpoints,
      filter: { categories: [cat] },
      checkpointEvery: 1,
      checkpointIntervalMs: 20,
      retryMinMs: 10,
      retryMaxMs: 20,
      logger: { ...quietLogger, warn: (m: unknown) => void warnings.push(String(m)) },
    });
    try {
      // Global order: a1 a2 b1(refused) c1 a3 b2 c2; a3 and c1, c2 come after the refused event.
      await store.append(`${cat}-a`, ok(1));
      await store.append(`${cat}-a`, ok(2));
      await store.append(`${cat}-b`, refused);
      await store.append(`${cat}-c`, ok(3));
      await store.append(`${cat}-a`, ok(4));
      await store.append(`${cat}-b`, ok(5));
      await store.append(`${cat}-c`, ok(6));
      // A read sees a commit once no older transaction is still open: wait for all seven.
      const stored = await waitFor(
        async () => {
          const all = await store.readAll({ filter: { categories: [cat] } });
          return all.length === 7 ? all : undefined;
        },
        { what: 'the seven appended events to be readable' },
      );
      expect(stored.map((e) => e.type)).toEqual(['ThingHappened', 'ThingHappened', 'ThingRefused', 'ThingHappened', 'ThingHappened', 'ThingHappened', 'ThingHappened']);
      const beforeRefused = stored[1]!.position;

      await relay.start();
      // The five events of streams a and c are acked (three of them after the refused one);
      // b2 waits behind b1 in its stream, and the refused b1 keeps being retried.
      await waitFor(() => relay.lag().published === 5, { what: 'the events of streams a and c' });
      await waitFor(() => warnings.filter((w) => w.includes(stored[2]!.eventId)).length >= 3, { what: 'three refused publishes of b1' });
      expect(relay.lag().published).toBe(5);
      expect(relay.lag().lastPosition).toEqual(beforeRefused);
      await relay.flush();
      expect(await checkpoints.load(relay.lag().name)).toEqual(beforeRefused);
      const during = await readMessages(js, jsm, EVENTS_STREAM, `baton.evt.${cat}.thing-happened`);
      expect(during.map((m) => m.headers!.get('Nats-Msg-Id')).sort()).toEqual([0, 1, 3, 4, 6].map((i) => stored[i]!.eventId).sort());

      // JetStream takes the event again: the relay publishes b1, then b2, and moves the checkpoint to the end.
      await jsm.streams.update(EVENTS_STREAM, { max_msg_size: -1 });
      await waitFor(() => relay.lag().published === 7, { what: 'all seven events' });
      await relay.stop();
      expect(relay.lag().checkpoint).toEqual(stored[6]!.position);
      expect(await checkpoints.load(relay.lag().name)).toEqual(stored[6]!.position);
      const msgs = await readMessages(js, jsm, EVENTS_STREAM, `baton.evt.${cat}.>`);
      const ids = msgs.map((m) => m.headers!.get('Nats-Msg-Id'));
      expect([...ids].sort()).toEqual(stored.map((e) => e.eventId).sort());
      // Per-stream order holds in JetStream even though b1 landed after later events of a and c.
      for (const stream of ['a', 'b', 'c']) {
        const streamId = `${cat}-${stream}`;
        expect(msgs.filter((m) => m.headers!.get('Baton-Stream-Id') === streamId).map((m) => m.headers!.get('Nats-Msg-Id'))).toEqual(
          stored.filter((e) => e.streamId === streamId).map((e) => e.eventId),
        );
      }
    } finally {
      await relay.stop();
      await jsm.streams.update(EVENTS_STREAM, { max_msg_size: -1 });
    }
  });

  it('survives SIGKILL mid-stream: after a restart every committed event is in JetStream exactly once', async () => {
    const cat = category();
    const name = uniqueId('relay-crash');
    const total = 2000;
    const WINDOW = 64;
    const env = {
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl(),
      RELAY_NAME: name,
      RELAY_CATEGORY: cat,
      CHECKPOINT_EVERY: '150',
      CHECKPOINT_INTERVAL_MS: '60000',
      RELAY_WINDOW: String(WINDOW),
    };
    const first = startRelayProcess(env);
    let second: RelayChild | undefined;
    try {
      await waitReady(first);
      let appended = 0;
      const appending = (async () => {
        while (appended < total) {
          await store.append(`${cat}-${appended % 25}`, newEvents(2, appended));
          appended += 2;
        }
      })();

      await waitFor(async () => (await countMessages(jsm, EVENTS_STREAM, `baton.evt.${cat}.>`)) >= 400, {
        timeoutMs: 60_000,
        what: 'the first relay to publish 400 events',
      });
      first.proc.kill('SIGKILL');
      expect(await first.exited).toBeNull();
      const publishedBeforeKill = await countMessages(jsm, EVENTS_STREAM, `baton.evt.${cat}.>`);
      expect(publishedBeforeKill).toBeLessThan(total);
      const checkpoint: Position | undefined = await checkpoints.load(name);
      expect(checkpoint).toBeDefined();

      second = startRelayProcess(env);
      await waitReady(second);
      await appending;
      await waitFor(async () => (await countMessages(jsm, EVENTS_STREAM, `baton.evt.${cat}.>`)) >= total, {
        timeoutMs: 60_000,
        what: `all ${total} events in JetStream`,
      });
      second.proc.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      const statsLine = second.stdout.find((l) => l.startsWith('STATS '));
      expect(statsLine).toBeDefined();
      const stats = JSON.parse(statsLine!.slice('STATS '.length)) as RelayLag;

      const stored: RecordedEvent[] = await store.readAll({ filter: { categories: [cat] }, maxCount: 10_000 });
      expect(stored).toHaveLength(total);
      const msgs = await readMessages(js, jsm, EVENTS_STREAM, `baton.evt.${cat}.>`);
      const msgIds = msgs.map((m) => m.headers!.get('Nats-Msg-Id'));
      expect(msgIds).toHaveLength(total);
      expect(new Set(msgIds).size).toBe(total);
      expect([...msgIds].sort()).toEqual(stored.map((e) => e.eventId).sort());

      // The restarted relay resumed from the checkpoint: it republished exactly the events
      // the first one had published after its last checkpoint save, and JetStream dropped them.
      // (Up to a window of publishes can have been on their way when the first relay was
      // killed and reached the server after we counted.)
      const beforeCheckpoint = stored.filter((e) => comparePositions(e.position, checkpoint!) <= 0).length;
      expect(stats.published).toBe(total - beforeCheckpoint);
      const republished = publishedBeforeKill - beforeCheckpoint;
      expect(stats.duplicates).toBeGreaterThanOrEqual(republished);
      expect(stats.duplicates).toBeLessThanOrEqual(republished + WINDOW);
      expect(stats.checkpoint).toEqual(stored[stored.length - 1]!.position);
    } finally {
      for (const c of [first, second]) if (c && c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    }
  }, 180_000);
});
