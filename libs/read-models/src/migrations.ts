import { BatonError } from '@baton/contracts';
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';

export type { Migration } from 'kysely/migration';

export interface MigrateSchemaOptions {
  /** The service's schema, e.g. `agent_registry`. Also holds kysely's migration bookkeeping tables. */
  readonly schema: string;
  /**
   * Every migration of the schema, keyed by a name that sorts in order
   * (`2026_11_22_0001_create_agents`). Import the modules statically; no directory scanning.
   */
  readonly migrations: Readonly<Record<string, Migration>>;
}

export interface MigrateSchemaResult {
  readonly schema: string;
  /** Names of the migrations that ran now, in order (empty when already up to date). */
  readonly executed: readonly string[];
}

/** A migration failed, or the migrator could not run; `details.migration` names the failing one when known. */
export class MigrationFailedError extends BatonError {
  constructor(
    readonly schema: string,
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'INTERNAL',
      migration
        ? `migration "${migration}" of schema "${schema}" failed: ${reason}`
        : `migrating schema "${schema}" failed: ${reason}`,
      { schema, migration, reason },
      false,
      { cause },
    );
    this.name = 'MigrationFailedError';
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name before it is used in DDL; throws VALIDATION_FAILED when it is not a plain identifier. */
export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new BatonError('VALIDATION_FAILED', `invalid schema name "${schema}": use lower-case letters, digits and underscores`);
  }
  return schema;
}

/**
 * Brings a service's schema up to date: creates the schema when missing, then runs every
 * migration not yet applied, in name order, with kysely's bookkeeping tables inside the same
 * schema. Safe to call from several replicas at once (kysely takes a lock). Throws
 * {@link MigrationFailedError} naming the failing migration.
 *
 * @example
 * import * as m0001 from './migrations/2026_11_22_0001_create_agents';
 * await migrateSchema(db, { schema: 'agent_registry', migrations: { '2026_11_22_0001_create_agents': m0001 } });
 */
export async function migrateSchema(db: Kysely<unknown>, options: MigrateSchemaOptions): Promise<MigrateSchemaResult> {
  const schema = assertSchemaName(options.schema);
  try {
    await ensureSchema(db, schema);
  } catch (err) {
    throw new MigrationFailedError(schema, undefined, err);
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...options.migrations }) },
    migrationTableSchema: schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationFailedError(schema, failed, error);
  }
  return { schema, executed: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/** `CREATE SCHEMA IF NOT EXISTS`, serialised by an advisory lock so concurrent callers do not race on the catalog. */
export async function ensureSchema(db: Kysely<unknown>, schema: string): Promise<void> {
  assertSchemaName(schema);
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`baton.schema.${schema}`}))`.execute(trx);
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(trx);
  });
}
