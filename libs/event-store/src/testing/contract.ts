import { randomBytes, randomUUID } from 'node:crypto';
import { comparePositions, errorCodeOf, type NewEvent, type Position, type RecordedEvent } from '@baton/contracts';
import { waitFor } from '@baton/testing';
import type { EventStore, Subscription, SubscribeOptions } from '../port';

/** A held-open append: the events are written in a transaction that commits on `commit()`. */
export interface HeldAppend {
  commit(): Promise<void>;
}

/** What one adapter gives the contract suite. */
export interface ContractContext {
  readonly store: EventStore;
  /** Another store on the same backend, as a second process would have. */
  openStore(): Promise<EventStore>;
  /**
   * Alters a stored event of the stream behind the store's back and returns the revision
   * `verifyStream` must name as broken.
   */
  tamper(streamId: string): Promise<number>;
  /**
   * Appends in a transaction that stays open until `commit()` (adapters with transactions:
   * Postgres). Used to force commits that land after later-started appends.
   */
  appendHeldOpen?(streamId: string, events: readonly NewEvent[]): Promise<HeldAppend>;
  close(): Promise<void>;
}

export interface ContractOptions {
  /** Concurrent writers in the late-commit test. Default 8. */
  readonly writers?: number;
  /** Appends per writer in the late-commit test. Default 200. */
  readonly appendsPerWriter?: number;
}

const occurredAt = '2026-01-01T00:00:00.000Z';
/** Per-test deadline: generous, since these run on shared machines; nothing asserts speed. */
const TIMEOUT_MS = 60_000;

/** A fresh category (no dash), so each test sees only its own streams through filters. */
function category(): string {
  return `c${randomBytes(5).toString('hex')}`;
}

function ev(type: string, data: unknown = {}, eventId?: string): NewEvent {
  return eventId === undefined ? { type, data, metadata: { occurredAt } } : { eventId, type, data, metadata: { occurredAt } };
}

