import { comparePositions, formatPosition, type Position, type RecordedEvent } from '@baton/contracts';
import { createTestDatabase, waitFor, type TestDatabase } from '@baton/testing';
import { Client } from 'pg';
import type { EventFilter, EventStore, SubscribeOptions, Subscription } from './port';
import { createPostgresEventStore, type PostgresEventStore } from './postgres/postgres-event-store';
import { SharedSubscriptions } from './shared-subscriptions';

let db: TestDatabase;
let store: PostgresEventStore;
/** Store subscriptions opened through {@link countingStore}: the shared feed should open one. */
let storeSubscriptions: number;

/** The real store, with its `subscribe` calls counted. */
function countingStore(): EventStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'subscribe') {
        return (o: SubscribeOptions) => {
          storeSubscriptions++;
          return target.subscribe(o);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const meta = { occurredAt: '2026-01-01T00:00:00Z' };

/** The furthest position an append of this file has returned: `expected` waits until reads reach it. */
let appendedUpTo: Position | undefined;

async function append(streamId: string, type: string, n = 1): Promise<void> {
  const r = await store.append(
    streamId,
    Array.from({ length: n }, (_, i) => ({ type, data: { i }, metadata: meta })),
  );
  if (appendedUpTo === undefined || comparePositions(r.position, appendedUpTo) > 0) appendedUpTo = r.position;
}

/**
 * What `filter` selects from the whole store, in global order: what a consumer must have received.
 * Reads show events only below the oldest transaction open on the Postgres server (another test
 * file's, say): it first waits until they show every append this file made.
 */
async function expected(filter?: EventFilter): Promise<string[]> {
  const upTo = appendedUpTo;
  if (upTo !== undefined) {
    await waitFor(async () => (await store.readAll({ maxCount: 100_000 })).some((e) => comparePositions(e.position, upTo) >= 0), {
      what: 'reads to show every append',
      timeoutMs: 20_000,
    });
  }
  const all: RecordedEvent[] = [];
  for (;;) {
    const after = all[all.length - 1]?.position;
    const page = await store.readAll({ ...(after ? { after } : {}), maxCount: 1000, ...(filter ? { filter } : {}) });
    all.push(...page);
    if (page.length < 1000) return all.map((e) => e.eventId);
  }
}

interface Consumer {
  readonly sub: Subscription;
  readonly ids: string[];
  readonly positions: string[];
  errors: unknown[];
}

function consume(feed: SharedSubscriptions, options: Omit<SubscribeOptions, 'onEvent'> & { onEvent?: (e: RecordedEvent) => Promise<void> | void }): Consumer {
  const c: Consumer = { sub: undefined as unknown as Subscription, ids: [], positions: [], errors: [] };
  (c as { sub: Subscription }).sub = feed.subscribe({
    ...options,
    onEvent: async (e) => {
      await options.onEvent?.(e);
      c.ids.push(e.eventId);
      c.positions.push(formatPosition(e.position));
    },
    onError: (err) => c.errors.push(err),
  });
  return c;
}

async function until(c: Consumer, filter: EventFilter | undefined, what: string): Promise<void> {
  const want = await expected(filter);
  await waitFor(() => c.ids.length >= want.length, { what, timeoutMs: 20_000 });
  expect(c.ids).toEqual(want);
  expect(new Set(c.ids).size).toBe(c.ids.length);
}

beforeEach(async () => {
  db = await createTestDatabase('shared_subs');
  store = await createPostgresEventStore({ connectionString: db.url, pollIntervalMs: 200 });
  storeSubscriptions = 0;
});

afterEach(async () => {
  await store.close();
  await db.drop();
});

const TASKS: EventFilter = { categories: ['task'] };
const RUNS: EventFilter = { categories: ['run'] };
const ASSIGNED: EventFilter = { categories: ['task'], eventTypes: ['TaskAssigned'] };

describe('SharedSubscriptions', () => {
  it('delivers to each consumer its events in global order, none skipped or twice, over one store subscription', async () => {
    await append('task-1', 'TaskCreated', 5);
    await append('run-1', 'RunStarted', 3);
    const feed = new SharedSubscriptions(countingStore());
    const tasks = consume(feed, { from: 'start', filter: TASKS });
    const runs = consume(feed, { from: 'start', filter: RUNS });
    const assigned = consume(feed, { from: 'start', filter: ASSIGNED });
    const all = consume(feed, { from: 'start' });
    await waitFor(() => tasks.sub.isLive && runs.sub.isLive && assigned.sub.isLive && all.sub.isLive, { what: 'live' });
    // Concurrent appends: commits interleave, and the reads below the horizon still see them in order.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => append(i % 3 === 0 ? `run-${i}` : `task-${i % 5}`, i % 4 === 0 ? 'TaskAssigned' : 'TaskReported', 1 + (i % 3))),
    );
    await until(tasks, TASKS, 'task events');
    await until(runs, RUNS, 'run events');
    await until(assigned, ASSIGNED, 'TaskAssigned events');
    await until(all, undefined, 'all events');
    expect(storeSubscriptions).toBe(1);
    expect(feed.isFollowing).toBe(true);
    await feed.close();
    expect(feed.isFollowing).toBe(false);
  });

  it('sees a commit hidden behind an older open transaction once it ends, in its place', async () => {
    const feed = new SharedSubscriptions(store);
    const c = consume(feed, { from: 'start' });
    await waitFor(() => c.sub.isLive, { what: 'live' });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT baton_es.append($1, $2, NULL, $3::jsonb)', [
      'task-held',
      'any',
      JSON.stringify([{ eventId: crypto.randomUUID(), type: 'TaskCreated', schemaVersion: 1, data: {}, metadata: meta, i: 0 }]),
    ]);
    await append('task-after', 'TaskCreated', 2);
    await new Promise((r) => setTimeout(r, 100));
    // The later commit waits behind the open transaction: delivering it first would skip the held one.
    expect(c.ids).toEqual([]);
    await client.query('COMMIT');
    await client.end();
    await until(c, undefined, 'held and later events');
    await feed.close();
  });

  it('a slow consumer neither holds the others back nor skips or repeats (also past its queue limit)', async () => {
    const feed = new SharedSubscriptions(store, { maxQueued: 5 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow = consume(feed, { from: 'start', filter: TASKS, onEvent: () => gate });
    const fast = consume(feed, { from: 'start', filter: TASKS });
    await waitFor(() => fast.sub.isLive, { what: 'fast live' });
    for (let i = 0; i < 30; i++) await append(`task-${i % 4}`, 'TaskReported');
    await until(fast, TASKS, 'fast consumer');
    // The slow one is still inside its first handler while the fast one has everything.
    expect(slow.ids).toEqual([]);
    release();
    await until(slow, TASKS, 'slow consumer');
    for (let i = 0; i < 10; i++) await append('task-9', 'TaskReported');
    await until(slow, TASKS, 'slow consumer, live again');
    await until(fast, TASKS, 'fast consumer, live again');
    await feed.close();
  });

  it('a consumer starting behind catches up from its own checkpoint, then joins the live feed', async () => {
    const feed = new SharedSubscriptions(countingStore());
    const early = consume(feed, { from: 'start', filter: TASKS });
    await waitFor(() => early.sub.isLive, { what: 'early live' });
    await append('task-1', 'TaskCreated', 30);
    await until(early, TASKS, 'early consumer');
    const checkpoint = (await store.readAll({ maxCount: 10 }))[9]!.position;
    // Small pages: several reads on its own before it joins, while appends keep coming.
    const late = consume(feed, { from: checkpoint, filter: TASKS, batchSize: 4 });
    const lateRuns = consume(feed, { from: 'start', filter: RUNS });
    for (let i = 0; i < 10; i++) await append(i % 2 ? 'task-2' : 'run-2', 'TaskReported');
    await waitFor(() => late.sub.isLive && lateRuns.sub.isLive, { what: 'late live' });
    await append('task-3', 'TaskCreated', 3);
    await append('run-3', 'RunStarted', 2);
    const want = (await expected(TASKS)).slice(10);
    await waitFor(() => late.ids.length >= want.length, { what: 'late consumer' });
    expect(late.ids).toEqual(want);
    await until(lateRuns, RUNS, 'late run consumer (the shared read widened to runs)');
    await until(early, TASKS, 'early consumer, after the late ones joined');
    // The first store subscription covered tasks only; the run consumer restarted it, wider.
    expect(storeSubscriptions).toBe(2);
    await feed.close();
  });

  it('from end: only what commits after the subscription; a consumer joining later misses nothing of its own', async () => {
    await append('task-1', 'TaskCreated', 3);
    const feed = new SharedSubscriptions(countingStore());
    const c = consume(feed, { from: 'end' });
    await waitFor(() => c.sub.isLive, { what: 'live' });
    const runs = consume(feed, { from: 'start', filter: RUNS });
    await append('task-2', 'TaskCreated', 2);
    await append('run-2', 'RunStarted', 2);
    await waitFor(() => c.ids.length >= 4, { what: 'new events' });
    expect(c.ids).toEqual((await expected()).slice(3));
    await until(runs, RUNS, 'run consumer');
    // Started from the end, the shared read is unfiltered: the run consumer needed no restart.
    expect(storeSubscriptions).toBe(1);
    await feed.close();
  });

  it('stop: no event after it resolves, and the store is no longer read once every consumer stopped', async () => {
    const feed = new SharedSubscriptions(store);
    const a = consume(feed, { from: 'start' });
    const b = consume(feed, { from: 'start' });
    await waitFor(() => a.sub.isLive && b.sub.isLive, { what: 'live' });
    await append('task-1', 'TaskCreated', 2);
    await until(a, undefined, 'a');
    await a.sub.stop();
    await append('task-1', 'TaskReported', 2);
    await until(b, undefined, 'b after a stopped');
    expect(a.ids).toHaveLength(2);
    expect(feed.isFollowing).toBe(true);
    await b.sub.stop();
    await waitFor(() => !feed.isFollowing, { what: 'shared subscription stopped' });
    // A new consumer starts the shared read again.
    const c = consume(feed, { from: 'start' });
    await until(c, undefined, 'a consumer after a restart');
    await feed.close();
    expect(() => feed.subscribe({ from: 'start', onEvent: () => undefined })).toThrow(/closed/);
  });

  it("a consumer's handler failure stops that consumer only and goes to its onError", async () => {
    const feed = new SharedSubscriptions(store);
    const boom = new Error('handler failed');
    const failing = consume(feed, {
      from: 'start',
      onEvent: (e) => {
        if (e.type === 'Bad') throw boom;
      },
    });
    const healthy = consume(feed, { from: 'start' });
    await waitFor(() => failing.sub.isLive && healthy.sub.isLive, { what: 'live' });
    await append('task-1', 'Good');
    await append('task-1', 'Bad');
    await append('task-1', 'Good', 2);
    await waitFor(() => failing.errors.length === 1, { what: 'onError' });
    expect(failing.errors[0]).toBe(boom);
    expect(failing.ids).toHaveLength(1);
    await until(healthy, undefined, 'healthy consumer');
    await feed.close();
  });

  it('refuses a bad filter or batch size with a coded error, and subscribes nothing', () => {
    const feed = new SharedSubscriptions(store);
    expect(() => feed.subscribe({ from: 'start', filter: { categories: [] }, onEvent: () => undefined })).toThrow(expect.objectContaining({ code: expect.any(String) }));
    expect(() => feed.subscribe({ from: 'start', batchSize: 0, onEvent: () => undefined })).toThrow(expect.objectContaining({ code: expect.any(String) }));
    expect(feed.isFollowing).toBe(false);
  });
});
