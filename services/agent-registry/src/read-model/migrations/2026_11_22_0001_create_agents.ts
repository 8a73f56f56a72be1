import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .withSchema('agent_registry')
    .createTable('agents')
    .addColumn('agent_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('capabilities', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('model', 'text')
    .addColumn('max_concurrency', 'integer', (c) => c.notNull())
    .addColumn('peers', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('lead', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('available', 'busy', 'error', 'offline')`))
    .addColumn('registered_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.withSchema('agent_registry').createIndex('agents_role_idx').on('agents').column('role').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.withSchema('agent_registry').dropTable('agents').execute();
}
