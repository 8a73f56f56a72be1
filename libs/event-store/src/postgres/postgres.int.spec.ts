import { createTestDatabase, waitFor, type TestDatabase } from '@baton/testing';
import { Client, Pool } from 'pg';
import type { NewEvent, Position } from '@baton/contracts';
import { eventHash } from '../hash-chain';
import { runEventStoreContract } from '../testing/contract';
import { tamperAsTableOwner } from '../testing/tamper';
import { createPostgresEventStore, type PostgresEventStore } from './postgres-event-store';

let db: TestDatabase;

/** Appends through the SQL function `baton_es.append`, as the store did before hash version 2 (and SQL callers still do). */
async function appendThroughSql(pool: Pool, streamId: string, events: readonly NewEvent[]): Promise<void> {
  const payload = events.map((e) => ({ eventId: crypto.randomUUID(), type: e.type, schemaVersion: 1, data: e.data, metadata: e.metadata }));
  await pool.query('SELECT baton_es.append($1, $2, NULL, $3::jsonb)', [streamId, 'any', JSON.stringify(payload)]);
}

runEventStoreContract('postgres', async () => {
  db = await createTestDatabase('event_store');
  const store = await createPostgresEventStore({ connectionString: db.url, pollIntervalMs: 200 });
  const opened: PostgresEventStore[] = [];
  return {
    store,
    openStore: async () => {
      const s = await createPostgresEventStore({ connectionString: db.url, poolSize: 3 });
      opened.push(s);
      return s;
    },
    tamper: async (streamId) => {
      // What an operator with the owner's rights might do: switch the protection off and
      // edit a stored payload in place.
      const r = await tamperAsTableOwner(db.pool, `UPDATE baton_es.events SET data = jsonb_set(data, '{n}', '99') WHERE stream_id = $1 AND revision = 1`, [streamId]);
      if (r.rowCount !== 1) throw new Error('tamper: no row');
      return 1;
    },
    appendHeldOpen: async (streamId, events) => {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      await client.query('BEGIN');
      const payload = events.map((e, i) => ({ eventId: e.eventId ?? crypto.randomUUID(), type: e.type, schemaVersion: 1, data: e.data, metadata: e.metadata, i }));
      await client.query('SELECT baton_es.append($1, $2, NULL, $3::jsonb)', [streamId, 'any', JSON.stringify(payload)]);
      return {
        commit: async () => {
          try {
            await client.query('COMMIT');
          } finally {
            await client.end();
          }
        },
      };
    },
    close: async () => {
      await Promise.all(opened.map((s) => s.close()));
      await store.close();
      await db.drop();
    },
  };
});

