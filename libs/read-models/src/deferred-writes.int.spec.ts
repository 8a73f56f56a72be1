import { sql, type Kysely } from 'kysely';
import { inline } from './deferred-writes';
import { poolOf } from './kysely';
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

  it('poolOf knows the pools of the Kyselys createKysely made, and no other', () => {
    expect(poolOf(db)).toBeDefined();
    expect(poolOf({})).toBeUndefined();
  });
});
