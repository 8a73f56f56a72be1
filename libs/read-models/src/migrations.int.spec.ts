import type { TestDatabase } from '@baton/testing';
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { createKysely } from './kysely';
import { migrateSchema } from './migrations';
import { createTestKysely, type TestKysely } from './testing/test-kysely';

const createThings: Migration = {
  async up(db) {
    await db.schema.withSchema('rm_test').createTable('things').addColumn('id', 'text', (c) => c.primaryKey()).execute();
  },
  async down(db) {
    await db.schema.withSchema('rm_test').dropTable('things').execute();
  },
};
const addLabel: Migration = {
  async up(db) {
    await db.schema.withSchema('rm_test').alterTable('things').addColumn('label', 'text').execute();
  },
};
const broken: Migration = {
  async up(db) {
    await sql`ALTER TABLE rm_test.no_such_table ADD COLUMN x int`.execute(db);
  },
};

describe('migrateSchema', () => {
  let t: TestKysely<unknown>;
  let tdb: TestDatabase;
  let db: Kysely<unknown>;

  beforeAll(async () => {
    t = await createTestKysely('read_models_migrate');
    ({ tdb, db } = t);
  });
  afterAll(() => t.close());

  it('creates the schema, runs pending migrations in name order and reports them', async () => {
    const first = await migrateSchema(db, { schema: 'rm_test', migrations: { '0001_create_things': createThings } });
    expect(first.executed).toEqual(['0001_create_things']);

    const second = await migrateSchema(db, {
      schema: 'rm_test',
      migrations: { '0002_add_label': addLabel, '0001_create_things': createThings },
    });
    expect(second.executed).toEqual(['0002_add_label']);

    const again = await migrateSchema(db, {
      schema: 'rm_test',
      migrations: { '0001_create_things': createThings, '0002_add_label': addLabel },
    });
    expect(again.executed).toEqual([]);

    const { rows } = await tdb.pool.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'rm_test' ORDER BY table_name`,
    );
    expect(rows.map((r: { table_name: string }) => r.table_name)).toEqual(['kysely_migration', 'kysely_migration_lock', 'things']);
  });

  it('names the failing migration', async () => {
    await expect(
      migrateSchema(db, {
        schema: 'rm_test',
        migrations: { '0001_create_things': createThings, '0002_add_label': addLabel, '0003_broken': broken },
      }),
    ).rejects.toMatchObject({ code: 'INTERNAL', details: expect.objectContaining({ migration: '0003_broken', schema: 'rm_test' }) });
  });

  it('leaves a borrowed pool open after destroy', async () => {
    const borrowed = createKysely<unknown>({ pool: tdb.pool });
    await sql`SELECT 1`.execute(borrowed);
    await borrowed.destroy();
    const { rows } = await tdb.pool.query('SELECT 1 AS one');
    expect(rows[0].one).toBe(1);
  });
});
