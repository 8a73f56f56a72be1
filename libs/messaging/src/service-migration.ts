import type { ServiceName } from '@baton/contracts';
import { openEventStore, type EventStoreSelection } from '@baton/event-store';
import { assertSchemaName, createKysely, migrateSchema, type Migration } from '@baton/read-models';
import type { Kysely } from 'kysely';
import { Pool } from 'pg';
import { PostgresCheckpointStore } from './checkpoint.store';

/** What a service brings up to date in Postgres before it starts: its schema's migrations and relay checkpoints. */
export interface ServiceMigration {
  readonly service: ServiceName;
  readonly schema: string;
  readonly migrations: Readonly<Record<string, Migration>>;
}

export interface MigrateServiceDatabasesOptions {
  readonly databaseUrl: string;
  /** Which event store adapter; Postgres (whose schema lives in `databaseUrl`) when unset. */
  readonly eventStore?: EventStoreSelection;
  readonly services: readonly ServiceMigration[];
}

/** What ran: the migrations applied now, per schema (empty when it was up to date). */
export interface ServiceDatabasesMigrated {
  readonly eventStore: EventStoreSelection['kind'];
  readonly schemas: readonly { readonly service: ServiceName; readonly schema: string; readonly executed: readonly string[] }[];
}

/**
 * The database steps of {@link startServiceHost}, for a one-shot before any service starts
 * (docker compose's `migrate`, `npm run migrate`): opens the event store (the Postgres adapter
 * migrates its schema; KurrentDB has none, so this proves it answers), then migrates each
 * service's schema and creates its relay checkpoint table. Idempotent; each service repeats
 * the same steps at start-up, so running this is about failing early and once, not correctness.
 *
 * @example
 * await migrateServiceDatabases({ databaseUrl, eventStore: eventStoreSelectionFromEnv(process.env), services: [schedulerMigration] });
 */
export async function migrateServiceDatabases(options: MigrateServiceDatabasesOptions): Promise<ServiceDatabasesMigrated> {
  // A bad name fails before anything is touched.
  for (const s of options.services) assertSchemaName(s.schema);
  const pool = new Pool({ connectionString: options.databaseUrl, max: 2, application_name: 'migrate' });
  pool.on('error', () => undefined);
  const db = createKysely<unknown>({ pool });
  try {
    const selection = options.eventStore ?? { kind: 'postgres' };
    const store = await openEventStore(selection, { pool });
    await store.close();
    const schemas = [];
    for (const s of options.services) {
      const { executed } = await migrateSchema(db as Kysely<unknown>, { schema: s.schema, migrations: s.migrations });
      await new PostgresCheckpointStore(pool, { table: `${s.schema}.relay_checkpoints` }).ensureSchema();
      schemas.push({ service: s.service, schema: s.schema, executed });
    }
    return { eventStore: selection.kind, schemas };
  } finally {
    // Kysely borrows the pool: destroying it leaves the pool to end here.
    await db.destroy();
    await pool.end();
  }
}
