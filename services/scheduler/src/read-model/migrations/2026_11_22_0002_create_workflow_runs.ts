import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('scheduler');
  await s
    .createTable('workflow_definitions')
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('trigger_kind', 'text', (c) => c.notNull())
    .addColumn('item_types', 'jsonb', (c) => c.notNull())
    .addColumn('cron', 'text')
    .addColumn('yaml', 'text', (c) => c.notNull())
    .addColumn('registered_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflow_definitions_pk', ['workflow_id', 'version'])
    .execute();
  await s
    .createTable('runs')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state IN ('running', 'paused', 'success', 'failure', 'cancelled')`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .addColumn('revision', 'integer', (c) => c.notNull())
    .execute();
  await s.createIndex('runs_workflow_idx').on('runs').columns(['workflow_id', 'started_at']).execute();
  await s
    .createTable('run_timers')
    .addColumn('timer_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('stage-sla', 'cron')`))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('stage_id', 'text')
    .addColumn('iteration', 'integer')
    .addColumn('cron', 'text')
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await s.createIndex('run_timers_due_idx').on('run_timers').column('due_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('scheduler');
  await s.dropTable('run_timers').execute();
  await s.dropTable('runs').execute();
  await s.dropTable('workflow_definitions').execute();
}
