import { sql, type Kysely } from 'kysely';

/** The deliveries read model, the dispatch queue, and the runs and workflow versions notices are read with. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_notifier');
  await s
    .createTable('notifications')
    .addColumn('delivery_id', 'text', (c) => c.primaryKey())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('channel_kind', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('source', 'jsonb', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('pending', 'retrying', 'delivered', 'dead_lettered')`))
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('revision', 'integer', (c) => c.notNull())
    .execute();
  await s.createIndex('notifications_status_idx').on('notifications').columns(['status', 'requested_at']).execute();
  await s.createIndex('notifications_run_idx').on('notifications').column('run_id').where(sql.ref('run_id'), 'is not', null).execute();

  await s
    .createTable('queue')
    .addColumn('delivery_id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigserial', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'timestamptz')
    .execute();
  await s.createIndex('queue_channel_idx').on('queue').columns(['channel', 'seq']).execute();

  await s
    .createTable('runs')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('workflows')
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('stage_actions', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflows_pkey', ['workflow_id', 'version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_notifier');
  for (const table of ['workflows', 'runs', 'queue', 'notifications']) await s.dropTable(table).execute();
}
