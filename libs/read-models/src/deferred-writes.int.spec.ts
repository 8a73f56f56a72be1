import { sql, type Kysely } from 'kysely';
import { DeferredWriteSession, executeLiteralWrite, inline } from './deferred-writes';
import { deleteWhereInSql, insertRowsSql, updateRowSql } from './literal-sql';
import { poolOf, queryRows } from './kysely';
import { createTestKysely, type TestKysely } from './testing/test-kysely';

interface Db {
  'dw.items': { id: string; n: number; big: string; tags: string[]; at: Date; local: Date; doc: unknown; flag: boolean | null; bytes: Buffer | null; amount: string };
}

// Values that a literal could get wrong: quotes, backslashes, NUL-free control characters, unicode, $1 in text, dates, arrays.
const TRICKY = `it's a \\ back\\slash, a "quote", a $1 and $10, tab\there, new\nline, ünïcödé ✓, '' and \\'`;

describe('inline (Postgres)', () => {
  let t: TestKysely<Db>;
  let db: Kysely<Db>;

  beforeAll(async () => {
    t = await createTestKysely<Db>('read_models_deferred');
    db = t.db;
    await sql`CREATE SCHEMA dw`.execute(db);
    await sql`CREATE TABLE dw.items (id text PRIMARY KEY, n integer, big bigint, tags text[], at timestamptz, local timestamp, doc jsonb, flag boolean, bytes bytea, amount numeric)`.execute(db);
  });
  afterAll(() => t.close());

  it('a statement with its values written in stores exactly what the same statement with parameters stores', async () => {
    const row = (id: string) => ({
      id,
      n: -7,
      big: '9007199254740993',
      tags: ['a', 'b,c', 'd"e', TRICKY, ''],
      at: new Date('2026-12-07T01:02:03.004Z'),
      local: new Date('2026-03-29T02:30:00.000Z'),
      doc: JSON.stringify({ text: TRICKY, nested: { list: [1, 'two', null, true] } }),
      flag: null,
      bytes: Buffer.from([0, 1, 92, 39, 255]),
      amount: '12345.678900',
    });
    const insert = (id: string) => db.insertInto('dw.items').values(row(id) as never);
    await insert('with-parameters').execute();
    const pool = poolOf(db)!;
    // As a deferred write goes: in a simple query of several statements, no parameters.
    await pool.query(`BEGIN; ${inline(insert('written-in').compile())}; COMMIT`);
    const { rows } = await sql<{ id: string; j: Record<string, unknown> }>`
      SELECT id, to_jsonb(t) - 'id' AS j FROM dw.items t ORDER BY id`.execute(db);
    expect(rows.map((r) => r.id)).toEqual(['with-parameters', 'written-in']);
    expect(rows[1]!.j).toEqual(rows[0]!.j);
    expect(rows[0]!.j['tags']).toEqual(['a', 'b,c', 'd"e', TRICKY, '']);
    expect((rows[0]!.j['doc'] as { text: string }).text).toBe(TRICKY);
  });

  it('rows written by insertRowsSql, updateRowSql and deleteWhereInSql are what Kysely with parameters writes', async () => {
    type Row = Db['dw.items'];
    const columns = ['id', 'n', 'big', 'tags', 'at', 'local', 'doc', 'flag', 'bytes', 'amount'] as const;
    const row = (id: string, n: number): Row => ({
      id,
      n,
      big: '-9007199254740993',
      tags: [TRICKY, 'x'],
      at: new Date('2026-12-07T23:59:59.999Z'),
      local: new Date('2026-10-25T01:30:00.000Z'),
      doc: JSON.stringify({ text: TRICKY }),
      flag: n % 2 === 0,
      bytes: null,
      amount: '0.5',
    });
    const upsert = insertRowsSql<Row>('dw.items', columns, { key: 'id', update: columns.filter((c) => c !== 'id') });
    // Through Kysely with parameters: the reference rows.
    for (const id of ['k1', 'k2']) await db.insertInto('dw.items').values(row(id, 1) as never).execute();
    await db.updateTable('dw.items').set({ n: 2, flag: null, doc: JSON.stringify({ again: TRICKY }) } as never).where('id', '=', 'k1').execute();
    // As literal text: inserted, then overwritten by the upsert, then patched, in a plain transaction.
    await db.transaction().execute(async (trx) => {
      await executeLiteralWrite(trx, upsert([row('l1', 0), row('l2', 0), row('gone', 0)]));
      await executeLiteralWrite(trx, upsert([row('l1', 1), row('l2', 1)]));
      await executeLiteralWrite(trx, updateRowSql('dw.items', { n: 2, flag: null, doc: JSON.stringify({ again: TRICKY }) }, 'id', 'l1'));
      await executeLiteralWrite(trx, deleteWhereInSql('dw.items', 'id', ['gone', "no'such"]));
    });
    const { rows } = await sql<{ id: string; j: Record<string, unknown> }>`
      SELECT id, to_jsonb(t) - 'id' AS j FROM dw.items t WHERE id IN ('k1', 'k2', 'l1', 'l2', 'gone') ORDER BY id`.execute(db);
    expect(rows.map((r) => r.id)).toEqual(['k1', 'k2', 'l1', 'l2']);
    expect(rows[2]!.j).toEqual(rows[0]!.j);
    expect(rows[3]!.j).toEqual(rows[1]!.j);
  });

  it('in a deferred session a literal write is held until the next read or COMMIT, like a Kysely write', async () => {
    const client = await poolOf(db)!.connect();
    const session = new DeferredWriteSession<Db>();
    try {
      session.open(client, 'BEGIN');
      // Held, not sent: a statement that would fail resolves here and fails with the COMMIT.
      await executeLiteralWrite(session.db, 'INSERT INTO "dw"."no_such_table" ("id") VALUES (\'x\')');
      await expect(session.commit()).rejects.toThrow(/no_such_table/);
      await session.abandon();
      session.open(client, 'BEGIN');
      await executeLiteralWrite(session.db, insertRowsSql<{ id: string; n: number }>('dw.items', ['id', 'n'])([{ id: 'held', n: 5 }]));
      // A read sends what is held before it, in the same text.
      const seen = await session.db.selectFrom('dw.items').select('n').where('id', '=', 'held').execute();
      expect(seen).toEqual([{ n: 5 }]);
      await session.commit();
    } finally {
      client.release();
    }
    expect(await db.selectFrom('dw.items').select('n').where('id', '=', 'held').execute()).toEqual([{ n: 5 }]);
  });

  it('queryRows returns the rows Kysely returns, on the pool, in a transaction and in a deferred session after what it holds', async () => {
    await db.insertInto('dw.items').values([{ id: 'q1', n: 1, tags: [TRICKY], at: new Date('2026-12-07T00:00:00.000Z') }, { id: 'q2', n: 2, tags: [] }] as never).execute();
    const text = 'SELECT id, n, tags, at FROM dw.items WHERE id = ANY($1::text[]) ORDER BY id';
    const built = await db.selectFrom('dw.items').select(['id', 'n', 'tags', 'at']).where('id', 'in', ['q1', 'q2']).orderBy('id').execute();
    expect(built).toHaveLength(2);
    expect(await queryRows(db, text, [['q1', 'q2']])).toEqual(built);
    expect(await db.transaction().execute((trx) => queryRows(trx, text, [['q1', 'q2']]))).toEqual(built);
    const client = await poolOf(db)!.connect();
    const session = new DeferredWriteSession<Db>();
    try {
      session.open(client, 'BEGIN');
      await executeLiteralWrite(session.db, updateRowSql('dw.items', { n: 20 }, 'id', 'q2'));
      // The held write goes first, in the same text, with the read's values written in.
      const read = await queryRows<{ id: string; n: number }>(session.db, text, [['q1', 'q2']]);
      expect(read.map((r) => [r.id, r.n])).toEqual([['q1', 1], ['q2', 20]]);
      expect(read[0]).toEqual(built[0]);
      await session.commit();
    } finally {
      client.release();
    }
    expect(await queryRows(db, 'SELECT n FROM dw.items WHERE id = $1', ['q2'])).toEqual([{ n: 20 }]);
  });

  it('poolOf knows the pools of the Kyselys createKysely made, and no other', () => {
    expect(poolOf(db)).toBeDefined();
    expect(poolOf({})).toBeUndefined();
  });
});
