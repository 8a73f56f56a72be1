import { BatonError } from '@baton/contracts';
import { createTestDatabase, type TestDatabase } from '@baton/testing';
import type { Migration } from '@baton/read-models';
import { migrateServiceDatabases } from './service-migration';

const createWidgets: Migration = {
  async up(db) {
    await db.schema.withSchema('svc_migration_test').createTable('widgets').addColumn('id', 'text', (c) => c.primaryKey()).execute();
  },
};

describe('migrateServiceDatabases (the one-shot migration before services start)', () => {
  let tdb: TestDatabase;

  beforeAll(async () => {
    tdb = await createTestDatabase('svc_migration');
  });

  afterAll(async () => {
    await tdb?.drop();
  });

  const tables = async (): Promise<string[]> =>
    (
      await tdb.pool.query<{ t: string }>(
        `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
          WHERE table_schema IN ('svc_migration_test', 'baton_es') ORDER BY 1`,
      )
    ).rows.map((r) => r.t);

  it('migrates the Postgres event store and each service schema with its relay checkpoints, then is a no-op', async () => {
    const services = [{ service: 'scheduler' as const, schema: 'svc_migration_test', migrations: { '2026_12_06_0001_create_widgets': createWidgets } }];
    const first = await migrateServiceDatabases({ databaseUrl: tdb.url, services });
    expect(first).toEqual({ eventStore: 'postgres', schemas: [{ service: 'scheduler', schema: 'svc_migration_test', executed: ['2026_12_06_0001_create_widgets'] }] });
    const after = await tables();
    expect(after).toEqual(expect.arrayContaining(['svc_migration_test.widgets', 'svc_migration_test.relay_checkpoints']));
    expect(after.some((t) => t.startsWith('baton_es.'))).toBe(true);

    const again = await migrateServiceDatabases({ databaseUrl: tdb.url, services });
    expect(again.schemas[0]?.executed).toEqual([]);
    expect(await tables()).toEqual(after);
  });

  it('refuses a schema name that is not a plain identifier before it touches the database', async () => {
    const empty = await createTestDatabase('svc_migration_bad');
    try {
      const good = { service: 'scheduler' as const, schema: 'svc_migration_test', migrations: { '2026_12_06_0001_create_widgets': createWidgets } };
      const bad = { service: 'escalation' as const, schema: 'Bad-Name; DROP', migrations: {} };
      const err = await migrateServiceDatabases({ databaseUrl: empty.url, services: [good, bad] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BatonError);
      expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
      const left = await empty.pool.query(`SELECT 1 FROM information_schema.schemata WHERE schema_name IN ('svc_migration_test', 'baton_es')`);
      expect(left.rowCount).toBe(0);
    } finally {
      await empty.drop();
    }
  });
});
