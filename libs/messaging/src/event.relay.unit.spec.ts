import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { Position, RecordedEvent } from '@baton/contracts';
import type { EventStore, SubscribeOptions, Subscription } from '@baton/event-store';
import { waitFor } from '@baton/testing';
import { EventRelay } from './event.relay';
import type { EventInterest } from './relay-interest';
import type { CheckpointStore } from './checkpoint.store';
import { makeRecordedEvent } from './testing/jetstream-test.helpers';

const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** Delivers the given events, one at a time, to the subscription (like the real catch-up subscription). */
function fakeStore(events: RecordedEvent[]): EventStore & { froms: SubscribeOptions['from'][] } {
  const froms: SubscribeOptions['from'][] = [];
  const subscribe = (options: SubscribeOptions): Subscription => {
    froms.push(options.from);
    let stopped = false;
    let position: Position | undefined;
    const after = options.from === 'start' || options.from === 'end' ? undefined : options.from;
    const run = (async () => {
      for (const e of events) {
        if (stopped) return;
        if (after && (e.position.commit < after.commit || (e.position.commit === after.commit && e.position.prepare <= after.prepare))) continue;
        try {
          await options.onEvent(e);
        } catch (err) {
          options.onError?.(err);
          return;
        }
        position = e.position;
      }
      options.onCaughtUp?.(position);
    })();
    return {
      get position() {
        return position;
      },
      isLive: false,
      async stop() {
        stopped = true;
        await run;
      },
    };
  };
  const unused = () => Promise.reject(new Error('not used by the relay'));
  return {
    froms,
    subscribe,
    append: unused,
    readStream: unused,
    readAll: unused,
    verifyStream: unused,
    listStreams: () => ({ [Symbol.asyncIterator]: () => ({ next: unused }) }),
    close: () => Promise.resolve(),
  };
}

function fakeJetStream(failFirst = 0): JetStreamClient & { published: string[] } {
  const published: string[] = [];
  const seen = new Set<string>();
  let failures = failFirst;
  const js = {
    published,
    publish: async (_subject: string, _data: unknown, opts?: { msgID?: string }): Promise<PubAck> => {
      if (failures > 0) {
        failures--;
        throw new Error('no responders');
      }
      const id = opts?.msgID ?? '';
      const duplicate = seen.has(id);
      seen.add(id);
      if (!duplicate) published.push(id);
      return { stream: 'S', seq: published.length, duplicate, domain: '' } as PubAck;
    },
  };
  return js as unknown as JetStreamClient & { published: string[] };
}

/** JetStream whose PubAcks wait until the test acks them, by event id. */
function heldJetStream(): JetStreamClient & { sent: string[]; ack(id: string): void } {
  const sent: string[] = [];
  const waiting = new Map<string, () => void>();
  const js = {
    sent,
    ack: (id: string) => waiting.get(id)!(),
    publish: (_subject: string, _data: unknown, opts?: { msgID?: string }): Promise<PubAck> => {
      const id = opts?.msgID ?? '';
      sent.push(id);
      return new Promise((resolve) => waiting.set(id, () => resolve({ stream: 'S', seq: sent.length, duplicate: false, domain: '' } as PubAck)));
    },
  };
  return js as unknown as JetStreamClient & { sent: string[]; ack(id: string): void };
}

function memoryCheckpoints(initial?: Position): CheckpointStore & { saves: Position[] } {
  const saves: Position[] = [];
  let current = initial;
  return {
    saves,
    load: () => Promise.resolve(current),
    save: (_name, p) => {
      saves.push(p);
      current = p;
      return Promise.resolve();
    },
  };
}

const events = (n: number) => Array.from({ length: n }, (_, i) => makeRecordedEvent('thing-1', i));

