import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type CompiledQuery } from 'kysely';
import { patchRow, upsertRow } from './row-writes';

interface TestDatabase {
  'app.items': { item_id: string; name: string; revision: number; updated_at: Date };
}

/** A Kysely that runs nothing and keeps the queries it would have sent. */
function recordingDb(): { db: Kysely<TestDatabase>; sent: CompiledQuery[] } {
  const sent: CompiledQuery[] = [];
  const db = new Kysely<TestDatabase>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log: (event) => {
      if (event.level === 'query') sent.push(event.query);
    },
  });
  return { db, sent };
}

describe('upsertRow', () => {
  it('inserts the row and, on a key conflict, replaces every other column', async () => {
    const { db, sent } = recordingDb();
    await upsertRow(db, 'app.items', 'item_id', { item_id: 'i1', name: 'one', revision: 3, updated_at: new Date(0) });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.sql).toBe(
      'insert into "app"."items" ("item_id", "name", "revision", "updated_at") values ($1, $2, $3, $4) on conflict ("item_id") do update set "name" = $5, "revision" = $6, "updated_at" = $7',
    );
    expect(sent[0]!.parameters).toEqual(['i1', 'one', 3, new Date(0), 'one', 3, new Date(0)]);
  });
});

describe('patchRow', () => {
  it('sets the patch with the revision and time of the event, by key, and returns the row after', async () => {
    const { db, sent } = recordingDb();
    const row = await patchRow(db, 'app.items', 'item_id', 'i1', { name: 'renamed' }, { revision: 4, at: new Date(1000) });
    expect(row).toBeUndefined(); // the dummy driver returns no rows
    expect(sent[0]!.sql).toBe('update "app"."items" set "name" = $1, "revision" = $2, "updated_at" = $3 where "item_id" = $4 returning *');
    expect(sent[0]!.parameters).toEqual(['renamed', 4, new Date(1000), 'i1']);
  });
});