describe('PostgresEventStore specifics', () => {
  let tdb: TestDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    tdb = await createTestDatabase('event_store_pg');
    store = await createPostgresEventStore({ pool: tdb.pool });
  });
  afterAll(async () => {
    await store.close();
    await tdb.drop();
  });

  it('migrates idempotently, also from several stores at once', async () => {
    const others = await Promise.all([1, 2, 3].map(() => createPostgresEventStore({ connectionString: tdb.url, poolSize: 2 })));
    await store.migrate();
    await Promise.all(others.map((o) => o.close()));
    const { rows } = await tdb.pool.query(`SELECT count(*)::int AS n FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'baton_es' AND p.proname = 'append'`);
    expect(rows[0].n).toBe(1);
  });

  it('names the broken link when a stored hash is recomputed to hide an edit (hash version 2, computed in Node)', async () => {
    const s = 'audit-1';
    await store.append(s, [0, 1, 2].map((n) => ({ type: 'T', data: { n }, metadata: { occurredAt: '2026-01-01T00:00:00Z' } })));
    const [, second] = await store.readStream(s);
    const forged = eventHash(second!.prevHash, { ...second!, data: { n: 7 } });
    await tamperAsTableOwner(tdb.pool, `UPDATE baton_es.events SET data = '{"n": 7}', hash = $2 WHERE stream_id = $1 AND revision = 1 AND hash_version = 2`, [s, forged]);
    const r = await store.verifyStream(s);
    expect(r).toMatchObject({ ok: false, brokenAt: 2 });
    expect(r.ok === false && r.reason).toMatch(/prev_hash/);
  });

  it('names the broken link when a stored hash is recomputed to hide an edit (hash version 1, computed in SQL)', async () => {
    const s = 'audit-1-v1';
    await appendThroughSql(tdb.pool, s, [0, 1, 2].map((n) => ({ type: 'T', data: { n }, metadata: { occurredAt: '2026-01-01T00:00:00Z' } })));
    expect(await store.verifyStream(s)).toEqual({ ok: true, streamId: s, events: 3 });
    await tamperAsTableOwner(
      tdb.pool,
      `UPDATE baton_es.events SET data = '{"n": 7}', hash = baton_es.event_hash(prev_hash, stream_id, revision, event_id, type, schema_version, '{"n": 7}'::jsonb, metadata)
        WHERE stream_id = $1 AND revision = 1 AND hash_version = 1`,
      [s],
    );
    const r = await store.verifyStream(s);
    expect(r).toMatchObject({ ok: false, brokenAt: 2 });
    expect(r.ok === false && r.reason).toMatch(/prev_hash/);
  });

  it('upgrades a database of hash version 1 events: they still verify, new appends chain onto them in version 2, edits of either are named', async () => {
    const old = await createTestDatabase('event_store_upgrade');
    try {
      const before = await createPostgresEventStore({ pool: old.pool, migrate: false });
      await before.migrate('0003_append_only_anchored_heads');
      await before.close();
      const occurredAt = '2026-01-01T00:00:00Z';
      // What the store wrote before migration 0004: the SQL function, hashing in SQL.
      await appendThroughSql(old.pool, 'up-1', [0, 1].map((n) => ({ type: 'T', data: { n, nested: { b: 1, a: [1, 2] } }, metadata: { occurredAt } })));
      const upgraded = await createPostgresEventStore({ pool: old.pool });
      try {
        expect(await upgraded.verifyStream('up-1')).toEqual({ ok: true, streamId: 'up-1', events: 2 });
        const r = await upgraded.append('up-1', [{ type: 'T', data: { n: 2 }, metadata: { occurredAt } }], { expectedRevision: 1 });
        expect(r).toMatchObject({ firstRevision: 2, nextExpectedRevision: 2, duplicate: false });
        await upgraded.append('up-1', [3, 4].map((n) => ({ type: 'T', data: { n }, metadata: { occurredAt } })), { expectedRevision: 2 });
        const { rows } = await old.pool.query<{ revision: string; hash_version: number }>(`SELECT revision, hash_version FROM baton_es.events WHERE stream_id = 'up-1' ORDER BY revision`);
        expect(rows.map((x) => x.hash_version)).toEqual([1, 1, 2, 2, 2]);
        const events = await upgraded.readStream('up-1');
        expect(events[2]!.prevHash).toBe(events[1]!.hash);
        expect(await upgraded.verifyStream('up-1')).toEqual({ ok: true, streamId: 'up-1', events: 5 });
        await tamperAsTableOwner(old.pool, `UPDATE baton_es.events SET data = jsonb_set(data, '{n}', '9') WHERE stream_id = 'up-1' AND revision = 3`);
        expect(await upgraded.verifyStream('up-1')).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringMatching(/does not match its hash/) as unknown });
        await tamperAsTableOwner(old.pool, `UPDATE baton_es.events SET data = jsonb_set(data, '{n}', '9') WHERE stream_id = 'up-1' AND revision = 0`);
        expect(await upgraded.verifyStream('up-1')).toMatchObject({ ok: false, brokenAt: 0, reason: expect.stringMatching(/does not match its hash/) as unknown });
      } finally {
        await upgraded.close();
      }
    } finally {
      await old.drop();
    }
  });

  it('keeps one chain when two stores, each with its own cached heads, append to one stream', async () => {
    const a = await createPostgresEventStore({ connectionString: tdb.url, poolSize: 3, migrate: false });
    const b = await createPostgresEventStore({ connectionString: tdb.url, poolSize: 3, migrate: false });
    const ev = (n: number) => [{ type: 'T', data: { n }, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }];
    try {
      const s = 'two-stores';
      expect(await a.append(s, ev(0), { expectedRevision: 'no_stream' })).toMatchObject({ nextExpectedRevision: 0 });
      // b has never seen the stream: its guess (no stream) is wrong and the locked path answers.
      expect(await b.append(s, ev(1))).toMatchObject({ firstRevision: 1 });
      expect(await b.append(s, ev(2), { expectedRevision: 1 })).toMatchObject({ firstRevision: 2 });
      // a still believes revision 0: its cached head is stale, and the database decides.
      expect(await a.append(s, ev(3), { expectedRevision: 2 })).toMatchObject({ firstRevision: 3 });
      await expect(b.append(s, ev(9), { expectedRevision: 2 })).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', actual: '3' });
      expect(await a.append(s, ev(4))).toMatchObject({ firstRevision: 4 });
      expect(await b.append(s, ev(5))).toMatchObject({ firstRevision: 5 });
      await Promise.all([a.append(s, ev(6)), b.append(s, ev(7)), a.append(s, ev(8)), b.append(s, ev(9))]);
      const events = await store.readStream(s);
      expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(events.slice(0, 6).map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4, 5]);
      // Per-stream order agrees with the global order (appends of one store may share a transaction).
      const after = (x: Position, y: Position) => x.commit > y.commit || (x.commit === y.commit && x.prepare > y.prepare);
      expect(events.every((e, i) => i === 0 || after(e.position, events[i - 1]!.position))).toBe(true);
      expect(await store.verifyStream(s)).toEqual({ ok: true, streamId: s, events: 10 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('names a deleted tail event', async () => {
    const s = 'audit-2';
    await store.append(s, [0, 1].map((n) => ({ type: 'T', data: { n }, metadata: { occurredAt: '2026-01-01T00:00:00Z' } })));
    await tamperAsTableOwner(tdb.pool, `DELETE FROM baton_es.events WHERE stream_id = $1 AND revision = 1`, [s]);
    expect(await store.verifyStream(s)).toMatchObject({ ok: false, brokenAt: 1 });
  });

  describe('group commit', () => {
    const occurredAt = '2026-01-01T00:00:00Z';
    const ev = (n: number, eventId?: string) => ({ ...(eventId === undefined ? {} : { eventId }), type: 'T', data: { n }, metadata: { occurredAt } });

    it('answers each append of a group on its own: written, refused, duplicate', async () => {
      // One round trip at a time: while the first append is out, the others queue and go as one group.
      const grouped = await createPostgresEventStore({ pool: tdb.pool, migrate: false, appendsInFlight: 1 });
      try {
        await grouped.append('grp-old', [ev(0)], { commandId: 'grp-cmd' });
        const reused = crypto.randomUUID();
        await grouped.append('grp-ids', [ev(0, reused)]);
        const [first, ...rest] = await Promise.allSettled([
          grouped.append('grp-a', [ev(0)]),
          grouped.append('grp-b', [ev(0), ev(1), ev(2)], { expectedRevision: 'no_stream' }),
          grouped.append('grp-old', [ev(9)], { commandId: 'grp-cmd' }),
          grouped.append('grp-old', [ev(1)], { expectedRevision: 5 }),
          grouped.append('grp-c', [ev(0, reused)]),
          grouped.append('grp-ids', [ev(0, reused)]),
          grouped.append('grp-a', [ev(1)], { expectedRevision: 0 }),
        ]);
        expect(first).toMatchObject({ status: 'fulfilled', value: { firstRevision: 0, nextExpectedRevision: 0, duplicate: false } });
        expect(rest[0]).toMatchObject({ status: 'fulfilled', value: { streamId: 'grp-b', firstRevision: 0, nextExpectedRevision: 2, duplicate: false } });
        expect(rest[1]).toMatchObject({ status: 'fulfilled', value: { streamId: 'grp-old', nextExpectedRevision: 0, duplicate: true } });
        expect(rest[2]).toMatchObject({ status: 'rejected', reason: { code: 'WRONG_EXPECTED_VERSION' } });
        expect(rest[3]).toMatchObject({ status: 'rejected', reason: { code: 'DUPLICATE' } });
        expect(rest[4]).toMatchObject({ status: 'fulfilled', value: { streamId: 'grp-ids', eventIds: [reused], duplicate: true } });
        expect(rest[5]).toMatchObject({ status: 'fulfilled', value: { streamId: 'grp-a', firstRevision: 1, duplicate: false } });
        const b = rest[0]!.status === 'fulfilled' ? rest[0].value : undefined;
        expect((await grouped.readStream('grp-b')).map((e) => [e.revision, e.eventId, e.position])).toEqual(
          b!.eventIds.map((id, i) => [i, id, i === 2 ? b!.position : expect.objectContaining({ commit: b!.position.commit }) as unknown]),
        );
        for (const id of ['grp-a', 'grp-b', 'grp-old', 'grp-ids']) expect(await grouped.verifyStream(id)).toMatchObject({ ok: true });
        expect(await grouped.readStream('grp-c')).toEqual([]);
        expect((await grouped.readStream('grp-old')).map((e) => e.data)).toEqual([{ n: 0 }]);
      } finally {
        await grouped.close();
      }
    });

    it('sends the appends made in one tick as one commit, also when the callers of a commit append again at once', async () => {
      const grouped = await createPostgresEventStore({ pool: tdb.pool, migrate: false, appendsInFlight: 1 });
      try {
        const commits = await Promise.all(
          Array.from({ length: 8 }, async (_, w) => {
            const first = await grouped.append(`tick-${w}`, [ev(0)]);
            const second = await grouped.append(`tick-${w}`, [ev(1)], { expectedRevision: 0 });
            return [first.position.commit, second.position.commit] as const;
          }),
        );
        // One transaction per round: before, the first caller went alone and the other seven after it.
        expect(new Set(commits.map(([first]) => first)).size).toBe(1);
        expect(new Set(commits.map(([, second]) => second)).size).toBe(1);
        expect(commits[0]![1]).toBeGreaterThan(commits[0]![0]);
        for (let w = 0; w < 8; w++) expect(await grouped.verifyStream(`tick-${w}`)).toMatchObject({ ok: true, events: 2 });
      } finally {
        await grouped.close();
      }
    });

    it('appends to several streams together, all or none: a head that moved elsewhere leaves every stream as it was', async () => {
      const together = await createPostgresEventStore({ pool: tdb.pool, migrate: false });
      const elsewhere = await createPostgresEventStore({ connectionString: tdb.url, poolSize: 2, migrate: false });
      try {
        const a = `tog-task-${crypto.randomUUID()}`;
        const b = `tog-run-${crypto.randomUUID()}`;
        // Heads known here (this store wrote them): the shortcut may go.
        await together.append(a, [ev(0)]);
        await together.append(b, [ev(0)], { commandId: 'start' });
        const written = await together.appendTogether([
          { streamId: a, events: [ev(1)], options: { expectedRevision: 0, commandId: 'complete' } },
          { streamId: b, events: [ev(1), ev(2)], options: { expectedRevision: 0, commandId: 'result' } },
        ]);
        expect(written).toHaveLength(2);
        expect(written![0]!.position.commit).toBe(written![1]!.position.commit);
        expect(written![1]).toMatchObject({ streamId: b, firstRevision: 1, nextExpectedRevision: 2, duplicate: false });
        // The commands are recorded as by append: the same command again is a repeat.
        expect(await together.append(b, [ev(1), ev(2)], { commandId: 'result' })).toMatchObject({ duplicate: true, nextExpectedRevision: 2 });
        // Another process writes to b: this store's head of b is out of date; nothing of the pair is written.
        await elsewhere.append(b, [ev(3)], { expectedRevision: 2 });
        const refused = await together.appendTogether([
          { streamId: a, events: [ev(2)], options: { expectedRevision: 1 } },
          { streamId: b, events: [ev(4)], options: { expectedRevision: 2 } },
        ]);
        expect(refused).toBeUndefined();
        expect((await together.readStream(a)).map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }]);
        expect((await together.readStream(b)).map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);
        // The head of an existing stream not known in that process: not attempted.
        expect(await elsewhere.appendTogether([{ streamId: a, events: [ev(2)], options: { expectedRevision: 1 } }, { streamId: b, events: [ev(4)] }])).toBeUndefined();
        // One after the other, as the caller then does, still works and chains.
        await together.append(a, [ev(2)], { expectedRevision: 1 });
        // Garbage is refused with a code before anything is written, the good append with it too.
        await expect(together.appendTogether([{ streamId: a, events: [ev(3)], options: { expectedRevision: 2 } }, { streamId: '', events: [ev(0)] }])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        await expect(together.appendTogether([{ streamId: a, events: [ev(3)], options: { expectedRevision: 2 } }, { streamId: b, events: [{ type: '', data: {}, metadata: { occurredAt } }] }])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(await together.readStream(a)).toHaveLength(3);
        // A new stream goes with a known one.
        const fresh = `tog-new-${crypto.randomUUID()}`;
        expect(await together.appendTogether([{ streamId: fresh, events: [ev(0)], options: { expectedRevision: 'no_stream' } }, { streamId: a, events: [ev(3)], options: { expectedRevision: 2 } }])).toHaveLength(2);
        expect(await together.verifyStream(fresh)).toMatchObject({ ok: true, events: 1 });
        for (const id of [a, b]) expect(await together.verifyStream(id)).toMatchObject({ ok: true });
      } finally {
        await elsewhere.close();
        await together.close();
      }
    });

    it('runs a group naming one stream twice one append after the other', async () => {
      const events = (n: number) => JSON.stringify([{ eventId: crypto.randomUUID(), type: 'T', schemaVersion: 1, data: { n }, metadata: { occurredAt } }]);
      const { rows } = await tdb.pool.query<{ r: { firstRevision?: number; error?: string }[] }>(`SELECT baton_es.append_group($1::jsonb) AS r`, [
        `[{"stream":"grp-twice","expected":"no_stream","command":null,"events":${events(0)}},
          {"stream":"grp-twice","expected":"0","command":null,"events":${events(1)}},
          {"stream":"grp-twice","expected":"0","command":null,"events":${events(2)}}]`,
      ]);
      expect(rows[0]!.r).toMatchObject([{ firstRevision: 0 }, { firstRevision: 1 }, { error: 'BE409' }]);
      expect(await store.verifyStream('grp-twice')).toMatchObject({ ok: true, events: 2 });
    });
  });

  describe('events are written only by append', () => {
    const occurredAt = '2026-01-01T00:00:00Z';
    const snapshot = async (s: string) => (await tdb.pool.query(`SELECT revision, data, hash FROM baton_es.events WHERE stream_id = $1 ORDER BY revision`, [s])).rows;

    it.each([
      ['UPDATE', `UPDATE baton_es.events SET data = '{"n": 9}' WHERE stream_id = $1`],
      ['DELETE', `DELETE FROM baton_es.events WHERE stream_id = $1`],
    ])('refuses %s of events by the application role with a clear error and changes nothing', async (verb, statement) => {
      const s = `guard-${verb.toLowerCase()}`;
      await store.append(s, [0, 1].map((n) => ({ type: 'T', data: { n }, metadata: { occurredAt } })));
      const before = await snapshot(s);
      await expect(tdb.pool.query(statement, [s])).rejects.toMatchObject({
        code: 'BE403',
        message: expect.stringMatching(new RegExp(`^baton_es\\.events is append-only: ${verb} refused`)) as unknown,
      });
      expect(await snapshot(s)).toEqual(before);
      expect(await store.verifyStream(s)).toMatchObject({ ok: true, events: 2 });
    });

    it('refuses TRUNCATE of events, stream heads, anchors and commands', async () => {
      for (const table of ['events', 'streams', 'stream_anchors', 'commands']) {
        await expect(tdb.pool.query(`TRUNCATE baton_es.${table}`)).rejects.toMatchObject({ code: 'BE403' });
      }
      expect((await tdb.pool.query(`SELECT count(*)::int AS n FROM baton_es.events`)).rows[0].n).toBeGreaterThan(0);
    });

    it('refuses rewriting or deleting a stream head or an idempotency record', async () => {
      const s = 'guard-head';
      await store.append(s, [{ type: 'T', data: {}, metadata: { occurredAt } }], { commandId: 'cmd-guard' });
      await expect(tdb.pool.query(`DELETE FROM baton_es.streams WHERE stream_id = $1`, [s])).rejects.toMatchObject({ code: 'BE403' });
      await expect(tdb.pool.query(`DELETE FROM baton_es.commands WHERE stream_id = $1`, [s])).rejects.toMatchObject({ code: 'BE403' });
      await expect(tdb.pool.query(`UPDATE baton_es.stream_anchors SET revision = 7 WHERE stream_id = $1`, [s])).rejects.toMatchObject({ code: 'BE403' });
      expect(await store.verifyStream(s)).toMatchObject({ ok: true, events: 1 });
    });

    it.each([
      ['the last event of a three-event stream', 'guard-truncated', 3],
      ['the only event of a one-event stream', 'guard-erased', 1],
    ])('names a stream when %s is deleted with its head row, the protection switched off', async (_what, s, n) => {
      await store.append(s, Array.from({ length: n }, (_, i) => ({ type: 'T', data: { n: i }, metadata: { occurredAt } })));
      await tamperAsTableOwner(
        tdb.pool,
        `WITH gone AS (DELETE FROM baton_es.events WHERE stream_id = $1 AND revision = $2 RETURNING stream_id)
         DELETE FROM baton_es.streams WHERE stream_id IN (SELECT stream_id FROM gone)`,
        [s, n - 1],
      );
      const r = await store.verifyStream(s);
      expect(r).toMatchObject({ ok: false, streamId: s, brokenAt: n - 1 });
      expect(r.ok === false && r.reason).toMatch(/is missing: append anchored/);
      const listed: string[] = [];
      for await (const id of store.listStreams()) listed.push(id);
      expect(listed).toContain(s);
    });

    it('names an event inserted behind the append path', async () => {
      const s = 'guard-forged';
      await store.append(s, [{ type: 'T', data: {}, metadata: { occurredAt } }]);
      // A forger who even computes a valid link and moves the head: still not anchored.
      await tdb.pool.query(
        `WITH h AS (SELECT gen_random_uuid() AS id, hash FROM baton_es.events WHERE stream_id = $1 AND revision = 0),
              ins AS (INSERT INTO baton_es.events (event_id, stream_id, category, revision, type, schema_version, data, metadata, prev_hash, hash)
                      SELECT h.id, $1, 'guard', 1, 'T', 1, '{}', '{}', h.hash, baton_es.event_hash(h.hash, $1, 1, h.id, 'T', 1, '{}', '{}') FROM h
                      RETURNING hash)
         UPDATE baton_es.streams SET revision = 1, last_hash = (SELECT hash FROM ins) WHERE stream_id = $1`,
        [s],
      );
      const r = await store.verifyStream(s);
      expect(r).toMatchObject({ ok: false, streamId: s, brokenAt: 1 });
    });
  });

  it('goes on appending after the server ends the connections its appends are held on, and gives them back on close', async () => {
    const occurredAt = '2026-01-01T00:00:00Z';
    const url = new URL(tdb.url);
    url.searchParams.set('application_name', 'held-writers');
    const held = await createPostgresEventStore({ connectionString: url.toString(), poolSize: 3 });
    const backends = async () =>
      (await tdb.pool.query<{ pid: number; state: string }>(`SELECT pid, state FROM pg_stat_activity WHERE application_name = 'held-writers'`)).rows;
    try {
      await held.append('held-1', [{ type: 'T', data: { n: 1 }, metadata: { occurredAt } }]);
      await held.appendTogether([
        { streamId: 'held-1', events: [{ type: 'T', data: { n: 2 }, metadata: { occurredAt } }] },
        { streamId: 'held-2', events: [{ type: 'T', data: { n: 1 }, metadata: { occurredAt } }] },
      ]);
      const before = await backends();
      expect(before.length).toBeGreaterThan(0);
      // What a restart of Postgres or an administrator does to every connection, held ones included.
      await tdb.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'held-writers'`);
      await waitFor(async () => (await backends()).length === 0, { timeoutMs: 5_000, what: 'the terminated backends gone' });
      await held.append('held-1', [{ type: 'T', data: { n: 3 }, metadata: { occurredAt } }]);
      await held.append('held-3', [{ type: 'T', data: { n: 1 }, metadata: { occurredAt } }]);
      expect((await held.readStream('held-1')).map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
      expect(await held.verifyStream('held-1')).toMatchObject({ ok: true });
    } finally {
      await held.close();
    }
    // Closed: nothing of it is left connected (a held connection kept would keep the pool from ending).
    await waitFor(async () => (await backends()).length === 0, { timeoutMs: 5_000, what: 'no connection of the closed store left' });
  });

  it('holds no connection once quiet: a pool ended without the store closed still ends', async () => {
    const pool = new Pool({ connectionString: tdb.url, max: 3 });
    const quiet = await createPostgresEventStore({ pool });
    await quiet.append('quiet-1', [{ type: 'T', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }]);
    expect(pool.totalCount - pool.idleCount).toBeGreaterThan(0);
    // A held connection goes back after a second unused, so pool.end() (which waits for every checked-out one) returns.
    const ended = await Promise.race([pool.end().then(() => 'ended'), new Promise((r) => setTimeout(() => r('still waiting'), 4_000))]);
    expect(ended).toBe('ended');
  });

  it('rejects an event id already used by another stream with a typed error', async () => {
    const id = crypto.randomUUID();
    await store.append('dup-a', [{ eventId: id, type: 'T', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }]);
    await expect(store.append('dup-b', [{ eventId: id, type: 'T', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }])).rejects.toMatchObject({
      code: 'DUPLICATE',
    });
    expect(await store.readStream('dup-b')).toEqual([]);
  });

  it('an idle subscription reads at its poll interval once its listener is on, not every few milliseconds', async () => {
    const idle = await createPostgresEventStore({ connectionString: tdb.url, poolSize: 2, migrate: false, pollIntervalMs: 500 });
    const readPage = (idle as unknown as { readPage: (...a: unknown[]) => Promise<unknown> }).readPage.bind(idle);
    let reads = 0;
    (idle as unknown as { readPage: (...a: unknown[]) => Promise<unknown> }).readPage = (...a: unknown[]) => {
      reads++;
      return readPage(...a);
    };
    const sub = idle.subscribe({ from: 'end', filter: { categories: ['idle'] }, onEvent: () => undefined });
    try {
      await waitFor(() => sub.isLive);
      await new Promise((r) => setTimeout(r, 200));
      const before = reads;
      await new Promise((r) => setTimeout(r, 1000));
      // Before: the listener's "I am on" wake counted as a commit numbered Number.MAX_SAFE_INTEGER,
      // which looked hidden forever, and the subscription re-read every 5 ms (155 reads a second).
      expect(reads - before).toBeLessThanOrEqual(3);
    } finally {
      await sub.stop();
      await idle.close();
    }
  });

  it('names the categories a commit wrote in its NOTIFY, and a subscriber of other categories does not read for it', async () => {
    const listener = new Client({ connectionString: tdb.url });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (m) => payloads.push(m.payload ?? ''));
    await listener.query('LISTEN baton_es_appended');
    // Another process's store with a subscription of the `agent` category, its reads counted.
    const other = await createPostgresEventStore({ connectionString: tdb.url, poolSize: 2, migrate: false });
    const readPage = (other as unknown as { readPage: (...a: unknown[]) => Promise<unknown> }).readPage.bind(other);
    let reads = 0;
    (other as unknown as { readPage: (...a: unknown[]) => Promise<unknown> }).readPage = (...a: unknown[]) => {
      reads++;
      return readPage(...a);
    };
    const seen: string[] = [];
    const sub = other.subscribe({ from: 'end', filter: { categories: ['agent'] }, onEvent: (e) => void seen.push(e.streamId) });
    const grouped = await createPostgresEventStore({ pool: tdb.pool, migrate: false, appendsInFlight: 1 });
    try {
      await waitFor(() => sub.isLive);
      const e = { type: 'T', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00Z' } };
      const before = reads;
      const one = await store.append(`task-${crypto.randomUUID()}`, [e]);
      // In flight one at a time: the three after the first go as one group commit.
      const group = await Promise.all([`task-${crypto.randomUUID()}`, `run-${crypto.randomUUID()}`, `task-${crypto.randomUUID()}`, `run-${crypto.randomUUID()}`].map((sid) => grouped.append(sid, [e])));
      const last = Math.max(...group.map((r) => r.position.commit));
      await waitFor(() => payloads.includes(`${one.position.commit}:task`) && payloads.some((p) => p.startsWith(`${last}:`)));
      expect(payloads.filter((p) => p.startsWith(`${last}:`)).map((p) => new Set(p.split(':')[1]!.split(',')))).toContainEqual(new Set(['task', 'run']));
      // The other store heard the same notices by now, give or take a moment: none of them woke a read.
      await new Promise((r) => setTimeout(r, 100));
      expect(reads - before).toBe(0);
      // A category the payload cannot carry: the bare commit, which every subscriber reads for.
      const odd = await store.append(`odd,name:${crypto.randomUUID()}`, [e]);
      await waitFor(() => payloads.includes(String(odd.position.commit)));
      await waitFor(() => reads > before);
      const agent = await store.append(`agent-${crypto.randomUUID()}`, [e]);
      await waitFor(() => seen.length === 1);
      expect(payloads).toContain(`${agent.position.commit}:agent`);
    } finally {
      await sub.stop();
      await grouped.close();
      await other.close();
      await listener.end();
    }
  });

  it('a transaction open elsewhere that writes no events does not hold a subscription back; an append held open does, and comes first', async () => {
    const other = await createPostgresEventStore({ connectionString: tdb.url, poolSize: 2, migrate: false });
    const cat = `vis${crypto.randomUUID().slice(0, 8)}`;
    const seen: string[] = [];
    const sub = other.subscribe({ from: 'end', filter: { categories: [cat] }, onEvent: (e) => void seen.push(e.streamId) });
    // A read model's transaction, say: open, with a transaction id, writing no events. It keeps the
    // server's oldest open transaction (the xmin horizon) below every commit that follows.
    const bystander = new Client({ connectionString: tdb.url });
    await bystander.connect();
    await bystander.query('BEGIN');
    await bystander.query('SELECT pg_current_xact_id()');
    const writer = new Client({ connectionString: tdb.url });
    await writer.connect();
    const e = { type: 'T', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00Z' } };
    try {
      await waitFor(() => sub.isLive);
      await store.append(`${cat}-a`, [e]);
      // Before the exact horizon, this waited for the bystander to end.
      await waitFor(() => seen.length === 1, { what: 'the append committed behind an open transaction that writes no events', timeoutMs: 5000 });
      // An append held open (the SQL function takes its stream's lock before it writes): what commits after it waits.
      await writer.query('BEGIN');
      await writer.query('SELECT baton_es.append($1, $2, NULL, $3::jsonb)', [`${cat}-b`, 'any', JSON.stringify([{ eventId: crypto.randomUUID(), type: 'T', schemaVersion: 1, data: {}, metadata: e.metadata }])]);
      await store.append(`${cat}-c`, [e]);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual([`${cat}-a`]);
      await writer.query('COMMIT');
      await waitFor(() => seen.length === 3, { what: 'both appends once the held one committed', timeoutMs: 5000 });
      expect(seen).toEqual([`${cat}-a`, `${cat}-b`, `${cat}-c`]);
    } finally {
      await bystander.query('ROLLBACK').catch(() => undefined);
      await bystander.end();
      await writer.end();
      await sub.stop();
      await other.close();
    }
  });

  it('stores a category column taken from the stream id', async () => {
    await store.append('agent-42-x', [{ type: 'T', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }]);
    const { rows } = await tdb.pool.query(`SELECT category FROM baton_es.events WHERE stream_id = 'agent-42-x'`);
    expect(rows).toEqual([{ category: 'agent' }]);
  });
});
