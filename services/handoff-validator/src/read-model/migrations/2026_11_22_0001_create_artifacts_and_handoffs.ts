import { sql, type Kysely } from 'kysely';

/** The content-addressed artifact store and the handoffs read model. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_handoff');
  await s
    .createTable('artifacts')
    .addColumn('hash', 'text', (c) => c.primaryKey().check(sql`hash ~ '^sha256:[0-9a-f]{64}$'`))
    .addColumn('size', 'integer', (c) => c.notNull().check(sql`size >= 0`))
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await s
    .createTable('handoffs')
    .addColumn('handoff_id', 'text', (c) => c.primaryKey())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('stage_id', 'text')
    .addColumn('iteration', 'integer')
    .addColumn('from_agent_id', 'text', (c) => c.notNull())
    .addColumn('to_agent_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('pending', 'accepted', 'rejected')`))
    .addColumn('spec_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('artifacts', 'jsonb', (c) => c.notNull())
    .addColumn('context', 'jsonb', (c) => c.notNull())
    .addColumn('failures', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('rules_checked', 'integer')
    .addColumn('submitted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('submitted_commit', 'bigint', (c) => c.notNull())
    .addColumn('submitted_prepare', 'bigint', (c) => c.notNull())
    .addColumn('decided_at', 'timestamptz')
    .addColumn('revision', 'integer', (c) => c.notNull())
    .execute();
  const order = ['submitted_at', 'submitted_commit', 'submitted_prepare'];
  await s.createIndex('handoffs_run_idx').on('handoffs').columns(['run_id', ...order]).execute();
  await s.createIndex('handoffs_task_idx').on('handoffs').columns(['task_id', ...order]).execute();
  await s.createIndex('handoffs_submitted_idx').on('handoffs').columns(order).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_handoff');
  await s.dropTable('handoffs').execute();
  await s.dropTable('artifacts').execute();
}