function types(events: readonly RecordedEvent[]): string[] {
  return events.map((e) => e.type);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Collects a subscription's events; fails the test on duplicates or out-of-order positions. */
function collect(store: EventStore, options: Omit<SubscribeOptions, 'onEvent'>): { sub: Subscription; events: RecordedEvent[]; errors: unknown[] } {
  const events: RecordedEvent[] = [];
  const errors: unknown[] = [];
  const sub = store.subscribe({
    ...options,
    onEvent: (e) => {
      const last = events[events.length - 1];
      if (last && comparePositions(e.position, last.position) <= 0) errors.push(new Error(`out of order: ${JSON.stringify(e.position)} after ${JSON.stringify(last.position)}`));
      events.push(e);
    },
    onError: (err) => errors.push(err),
  });
  return { sub, events, errors };
}

/**
 * Runs `body` with what {@link collect} collects, then expects no error (nor event out of
 * order) to have come; the subscription stops whatever happened.
 */
async function whileCollecting(store: EventStore, options: Omit<SubscribeOptions, 'onEvent'>, body: (c: ReturnType<typeof collect>) => Promise<void>): Promise<void> {
  const c = collect(store, options);
  try {
    await body(c);
    expect(c.errors).toEqual([]);
  } finally {
    await c.sub.stop();
  }
}

/**
 * The `EventStore` contract, written once and run against every adapter.
 *
 * @example
 * runEventStoreContract('postgres', async () => ({ store, openStore, tamper, appendHeldOpen, close }));
 */
export function runEventStoreContract(name: string, factory: () => Promise<ContractContext>, opts: ContractOptions = {}): void {
  describe(`EventStore contract: ${name}`, () => {
    let ctx: ContractContext;
    let store: EventStore;
    beforeAll(async () => {
      ctx = await factory();
      store = ctx.store;
    }, TIMEOUT_MS);
    afterAll(async () => {
      await ctx?.close();
    }, TIMEOUT_MS);

    describe('append', () => {
      it('honours every kind of expected revision', async () => {
        const s = `${category()}-1`;
        const r0 = await store.append(s, [ev('A'), ev('B')], { expectedRevision: 'no_stream' });
        expect(r0).toMatchObject({ streamId: s, firstRevision: 0, nextExpectedRevision: 1, duplicate: false });
        expect(r0.eventIds).toHaveLength(2);
        const r1 = await store.append(s, [ev('C')], { expectedRevision: 1 });
        expect(r1).toMatchObject({ firstRevision: 2, nextExpectedRevision: 2 });
        expect(comparePositions(r1.position, r0.position)).toBeGreaterThan(0);
        const r2 = await store.append(s, [ev('D')], { expectedRevision: 'stream_exists' });
        expect(r2.nextExpectedRevision).toBe(3);
        const r3 = await store.append(s, [ev('E')], { expectedRevision: 'any' });
        const r4 = await store.append(s, [ev('F')]);
        expect([r3.nextExpectedRevision, r4.nextExpectedRevision]).toEqual([4, 5]);
        const read = await store.readStream(s);
        expect(types(read)).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(read[0]!.eventId).toBe(r0.eventIds[0]);
        expect(read[5]!.position).toEqual(r4.position);
      }, TIMEOUT_MS);

      it('rejects a wrong expected revision with a typed error and appends nothing', async () => {
        const s = `${category()}-1`;
        const missing = await rejection(store.append(s, [ev('A')], { expectedRevision: 'stream_exists' }));
        expect(errorCodeOf(missing)).toBe('WRONG_EXPECTED_VERSION');
        expect((missing as { details: unknown }).details).toMatchObject({ streamId: s, expected: 'stream_exists', actual: 'no_stream' });
        const atZero = await rejection(store.append(s, [ev('A')], { expectedRevision: 0 }));
        expect((atZero as { details: unknown }).details).toMatchObject({ expected: '0', actual: 'no_stream' });
        expect(await store.readStream(s)).toEqual([]);

        await store.append(s, [ev('A'), ev('B')], { expectedRevision: 'no_stream' });
        const again = await rejection(store.append(s, [ev('X')], { expectedRevision: 'no_stream' }));
        expect(errorCodeOf(again)).toBe('WRONG_EXPECTED_VERSION');
        expect((again as { details: unknown }).details).toMatchObject({ expected: 'no_stream', actual: '1' });
        const stale = await rejection(store.append(s, [ev('X'), ev('Y')], { expectedRevision: 0 }));
        expect((stale as { details: unknown }).details).toMatchObject({ expected: '0', actual: '1' });
        expect((stale as { retryable: boolean }).retryable).toBe(true);
        expect(types(await store.readStream(s))).toEqual(['A', 'B']);
      }, TIMEOUT_MS);

      it('validates input at the port and appends nothing when it is bad', async () => {
        const s = `${category()}-1`;
        const bad: Array<[string, Promise<unknown>]> = [
          ['empty stream id', store.append('', [ev('A')])],
          ['no events', store.append(s, [])],
          ['empty type', store.append(s, [ev('')])],
          ['undefined data', store.append(s, [{ type: 'A', data: undefined, metadata: { occurredAt } }])],
          ['function in data', store.append(s, [ev('A', { f: () => 1 })])],
          ['bigint in data', store.append(s, [ev('A', { n: BigInt(1) })])],
          ['no occurredAt', store.append(s, [{ type: 'A', data: {}, metadata: {} as never }])],
          ['bad event id', store.append(s, [ev('A', {}, 'not-a-uuid')])],
          ['bad expected revision', store.append(s, [ev('A')], { expectedRevision: -3 })],
          ['valid then invalid', store.append(s, [ev('A'), ev('B', { d: new Date() })])],
        ];
        for (const [label, p] of bad) {
          const err = await rejection(p);
          expect([label, errorCodeOf(err)]).toEqual([label, 'VALIDATION_FAILED']);
        }
        expect(await store.readStream(s)).toEqual([]);
      }, TIMEOUT_MS);

      it('is idempotent by command id: the retry returns the first result and appends nothing', async () => {
        const s = `${category()}-1`;
        const commandId = randomUUID();
        const first = await store.append(s, [ev('A'), ev('B')], { expectedRevision: 'no_stream', commandId });
        const retry = await store.append(s, [ev('A'), ev('B')], { expectedRevision: 'no_stream', commandId });
        expect(retry).toEqual({ ...first, duplicate: true });
        const next = await store.append(s, [ev('C')], { expectedRevision: 1, commandId: randomUUID() });
        expect(next.firstRevision).toBe(2);
        // Long after, with the stream moved on: still the first outcome.
        const late = await store.append(s, [ev('A'), ev('B')], { expectedRevision: 'no_stream', commandId });
        expect(late).toEqual({ ...first, duplicate: true });
        expect(types(await store.readStream(s))).toEqual(['A', 'B', 'C']);
      }, TIMEOUT_MS);

      it('is idempotent by event id', async () => {
        const s = `${category()}-1`;
        const ids = [randomUUID(), randomUUID()];
        const first = await store.append(s, [ev('A', { n: 1 }, ids[0]), ev('B', { n: 2 }, ids[1])], { expectedRevision: 'no_stream' });
        expect(first.eventIds).toEqual(ids);
        const retry = await store.append(s, [ev('A', { n: 1 }, ids[0]), ev('B', { n: 2 }, ids[1])], { expectedRevision: 'no_stream' });
        expect(retry).toEqual({ ...first, duplicate: true });
        expect((await store.readStream(s)).map((e) => e.eventId)).toEqual(ids);
      }, TIMEOUT_MS);
    });

    describe('reading', () => {
      let s: string;
      let cat: string;
      beforeAll(async () => {
        cat = category();
        s = `${cat}-r`;
        await store.append(s, Array.from({ length: 10 }, (_, i) => ev(`E${i}`, { i })), { expectedRevision: 'no_stream' });
      });

      it('reads a stream forwards and backwards from a revision, with maxCount', async () => {
        expect(types(await store.readStream(s))).toEqual(Array.from({ length: 10 }, (_, i) => `E${i}`));
        expect(types(await store.readStream(s, { fromRevision: 3, maxCount: 4 }))).toEqual(['E3', 'E4', 'E5', 'E6']);
        expect(types(await store.readStream(s, { direction: 'backwards', maxCount: 3 }))).toEqual(['E9', 'E8', 'E7']);
        expect(types(await store.readStream(s, { direction: 'backwards', fromRevision: 4, maxCount: 2 }))).toEqual(['E4', 'E3']);
        expect(types(await store.readStream(s, { fromRevision: 8 }))).toEqual(['E8', 'E9']);
        expect(await store.readStream(`${cat}-missing`)).toEqual([]);
        const all = await store.readStream(s);
        expect(all[0]!.prevHash).toBe('0'.repeat(64));
        for (let i = 1; i < all.length; i++) expect(all[i]!.prevHash).toBe(all[i - 1]!.hash);
        expect(all[3]!.data).toEqual({ i: 3 });
        expect(all[3]!.metadata.occurredAt).toBe(occurredAt);
        expect(all[3]!.schemaVersion).toBe(1);
      }, TIMEOUT_MS);

      it('reads all streams after a position, filtered by category and event type', async () => {
        const other = `${cat}-other`;
        await store.append(other, [ev('E1'), ev('X')]);
        const byCategory = await waitFor(
          async () => {
            const got = await store.readAll({ filter: { categories: [cat] } });
            return got.length === 12 ? got : undefined;
          },
          { what: 'readAll by category' },
        );
        for (let i = 1; i < byCategory.length; i++) expect(comparePositions(byCategory[i]!.position, byCategory[i - 1]!.position)).toBeGreaterThan(0);
        const after = byCategory[4]!.position;
        const rest = await store.readAll({ after, filter: { categories: [cat] } });
        expect(rest.map((e) => e.eventId)).toEqual(byCategory.slice(5).map((e) => e.eventId));
        const page = await store.readAll({ after, maxCount: 3, filter: { categories: [cat] } });
        expect(page.map((e) => e.eventId)).toEqual(byCategory.slice(5, 8).map((e) => e.eventId));
        const byType = await store.readAll({ filter: { categories: [cat], eventTypes: ['E1', 'X'] } });
        expect(byType.map((e) => `${e.streamId}:${e.type}`)).toEqual([`${s}:E1`, `${other}:E1`, `${other}:X`]);
        const typeOnly = await store.readAll({ after: byCategory[0]!.position, filter: { eventTypes: ['X'] } });
        expect(typeOnly.some((e) => e.streamId === other)).toBe(true);
        expect(typeOnly.every((e) => e.type === 'X')).toBe(true);
      }, TIMEOUT_MS);

      it('lists streams', async () => {
        const seen = new Set<string>();
        for await (const id of store.listStreams()) seen.add(id);
        expect(seen.has(s)).toBe(true);
      }, TIMEOUT_MS);
    });

    describe('catch-up subscriptions', () => {
      it('delivers history from the start, then live events', async () => {
        const cat = category();
        await store.append(`${cat}-a`, [ev('H1'), ev('H2')]);
        await store.append(`${cat}-b`, [ev('H3')]);
        let caughtUp: Position | undefined | null = null;
        await whileCollecting(store, { from: 'start', filter: { categories: [cat] }, batchSize: 2, onCaughtUp: (p) => (caughtUp = p) }, async (c) => {
          await waitFor(() => c.sub.isLive && c.events.length === 3, { what: 'history' });
          expect(types(c.events)).toEqual(['H1', 'H2', 'H3']);
          expect(caughtUp).toEqual(c.events[2]!.position);
          await store.append(`${cat}-a`, [ev('L1')]);
          await store.append(`${cat}-c`, [ev('L2'), ev('L3')]);
          await waitFor(() => c.events.length === 6, { what: 'live events' });
          expect(types(c.events)).toEqual(['H1', 'H2', 'H3', 'L1', 'L2', 'L3']);
          expect(c.sub.position).toEqual(c.events[5]!.position);
        });
      }, TIMEOUT_MS);

      it('resumes after a checkpoint, filtered by event type', async () => {
        const cat = category();
        const r = await store.append(`${cat}-a`, [ev('A'), ev('B'), ev('A'), ev('B')]);
        const all = await waitFor(async () => {
          const got = await store.readAll({ filter: { categories: [cat] } });
          return got.length === 4 ? got : undefined;
        });
        expect(all[3]!.position).toEqual(r.position);
        await whileCollecting(store, { from: all[1]!.position, filter: { categories: [cat], eventTypes: ['A'] } }, async (c) => {
          await waitFor(() => c.sub.isLive, { what: 'live' });
          await store.append(`${cat}-b`, [ev('B'), ev('A')]);
          await waitFor(() => c.events.length === 2, { what: 'two A events' });
          expect(c.events.map((e) => `${e.streamId}:${e.revision}`)).toEqual([`${cat}-a:2`, `${cat}-b:1`]);
        });
      }, TIMEOUT_MS);

      it("from 'end' delivers only events appended after it went live", async () => {
        const cat = category();
        await store.append(`${cat}-a`, [ev('Old')]);
        await whileCollecting(store, { from: 'end', filter: { categories: [cat] } }, async (c) => {
          await waitFor(() => c.sub.isLive, { what: 'live' });
          await store.append(`${cat}-a`, [ev('New')]);
          await waitFor(() => c.events.length === 1, { what: 'new event' });
          expect(types(c.events)).toEqual(['New']);
        });
      }, TIMEOUT_MS);

      it('switches from history to live with no gap and no duplicate while writers append', async () => {
        const cat = category();
        const total = 300;
        const writer = (async () => {
          for (let i = 0; i < total; i++) await store.append(`${cat}-${i % 3}`, [ev('N', { i })]);
        })();
        await waitFor(async () => (await store.readStream(`${cat}-0`, { maxCount: 10 })).length >= 10, { what: 'some history' });
        await whileCollecting(store, { from: 'start', filter: { categories: [cat] }, batchSize: 7 }, async (c) => {
          await writer;
          await waitFor(() => c.events.length >= total, { what: `${total} events`, timeoutMs: 30_000 });
          expect(c.events.map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: total }, (_, i) => i));
        });
      }, TIMEOUT_MS);

      it('awaits the handler per event, stops on a handler failure, and stop() waits for the handler in flight', async () => {
        const cat = category();
        await store.append(`${cat}-a`, [ev('A'), ev('B'), ev('C')]);
        let inFlight = 0;
        let maxInFlight = 0;
        const seen: string[] = [];
        const errors: unknown[] = [];
        const sub = store.subscribe({
          from: 'start',
          filter: { categories: [cat] },
          onEvent: async (e) => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await new Promise((r) => setImmediate(r));
            seen.push(e.type);
            inFlight--;
            if (e.type === 'B') throw new Error('handler failed on B');
          },
          onError: (err) => errors.push(err),
        });
        await waitFor(() => errors.length === 1, { what: 'handler error reported' });
        await sub.stop();
        expect(seen).toEqual(['A', 'B']);
        expect(maxInFlight).toBe(1);
        expect((errors[0] as Error).message).toBe('handler failed on B');

        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let entered = 0;
        let finished = 0;
        const slow = store.subscribe({
          from: 'start',
          filter: { categories: [cat] },
          onEvent: async () => {
            entered++;
            await gate;
            finished++;
          },
        });
        await waitFor(() => entered === 1, { what: 'handler in flight' });
        const stopping = slow.stop();
        setImmediate(release);
        await stopping;
        expect([entered, finished]).toEqual([1, 1]);
      }, TIMEOUT_MS);
    });

    describe('hash chain', () => {
      it('verifies an intact stream and names the first broken revision after tampering', async () => {
        const s = `${category()}-v`;
        await store.append(s, [ev('A', { n: 1 }), ev('B', { n: 2 }), ev('C', { n: 3 })]);
        await store.append(s, [ev('D', { n: 4 })]);
        expect(await store.verifyStream(s)).toEqual({ ok: true, streamId: s, events: 4 });
        const brokenAt = await ctx.tamper(s);
        const result = await store.verifyStream(s);
        expect(result).toMatchObject({ ok: false, streamId: s, brokenAt });
        expect(result.ok === false && result.reason.length > 0).toBe(true);
      }, TIMEOUT_MS);
    });

    describe('concurrency', () => {
      it('lets exactly one of two racing writers win a revision', async () => {
        const other = await ctx.openStore();
        try {
          for (let round = 0; round < 10; round++) {
            const s = `${category()}-race`;
            await store.append(s, [ev('Start')], { expectedRevision: 'no_stream' });
            const results = await Promise.allSettled([
              store.append(s, [ev('One')], { expectedRevision: 0 }),
              other.append(s, [ev('Two')], { expectedRevision: 0 }),
            ]);
            const won = results.filter((r) => r.status === 'fulfilled');
            const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
            expect(won).toHaveLength(1);
            expect(lost.map((r) => errorCodeOf(r.reason))).toEqual(['WRONG_EXPECTED_VERSION']);
            const read = await store.readStream(s);
            expect(read.map((e) => e.revision)).toEqual([0, 1]);
          }
        } finally {
          await other.close();
        }
      }, TIMEOUT_MS);

      it('delivers every event exactly once, in per-stream order, while many writers commit late', async () => {
        const writers = opts.writers ?? 8;
        const perWriter = opts.appendsPerWriter ?? 200;
        const cat = category();
        const shared = Array.from({ length: 4 }, (_, i) => `${cat}-shared${i}`);
        const stores = await Promise.all(Array.from({ length: writers }, () => ctx.openStore()));
        const c = collect(store, { from: 'start', filter: { categories: [cat] }, batchSize: 50 });
        const expected = new Set<string>();
        try {
          await waitFor(() => c.sub.isLive, { what: 'subscriber live' });
          const held: Promise<void>[] = [];
          let heldEvents = 0;
          const work = stores.map(async (w, wi) => {
            for (let i = 0; i < perWriter; i++) {
              const stream = i % 2 === 0 ? shared[(wi + i) % shared.length]! : `${cat}-w${wi}`;
              const events = i % 5 === 0 ? [ev('Batch'), ev('Batch')] : [ev('One')];
              if (ctx.appendHeldOpen && i % 25 === 7) {
                // Holds a transaction (with its xid) open while later ones commit.
                const h = await ctx.appendHeldOpen(`${cat}-held${wi}`, [ev('Held', { wi, i })]);
                heldEvents++;
                held.push(new Promise<void>((r) => setTimeout(r, 30)).then(() => h.commit()));
                continue;
              }
              const r = await w.append(stream, events);
              for (const id of r.eventIds) expected.add(id);
            }
          });
          await Promise.all(work);
          await Promise.all(held);
          const total = expected.size + heldEvents;
          await waitFor(() => c.events.length >= total, { what: `${total} events (got ${c.events.length})`, timeoutMs: 30_000 });
          expect(c.errors).toEqual([]);
          expect(c.events).toHaveLength(total);
          const ids = new Set(c.events.map((e) => e.eventId));
          expect(ids.size).toBe(total);
          for (const id of expected) expect(ids.has(id)).toBe(true);
          const lastRevision = new Map<string, number>();
          for (const e of c.events) {
            expect([e.streamId, e.revision]).toEqual([e.streamId, (lastRevision.get(e.streamId) ?? -1) + 1]);
            lastRevision.set(e.streamId, e.revision);
          }
        } finally {
          await c.sub.stop();
          await Promise.all(stores.map((w) => w.close()));
        }
      }, TIMEOUT_MS);
    });
  });
}
