import { createTestDatabase, type TestDatabase } from '@baton/testing';
import { Client } from 'pg';
import { runEventStoreContract } from '../testing/contract';
import { createPostgresEventStore, type PostgresEventStore } from './postgres-event-store';

let db: TestDatabase;

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
      // What an operator with SQL access might do: edit a stored payload in place.
      const r = await db.pool.query(`UPDATE baton_es.events SET data = jsonb_set(data, '{n}', '99') WHERE stream_id = $1 AND revision = 1`, [streamId]);
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

  it('names the broken link when a stored hash is recomputed to hide an edit', async () => {
    const s = 'audit-1';
    await store.append(s, [0, 1, 2].map((n) => ({ type: 'T', data: { n }, metadata: { occurredAt: '2026-01-01T00:00:00Z' } })));
    await tdb.pool.query(
      `UPDATE baton_es.events SET data = '{"n": 7}', hash = baton_es.event_hash(prev_hash, stream_id, revision, event_id, type, schema_version, '{"n": 7}'::jsonb, metadata)
        WHERE stream_id = $1 AND revision = 1`,
      [s],
    );
    const r = await store.verifyStream(s);
    expect(r).toMatchObject({ ok: false, brokenAt: 2 });
    expect(r.ok === false && r.reason).toMatch(/prev_hash/);
  });

  it('names a deleted tail event', async () => {
    const s = 'audit-2';
    await store.append(s, [0, 1].map((n) => ({ type: 'T', data: { n }, metadata: { occurredAt: '2026-01-01T00:00:00Z' } })));
    await tdb.pool.query(`DELETE FROM baton_es.events WHERE stream_id = $1 AND revision = 1`, [s]);
    expect(await store.verifyStream(s)).toMatchObject({ ok: false, brokenAt: 1 });
  });

  it('rejects an event id already used by another stream with a typed error', async () => {
    const id = crypto.randomUUID();
    await store.append('dup-a', [{ eventId: id, type: 'T', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }]);
    await expect(store.append('dup-b', [{ eventId: id, type: 'T', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }])).rejects.toMatchObject({
      code: 'DUPLICATE',
    });
    expect(await store.readStream('dup-b')).toEqual([]);
  });

  it('stores a category column taken from the stream id', async () => {
    await store.append('agent-42-x', [{ type: 'T', data: {}, metadata: { occurredAt: '2026-01-01T00:00:00Z' } }]);
    const { rows } = await tdb.pool.query(`SELECT category FROM baton_es.events WHERE stream_id = 'agent-42-x'`);
    expect(rows).toEqual([{ category: 'agent' }]);
  });
});
