import { randomUUID } from 'node:crypto';
import { comparePositions, type Position, type RecordedEvent } from '@baton/contracts';
import { createPostgresEventStore, type PostgresEventStore } from '@baton/event-store';
import { waitFor } from '@baton/testing';
import { sql, type Kysely, type Transaction } from 'kysely';
import { Client } from 'pg';
import { migrateSchema } from './migrations';
import { ProjectionRunner } from './projection-runner';
import { createTestKysely, type TestKysely } from './testing/test-kysely';

interface Db {
  'rm_proj.item_counts': { stream_id: string; applied: number; last_seen: string };
}

const NOW = new Date('2026-11-22T12:00:00.000Z');

describe('ProjectionRunner (Postgres event store)', () => {
  let t: TestKysely<Db>;
  let db: Kysely<Db>;
  let store: PostgresEventStore;
  const runners: ProjectionRunner<Db>[] = [];

  beforeAll(async () => {
    t = await createTestKysely<Db>('read_models_projection');
    db = t.db;
    store = await createPostgresEventStore({ connectionString: t.tdb.url, pollIntervalMs: 50 });
    await migrateSchema(db as Kysely<unknown>, {
      schema: 'rm_proj',
      migrations: {
        '0001_item_counts': {
          async up(k) {
            await sql`CREATE TABLE rm_proj.item_counts (stream_id text PRIMARY KEY, applied int NOT NULL, last_seen text NOT NULL)`.execute(k);
          },
        },
      },
    });
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await store.close();
    await t.close();
  });

  // Counts every application, so a second application of one event shows up as applied > events.
  async function applyCount(trx: Transaction<Db>, event: RecordedEvent): Promise<void> {
    await sql`
      INSERT INTO rm_proj.item_counts (stream_id, applied, last_seen) VALUES (${event.streamId}, 1, ${event.eventId})
      ON CONFLICT (stream_id) DO UPDATE SET applied = item_counts.applied + 1, last_seen = EXCLUDED.last_seen`.execute(trx);
  }

  function runner(overrides: Partial<ConstructorParameters<typeof ProjectionRunner<Db>>[0]> = {}): ProjectionRunner<Db> {
    const r = new ProjectionRunner<Db>({
      name: 'item-counts',
      schema: 'rm_proj',
      db,
      store,
      filter: { categories: ['item'] },
      apply: applyCount,
      reset: async (trx) => {
        await trx.deleteFrom('rm_proj.item_counts').execute();
      },
      now: () => NOW,
      retryDelayMs: 20,
      ...overrides,
    });
    runners.push(r);
    return r;
  }

  /** Appends n events; returns the position of the last, to wait for it. */
  async function appendItems(streamId: string, n: number): Promise<Position> {
    let last: Position = { commit: 0, prepare: 0 };
    for (let i = 0; i < n; i++) {
      const r = await store.append(streamId, [{ type: 'ItemTouched', data: { i }, metadata: { occurredAt: '2026-11-22T11:59:58.000Z' } }]);
      last = r.position;
    }
    return last;
  }

  async function counts(): Promise<Record<string, number>> {
    const rows = await db.selectFrom('rm_proj.item_counts').select(['stream_id', 'applied']).orderBy('stream_id').execute();
    return Object.fromEntries(rows.map((r) => [r.stream_id, r.applied]));
  }

  async function checksum(): Promise<string> {
    const { rows } = await sql<{ md5: string }>`
      SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY stream_id), '')) AS md5 FROM rm_proj.item_counts t`.execute(db);
    return rows[0]!.md5;
  }

  /**
   * The ten events of `s` (i = 0..9, the seventh poisoned) were appended together: the six before
   * the poison are applied, the runner fails on it alone; once cured, all ten are applied once.
   */
  async function expectPoisonIsolated(r: ProjectionRunner<Db>, s: string, errors: unknown[], cure: () => void, until: Position): Promise<void> {
    await waitFor(async () => (errors.length > 0 ? true : undefined), { what: 'the poison event to fail' });
    expect((await counts())[s]).toBe(6);
    expect(r.isLive).toBe(false);
    cure();
    await r.waitUntilCaughtUp({ until });
    expect((await counts())[s]).toBe(10);
  }

  it('applies each matching event exactly once across a restart, and reports lag', async () => {
    const a = `item-${randomUUID()}`;
    const b = `item-${randomUUID()}`;
    await appendItems(a, 3);
    const lastB = await appendItems(b, 2);
    await store.append(`other-${randomUUID()}`, [{ type: 'Ignored', data: {}, metadata: { occurredAt: NOW.toISOString() } }]);

    const first = runner();
    await first.start();
    await first.waitUntilCaughtUp({ until: lastB });
    expect(await counts()).toEqual({ [a]: 3, [b]: 2 });
    await first.stop();

    await appendItems(a, 2);
    const lastAfterStop = await appendItems(b, 1);
    // lag counts what the store lets readers see; wait until the appends are visible.
    const behind = await waitFor(async () => {
      const l = await first.lag();
      return l.eventsBehind === 3 ? l : undefined;
    }, { what: '3 events behind' });
    expect(behind.eventsBehind).toBe(3);
    expect(behind.checkpoint).toEqual(first.checkpoint);
    expect(behind.lastEventAgeMs).toBe(2000);

    const second = runner();
    await second.start();
    await second.waitUntilCaughtUp({ until: lastAfterStop });
    expect(await counts()).toEqual({ [a]: 5, [b]: 3 });
    const lag = await second.lag();
    expect(lag).toMatchObject({ eventsBehind: 0, live: true, state: 'running' });

    // Live events after catching up are applied too.
    const live = await appendItems(b, 1);
    await second.waitUntilCaughtUp({ until: live });
    expect(await counts()).toEqual({ [a]: 5, [b]: 4 });
  });

  it('rolls back a failed event with its checkpoint and applies it once on retry', async () => {
    await db.deleteFrom('rm_proj.item_counts').execute();
    const failing = runner({ name: 'item-counts-flaky' });
    await failing.rebuild();
    await failing.waitUntilCaughtUp();
    const before = await counts();

    const c = `item-${randomUUID()}`;
    let failures = 0;
    const flaky = runner({
      name: 'item-counts-flaky',
      apply: async (trx, event) => {
        await applyCount(trx, event);
        if (event.streamId === c && failures === 0) {
          failures++;
          throw new Error('simulated crash after writing the row, before commit');
        }
      },
    });
    await failing.stop();
    await flaky.start();
    const lastC = await appendItems(c, 3);
    await flaky.waitUntilCaughtUp({ until: lastC });
    expect(failures).toBe(1);
    expect(await counts()).toEqual({ ...before, [c]: 3 });
  });

  it('rebuild replays from the start and gives identical rows', async () => {
    // Earlier tests wrote this table from other projections: start from a clean replay.
    const r = runner();
    await r.rebuild();
    const last = await appendItems(`item-${randomUUID()}`, 4);
    await r.waitUntilCaughtUp({ until: last });
    const before = await checksum();
    const rowsBefore = await counts();
    expect(Object.keys(rowsBefore).length).toBeGreaterThan(0);

    await db.updateTable('rm_proj.item_counts').set({ applied: 999 }).execute();
    await r.rebuild();
    await r.waitUntilCaughtUp({ until: last });
    expect(await counts()).toEqual(rowsBefore);
    expect(await checksum()).toBe(before);
  });

  it('times out with TIMEOUT when it cannot catch up', async () => {
    const stuck = runner({
      name: 'item-counts-stuck',
      apply: async () => {
        throw new Error('always fails');
      },
      retryDelayMs: 60_000,
    });
    await stuck.start();
    await expect(stuck.waitUntilCaughtUp({ timeoutMs: 300 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(stuck.state).toBe('failed');
  });
  it('applies a backlog in batches, one transaction and checkpoint update per batch, each event once', async () => {
    const s = `item-${randomUUID()}`;
    const events = Array.from({ length: 450 }, (_, i) => ({ type: 'ItemTouched', data: { i }, metadata: { occurredAt: NOW.toISOString() } }));
    const appended = await store.append(s, events);
    const batches: number[] = [];
    const r = runner({ name: 'item-counts-batched', applyBatchSize: 200, onApplied: (b) => batches.push(b.length) });
    await r.rebuild();
    await r.waitUntilCaughtUp({ until: appended.position });
    expect((await counts())[s]).toBe(450);
    expect(Math.max(...batches)).toBeLessThanOrEqual(200);
    // Everything in the store (earlier tests' events too) went through far fewer transactions than events.
    const total = batches.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(450);
    expect(batches.length).toBeLessThan(total / 10);
    const { rows } = await sql<{ events_applied: string }>`
      SELECT events_applied FROM rm_proj.projection_checkpoints WHERE name = 'item-counts-batched'`.execute(db);
    expect(Number(rows[0]!.events_applied)).toBe(total);
    expect(r.isLive).toBe(true);
  });

  it('with minApplyIntervalMs, applies live events committed one by one in shared transactions, each once', async () => {
    const batches: number[] = [];
    const live = runner({ name: 'item-counts-interval', applyBatchSize: 200, minApplyIntervalMs: 200, onApplied: (b) => batches.push(b.length) });
    await live.start();
    await live.waitUntilCaughtUp();
    batches.length = 0;
    const s = `item-${randomUUID()}`;
    let last: Position | undefined;
    for (let i = 0; i < 30; i++) last = (await store.append(s, [{ type: 'ItemTouched', data: { i }, metadata: { occurredAt: NOW.toISOString() } }])).position;
    await live.waitUntilCaughtUp({ until: last! });
    expect((await counts())[s]).toBe(30);
    const total = batches.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(30);
    // One transaction per 200 ms at most while they keep coming, instead of one per commit.
    expect(batches.length).toBeLessThanOrEqual(total / 2);
    await live.stop();
  });

  it('isolates a poison event in a batch: the events before it are applied, it fails alone, then applies once', async () => {
    const s = `item-${randomUUID()}`;
    const before = runner({ name: 'item-counts-poison' });
    await before.start();
    await before.waitUntilCaughtUp();
    await before.stop();
    const appended = await store.append(
      s,
      Array.from({ length: 10 }, (_, i) => ({ type: 'ItemTouched', data: { i }, metadata: { occurredAt: NOW.toISOString() } })),
    );
    let poisoned = true;
    const errors: unknown[] = [];
    const r = runner({
      name: 'item-counts-poison',
      applyBatchSize: 200,
      onError: (e) => errors.push(e),
      apply: async (trx, event) => {
        if (poisoned && event.streamId === s && (event.data as { i: number }).i === 6) throw new Error('poison');
        await applyCount(trx, event);
      },
    });
    await r.start();
    await expectPoisonIsolated(r, s, errors, () => (poisoned = false), appended.position);
  });

  it('two replicas of one projection apply each event once between them, one by event and one by page', async () => {
    const s = `item-${randomUUID()}`;
    const byEvent = runner();
    const byPage = runner({
      apply: undefined,
      applyBatch: async (trx, events) => {
        for (const e of events) await applyCount(trx, e);
      },
    });
    await Promise.all([byEvent.start(), byPage.start()]);
    // Bursts of concurrent appends: both replicas get every event and race for each batch.
    const pos: Position[] = [];
    for (let burst = 0; burst < 5; burst++) pos.push(...(await Promise.all(Array.from({ length: 6 }, () => appendItems(s, 1)))));
    const until = pos.reduce((a, b) => (comparePositions(a, b) >= 0 ? a : b));
    await Promise.all([byEvent.waitUntilCaughtUp({ until }), byPage.waitUntilCaughtUp({ until })]);
    expect((await counts())[s]).toBe(30);
  });

  it('applies a batch of inert events without a transaction; the stored checkpoint follows with the next one, or later on its own', async () => {
    const name = 'item-counts-inert';
    const stored = async () => {
      const row = await sql<{ commit_position: string | null; events_applied: string }>`
        SELECT commit_position, events_applied FROM rm_proj.projection_checkpoints WHERE name = ${name}`.execute(db);
      return { commit: row.rows[0]?.commit_position === null || row.rows[0] === undefined ? null : Number(row.rows[0].commit_position), applied: Number(row.rows[0]?.events_applied ?? 0) };
    };
    const ignore = async (streamId: string, n: number): Promise<Position> =>
      (await store.append(streamId, Array.from({ length: n }, (_, i) => ({ type: 'ItemIgnored', data: { i }, metadata: { occurredAt: NOW.toISOString() } })))).position;
    const inert = (e: RecordedEvent) => e.type === 'ItemIgnored';
    const seenByApply: string[] = [];
    const apply = async (trx: Transaction<Db>, e: RecordedEvent) => {
      seenByApply.push(e.type);
      await applyCount(trx, e);
    };
    // No timer within the test: only a transaction moves the stored checkpoint.
    const r = runner({ name, apply, inert, inertStoreMs: 600_000 });
    await r.start();
    await r.waitUntilCaughtUp();
    // What earlier tests appended is history here: only what comes next is looked at.
    seenByApply.length = 0;
    const before = await stored();
    const quiet = `item-${randomUUID()}`;
    const skipped = await ignore(quiet, 3);
    await r.waitUntilCaughtUp({ until: skipped });
    expect(r.checkpoint).toEqual(skipped);
    expect(await stored()).toEqual(before);
    expect(seenByApply).toEqual([]);
    expect((await counts())[quiet]).toBeUndefined();

    // The next batch that writes carries the inert events' move: counted, and past them.
    const touched = `item-${randomUUID()}`;
    const written = await appendItems(touched, 1);
    await r.waitUntilCaughtUp({ until: written });
    expect(await stored()).toEqual({ commit: written.commit, applied: before.applied + 4 });
    expect(seenByApply).toEqual(['ItemTouched']);

    // Inert events not stored when the runner stops come again after a restart, and are stored by the timer.
    const later = await ignore(quiet, 2);
    await r.waitUntilCaughtUp({ until: later });
    await r.stop();
    expect(await stored()).toEqual({ commit: written.commit, applied: before.applied + 4 });
    const again = runner({ name, apply, inert, inertStoreMs: 20 });
    await again.start();
    await again.waitUntilCaughtUp({ until: later });
    const after = await waitFor(async () => {
      const s = await stored();
      return s.commit === later.commit ? s : undefined;
    }, { what: 'the stored checkpoint to reach the inert events' });
    expect(after.applied).toBe(before.applied + 6);
    expect(seenByApply).toEqual(['ItemTouched']);
    expect((await counts())[touched]).toBe(1);
  });

  it('refuses to start without exactly one of apply and applyBatch', () => {
    expect(() => runner({ apply: undefined })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => runner({ applyBatch: async () => undefined })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  describe('deferWrites', () => {
    // What every pg client of this process sent as text (the runner's transactions among them).
    let texts: string[] = [];
    let spy: jest.SpyInstance;
    beforeEach(() => {
      texts = [];
      const query = Client.prototype.query as (...args: unknown[]) => unknown;
      spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
        if (typeof args[0] === 'string') texts.push(args[0]);
        return query.apply(this, args);
      } as never);
    });
    afterEach(() => spy.mockRestore());

    const ITEM_WRITE = 'insert into "rm_proj"."item_counts"';
    const BEGIN = 'BEGIN; WITH moved AS';

    // The same count as applyCount, written with Kysely's builder: a plain write, which is held.
    async function applyCountBuilt(trx: Transaction<Db>, event: RecordedEvent, lastSeen: string | null = event.eventId): Promise<void> {
      await trx
        .insertInto('rm_proj.item_counts')
        .values({ stream_id: event.streamId, applied: 1, last_seen: lastSeen as string })
        .onConflict((oc) => oc.column('stream_id').doUpdateSet((eb) => ({ applied: sql<number>`item_counts.applied + 1`, last_seen: eb.ref('excluded.last_seen') })))
        .execute();
    }

    it('sends a batch that only writes as one text (BEGIN, the checkpoint, the writes, COMMIT); two racing replicas apply each event once', async () => {
      const s = `item-${randomUUID()}`;
      const a = runner({ name: 'item-counts-deferred', apply: applyCountBuilt, deferWrites: true, applyBatchSize: 200 });
      const b = runner({ name: 'item-counts-deferred', apply: undefined, applyBatch: async (trx, events) => { for (const e of events) await applyCountBuilt(trx, e); }, deferWrites: true });
      await Promise.all([a.start(), b.start()]);
      await Promise.all([a.waitUntilCaughtUp(), b.waitUntilCaughtUp()]);
      texts = [];
      const together = await store.append(s, Array.from({ length: 20 }, (_, i) => ({ type: 'ItemTouched', data: { i }, metadata: { occurredAt: NOW.toISOString() } })));
      await Promise.all([a.waitUntilCaughtUp({ until: together.position }), b.waitUntilCaughtUp({ until: together.position })]);
      expect((await counts())[s]).toBe(20);
      const writes = texts.filter((t) => t.includes(ITEM_WRITE));
      expect(writes.length).toBeGreaterThan(0);
      // Every write of the runners went with BEGIN, the checkpoint and COMMIT, never alone.
      for (const t of writes) {
        expect(t.startsWith(BEGIN)).toBe(true);
        expect(t.endsWith('COMMIT')).toBe(true);
      }
      // The 20 events of one commit: one text held all 20 writes.
      expect(writes.some((t) => t.split(ITEM_WRITE).length - 1 === 20)).toBe(true);

      // Bursts of concurrent appends: both replicas race for every batch (the checkpoint's move refuses the loser).
      const pos: Position[] = [];
      for (let burst = 0; burst < 5; burst++) pos.push(...(await Promise.all(Array.from({ length: 6 }, () => appendItems(s, 1)))));
      const until = pos.reduce((x, y) => (comparePositions(x, y) >= 0 ? x : y));
      await Promise.all([a.waitUntilCaughtUp({ until }), b.waitUntilCaughtUp({ until })]);
      expect((await counts())[s]).toBe(50);
    });

    it('sends the held writes with the next read, which sees them', async () => {
      const s = `item-${randomUUID()}`;
      const seen: number[] = [];
      const r = runner({
        name: 'item-counts-deferred-read',
        deferWrites: true,
        apply: undefined,
        applyBatch: async (trx, events) => {
          for (const e of events) {
            await applyCountBuilt(trx, e);
            if (e.streamId !== s) continue;
            const row = await trx.selectFrom('rm_proj.item_counts').select('applied').where('stream_id', '=', s).executeTakeFirstOrThrow();
            seen.push(row.applied);
          }
        },
      });
      await r.start();
      await r.waitUntilCaughtUp();
      const before = (await counts())[s] ?? 0;
      texts = [];
      const appended = await store.append(s, Array.from({ length: 3 }, (_, i) => ({ type: 'ItemTouched', data: { i }, metadata: { occurredAt: NOW.toISOString() } })));
      await r.waitUntilCaughtUp({ until: appended.position });
      expect(seen).toEqual([before + 1, before + 2, before + 3]);
      const runnerTexts = texts.filter((t) => t.includes('"rm_proj"."item_counts"'));
      // BEGIN, the checkpoint, the first write and the first read; each later write with its read; then COMMIT alone.
      expect(runnerTexts).toHaveLength(3);
      expect(runnerTexts[0]!.startsWith(BEGIN)).toBe(true);
      for (const t of runnerTexts.slice(0, 3)) expect(t).toMatch(/insert into "rm_proj"\."item_counts"[^;]*;\nselect "applied" from "rm_proj"\."item_counts"/);
      expect(texts).toContain('COMMIT');
      expect((await counts())[s]).toBe(before + 3);
    });

    it('rolls back a batch whose held write fails with its checkpoint: the events before the failing one apply, it fails alone, then once', async () => {
      const s = `item-${randomUUID()}`;
      let poisoned = true;
      const errors: unknown[] = [];
      const r = runner({
        name: 'item-counts-deferred-poison',
        deferWrites: true,
        applyBatchSize: 200,
        onError: (e) => errors.push(e),
        // The poison is the database's: NULL into a NOT NULL column, found only when the held write is sent.
        apply: (trx, event) => applyCountBuilt(trx, event, poisoned && event.streamId === s && (event.data as { i: number }).i === 6 ? null : event.eventId),
      });
      await r.start();
      await r.waitUntilCaughtUp();
      const appended = await store.append(s, Array.from({ length: 10 }, (_, i) => ({ type: 'ItemTouched', data: { i }, metadata: { occurredAt: NOW.toISOString() } })));
      await expectPoisonIsolated(r, s, errors, () => (poisoned = false), appended.position);
      expect(errors[0]).toMatchObject({ code: '23502' });
    });

    it("with 'after-checkpoint', sends BEGIN and the checkpoint before apply runs, and the writes with COMMIT", async () => {
      const s = `item-${randomUUID()}`;
      const beginsAtApply: number[] = [];
      const r = runner({
        name: 'item-counts-deferred-first',
        deferWrites: 'after-checkpoint',
        apply: async (trx, event) => {
          if (event.streamId === s) beginsAtApply.push(texts.filter((t) => t.startsWith(BEGIN) && t.includes("'item-counts-deferred-first'")).length);
          await applyCountBuilt(trx, event);
        },
      });
      await r.start();
      await r.waitUntilCaughtUp();
      texts = [];
      const appended = await appendItems(s, 1);
      await r.waitUntilCaughtUp({ until: appended });
      expect(beginsAtApply).toEqual([1]);
      const begin = texts.find((t) => t.startsWith(BEGIN) && t.includes("'item-counts-deferred-first'"))!;
      expect(begin).not.toContain(ITEM_WRITE);
      const write = texts.find((t) => t.includes(ITEM_WRITE))!;
      expect(write.startsWith('insert into')).toBe(true);
      expect(write.endsWith('COMMIT')).toBe(true);
      expect((await counts())[s]).toBe(1);
    });
  });
});