describe('EventRelay (unit)', () => {
  it('saves the checkpoint every N events and once more on stop, never per event', async () => {
    const all = events(10);
    const checkpoints = memoryCheckpoints();
    const js = fakeJetStream();
    const relay = new EventRelay({ name: 'r', store: fakeStore(all), js, checkpoints, checkpointEvery: 4, checkpointIntervalMs: 3_600_000, logger: quietLogger });
    await relay.start();
    await waitFor(() => relay.lag().published === 10, { what: 'all events' });
    await relay.stop();
    expect(js.published).toEqual(all.map((e) => e.eventId));
    expect(checkpoints.saves).toEqual([all[3]!.position, all[7]!.position, all[9]!.position]);
  });

  it('resumes after the stored checkpoint', async () => {
    const all = events(6);
    const store = fakeStore(all);
    const js = fakeJetStream();
    const relay = new EventRelay({ name: 'r', store, js, checkpoints: memoryCheckpoints(all[3]!.position), checkpointIntervalMs: 3_600_000, logger: quietLogger });
    await relay.start();
    await waitFor(() => relay.lag().published === 2, { what: 'the two events after the checkpoint' });
    await relay.stop();
    expect(store.froms).toEqual([all[3]!.position]);
    expect(js.published).toEqual([all[4]!.eventId, all[5]!.eventId]);
  });

  it('retries a failed publish instead of skipping the event or advancing the checkpoint', async () => {
    const all = events(3);
    const checkpoints = memoryCheckpoints();
    const js = fakeJetStream(3);
    const relay = new EventRelay({ name: 'r', store: fakeStore(all), js, checkpoints, retryMinMs: 1, retryMaxMs: 2, checkpointIntervalMs: 3_600_000, logger: quietLogger });
    await relay.start();
    await waitFor(() => relay.lag().published === 3, { what: 'all events despite failures' });
    await relay.stop();
    expect(js.published).toEqual(all.map((e) => e.eventId));
    expect(checkpoints.saves).toEqual([all[2]!.position]);
  });

  it('keeps a window of publishes awaiting their PubAcks, one per stream, and checkpoints only the acked prefix', async () => {
    // Global order: a0 b0 a1 c0 d0; a window of four (an event held behind its stream counts).
    const [a0, b0, a1, c0, d0] = [
      makeRecordedEvent('thing-a', 0, { position: { commit: 1, prepare: 0 } }),
      makeRecordedEvent('thing-b', 0, { position: { commit: 2, prepare: 0 } }),
      makeRecordedEvent('thing-a', 1, { position: { commit: 3, prepare: 0 } }),
      makeRecordedEvent('thing-c', 0, { position: { commit: 4, prepare: 0 } }),
      makeRecordedEvent('thing-d', 0, { position: { commit: 5, prepare: 0 } }),
    ];
    const checkpoints = memoryCheckpoints();
    const js = heldJetStream();
    const relay = new EventRelay({ name: 'r', store: fakeStore([a0!, b0!, a1!, c0!, d0!]), js, checkpoints, window: 4, checkpointEvery: 1, checkpointIntervalMs: 3_600_000, logger: quietLogger });
    await relay.start();
    // a1 waits for a0's ack (same stream); c0 fills the window; d0 waits for room.
    await waitFor(() => js.sent.length === 3, { what: 'three publishes in flight' });
    expect(js.sent).toEqual([a0!.eventId, b0!.eventId, c0!.eventId]);

    js.ack(b0!.eventId);
    js.ack(c0!.eventId);
    await waitFor(() => relay.lag().published === 2, { what: 'two acks' });
    // b0 and c0 are acked, a0 is not: the position stays before a0.
    expect(relay.lag().lastPosition).toBeUndefined();
    expect(checkpoints.saves).toEqual([]);
    expect(js.sent).toEqual([a0!.eventId, b0!.eventId, c0!.eventId]);

    js.ack(a0!.eventId);
    await waitFor(() => js.sent.length === 5, { what: 'a1 and d0 sent once a0 is acked' });
    expect(js.sent.slice(3).sort()).toEqual([a1!.eventId, d0!.eventId].sort());
    // a1 (held until now) is not acked yet: the position stops before it, though c0 is acked.
    expect(relay.lag().lastPosition).toEqual(b0!.position);
    js.ack(d0!.eventId);
    js.ack(a1!.eventId);
    await waitFor(() => relay.lag().published === 5, { what: 'all five' });
    await relay.stop();
    expect(relay.lag().checkpoint).toEqual(d0!.position);
    expect(checkpoints.saves.every((p, i) => i === 0 || p.commit > checkpoints.saves[i - 1]!.commit)).toBe(true);
  });

  it('refuses a window, read batch or checkpoint interval that is not a whole number >= 1', () => {
    const make = (o: { window?: number; readBatchSize?: number; checkpointEvery?: number }) => () =>
      new EventRelay({ name: 'r', store: fakeStore([]), js: fakeJetStream(), checkpoints: memoryCheckpoints(), logger: quietLogger, ...o });
    for (const bad of [{ window: 0 }, { readBatchSize: 1.5 }, { checkpointEvery: -1 }]) {
      expect(make(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });

  it('counts republished events JetStream reports as duplicates', async () => {
    const all = events(2);
    const js = fakeJetStream();
    await js.publish('x', '', { msgID: all[0]!.eventId });
    const relay = new EventRelay({ name: 'r', store: fakeStore(all), js, checkpoints: memoryCheckpoints(), checkpointIntervalMs: 3_600_000, logger: quietLogger });
    await relay.start();
    await waitFor(() => relay.lag().published === 2, { what: 'both events' });
    await relay.stop();
    expect(relay.lag()).toMatchObject({ published: 2, duplicates: 1, running: false });
  });

  describe('with an interest', () => {
    /** Wants the subjects it is told, and tells the relay when told more. */
    function settableInterest(wanted: string[]): EventInterest & { widen(subject: string): void } {
      const listeners = new Set<() => void>();
      return {
        wants: (subject) => wanted.includes(subject),
        onWidened: (l) => {
          listeners.add(l);
          return () => listeners.delete(l);
        },
        widen: (subject) => {
          wanted.push(subject);
          for (const l of listeners) l();
        },
      };
    }
    // Alternating types on one stream: TestHappened (wanted) and OtherHappened (not).
    const mixed = (n: number) => Array.from({ length: n }, (_, i) => makeRecordedEvent('thing-1', i, i % 2 === 0 ? {} : { type: 'OtherHappened' }));

    it('publishes only the wanted subjects and moves the checkpoint past the others', async () => {
      const all = mixed(6);
      const checkpoints = memoryCheckpoints();
      const js = fakeJetStream();
      const relay = new EventRelay({ name: 'r', store: fakeStore(all), js, checkpoints, checkpointIntervalMs: 3_600_000, logger: quietLogger, interest: settableInterest(['baton.evt.thing.test-happened']) });
      await relay.start();
      await waitFor(() => relay.lag().published === 3 && relay.lag().skipped === 3, { what: 'three published, three passed over' });
      await relay.stop();
      expect(js.published).toEqual([all[0]!.eventId, all[2]!.eventId, all[4]!.eventId]);
      expect(checkpoints.saves.at(-1)).toEqual(all[5]!.position);
    });

    it('publishes the events it passed over when a consumer of them appears within the grace period, and only those', async () => {
      const all = mixed(6);
      let now = 1_000_000;
      const js = fakeJetStream();
      const interest = settableInterest(['baton.evt.thing.test-happened']);
      const relay = new EventRelay({ name: 'r', store: fakeStore(all), js, checkpoints: memoryCheckpoints(), checkpointIntervalMs: 3_600_000, logger: quietLogger, interest, interestGraceMs: 5000, now: () => now });
      await relay.start();
      await waitFor(() => relay.lag().skipped === 3, { what: 'three passed over' });
      now += 6000; // past the grace period: none is published when the interest widens
      interest.widen('baton.evt.thing.other-happened');
      await relay.stop();
      expect(js.published).toEqual([all[0]!.eventId, all[2]!.eventId, all[4]!.eventId]);

      const later = mixed(4);
      const js2 = fakeJetStream();
      const interest2 = settableInterest(['baton.evt.thing.test-happened']);
      const relay2 = new EventRelay({ name: 'r2', store: fakeStore(later), js: js2, checkpoints: memoryCheckpoints(), checkpointIntervalMs: 3_600_000, logger: quietLogger, interest: interest2, interestGraceMs: 5000, now: () => now });
      await relay2.start();
      await waitFor(() => relay2.lag().skipped === 2, { what: 'two passed over' });
      interest2.widen('baton.evt.thing.other-happened');
      await waitFor(() => relay2.lag().published === 4, { what: 'the two passed over, published after all' });
      await relay2.stop();
      expect(js2.published).toEqual([later[0]!.eventId, later[2]!.eventId, later[1]!.eventId, later[3]!.eventId]);
    });
  });
});
