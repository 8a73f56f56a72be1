import { createTable, notNull, primaryKey } from '@baton/read-models';
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('scheduler');
  await createTable(s, 'tasks', {
    task_id: primaryKey('text'),
    run_id: 'text',
    stage_id: 'text',
    action: notNull('text'),
    requirement: notNull('jsonb'),
    priority: notNull('text', { check: sql`priority IN ('P0', 'P1', 'P2')` }),
    inputs: notNull('jsonb'),
    status: notNull('text', {
      check: sql`status IN ('queued', 'assigned', 'accepted', 'blocked', 'completed', 'failed', 'cancelled')`,
    }),
    agent_id: 'text',
    lease_epoch: notNull('integer'),
    attempt: notNull('integer'),
    max_attempts: notNull('integer'),
    timeout_ms: 'integer',
    not_before: 'timestamptz',
    queue_key: notNull('timestamptz'),
    requeued: notNull('boolean'),
    assigned_at: 'timestamptz',
    percent: 'real',
    progress_message: 'text',
    tokens_used: 'integer',
    blocked_reason: 'text',
    outputs: 'jsonb',
    error: 'jsonb',
    created_at: notNull('timestamptz'),
    updated_at: notNull('timestamptz'),
    revision: notNull('integer'),
  }).execute();
  // The queue: waiting tasks in the order they are served.
  await sql`CREATE INDEX tasks_queue_idx ON scheduler.tasks (queue_key, task_id) WHERE status = 'queued'`.execute(db);
  await sql`CREATE INDEX tasks_held_idx ON scheduler.tasks (agent_id) WHERE status IN ('assigned', 'accepted', 'blocked')`.execute(db);
  await s.createIndex('tasks_run_idx').on('tasks').column('run_id').execute();

  await createTable(s, 'agents', {
    agent_id: primaryKey('text'),
    role: notNull('text'),
    capabilities: notNull(sql`text[]`, { defaultTo: sql`'{}'` }),
    max_concurrency: notNull('integer'),
    online: notNull('boolean'),
    removed: notNull('boolean'),
    revision: notNull('integer'),
    updated_at: notNull('timestamptz'),
  }).execute();

  await createTable(s, 'agent_assignments', {
    agent_id: primaryKey('text'),
    last_assigned_at: notNull('timestamptz'),
  }).execute();

  await createTable(s, 'timers', {
    timer_id: primaryKey('text'),
    kind: notNull('text', { check: sql`kind IN ('task-timeout', 'retry-due')` }),
    task_id: notNull('text'),
    lease_epoch: notNull('integer'),
    due_at: notNull('timestamptz'),
  }).execute();
  await s.createIndex('timers_due_idx').on('timers').column('due_at').execute();
  await s.createIndex('timers_task_idx').on('timers').column('task_id').execute();

  await createTable(s, 'leases', {
    name: primaryKey('text'),
    holder: notNull('text'),
    epoch: notNull('bigint'),
    expires_at: notNull('timestamptz'),
  }).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('scheduler');
  for (const t of ['leases', 'timers', 'agent_assignments', 'agents', 'tasks']) await s.dropTable(t).execute();
}
