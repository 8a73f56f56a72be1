import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('scheduler');
  await s
    .createTable('tasks')
    .addColumn('task_id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text')
    .addColumn('stage_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('requirement', 'jsonb', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull().check(sql`priority IN ('P0', 'P1', 'P2')`))
    .addColumn('inputs', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('queued', 'assigned', 'accepted', 'blocked', 'completed', 'failed', 'cancelled')`),
    )
    .addColumn('agent_id', 'text')
    .addColumn('lease_epoch', 'integer', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('timeout_ms', 'integer')
    .addColumn('not_before', 'timestamptz')
    .addColumn('queue_key', 'timestamptz', (c) => c.notNull())
    .addColumn('requeued', 'boolean', (c) => c.notNull())
    .addColumn('assigned_at', 'timestamptz')
    .addColumn('percent', 'real')
    .addColumn('progress_message', 'text')
    .addColumn('tokens_used', 'integer')
    .addColumn('blocked_reason', 'text')
    .addColumn('outputs', 'jsonb')
    .addColumn('error', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .execute();
  // The queue: waiting tasks in the order they are served.
  await sql`CREATE INDEX tasks_queue_idx ON scheduler.tasks (queue_key, task_id) WHERE status = 'queued'`.execute(db);
  await sql`CREATE INDEX tasks_held_idx ON scheduler.tasks (agent_id) WHERE status IN ('assigned', 'accepted', 'blocked')`.execute(db);
  await s.createIndex('tasks_run_idx').on('tasks').column('run_id').execute();

  await s
    .createTable('agents')
    .addColumn('agent_id', 'text', (c) => c.primaryKey())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('capabilities', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('max_concurrency', 'integer', (c) => c.notNull())
    .addColumn('online', 'boolean', (c) => c.notNull())
    .addColumn('removed', 'boolean', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await s
    .createTable('agent_assignments')
    .addColumn('agent_id', 'text', (c) => c.primaryKey())
    .addColumn('last_assigned_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await s
    .createTable('timers')
    .addColumn('timer_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('task-timeout', 'retry-due')`))
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('lease_epoch', 'integer', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await s.createIndex('timers_due_idx').on('timers').column('due_at').execute();
  await s.createIndex('timers_task_idx').on('timers').column('task_id').execute();

  await s
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('scheduler');
  for (const t of ['leases', 'timers', 'agent_assignments', 'agents', 'tasks']) await s.dropTable(t).execute();
}
