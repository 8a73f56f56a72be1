import type { Kysely } from 'kysely';

/** The workflow, task, agent and health read models, and the investigations the checker raised. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_metrics');
  await s
    .createTable('runs')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .addColumn('blockers', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await s.createIndex('runs_workflow_idx').on('runs').columns(['workflow_id', 'version', 'started_at']).execute();

  await s
    .createTable('stage_runs')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('stage_id', 'text', (c) => c.notNull())
    .addColumn('iteration', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('sla_ms', 'double precision')
    .addColumn('sent_back', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('stage_runs_pk', ['run_id', 'stage_id', 'iteration'])
    .execute();

  await s
    .createTable('tasks')
    .addColumn('task_id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text')
    .addColumn('stage_id', 'text')
    .addColumn('iteration', 'integer')
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('model', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('assigned_at', 'timestamptz')
    .addColumn('accepted_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('rejections', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await s.createIndex('tasks_run_idx').on('tasks').columns(['run_id', 'stage_id', 'iteration']).execute();
  await s.createIndex('tasks_status_idx').on('tasks').columns(['status', 'priority']).execute();

  await s
    .createTable('executions')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'double precision')
    .addColumn('ended_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await s.createIndex('executions_ended_idx').on('executions').columns(['ended_at', 'agent_id']).execute();

  await s
    .createTable('token_reports')
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('lease_epoch', 'integer', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('stage_id', 'text')
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('token_reports_pk', ['task_id', 'lease_epoch'])
    .execute();

  await s
    .createTable('agents')
    .addColumn('agent_id', 'text', (c) => c.primaryKey())
    .addColumn('model', 'text')
    .addColumn('max_concurrency', 'integer', (c) => c.notNull())
    .execute();

  await s
    .createTable('health_checks')
    .addColumn('check', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('threshold', 'jsonb', (c) => c.notNull())
    .addColumn('actions', 'jsonb', (c) => c.notNull())
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .addColumn('breach_event_id', 'text')
    .addPrimaryKeyConstraint('health_checks_pk', ['check', 'subject'])
    .execute();

  await s
    .createTable('investigations')
    .addColumn('breach_event_id', 'text', (c) => c.primaryKey())
    .addColumn('escalation_id', 'text', (c) => c.notNull())
    .addColumn('raised_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_metrics');
  for (const table of ['investigations', 'health_checks', 'agents', 'token_reports', 'executions', 'tasks', 'stage_runs', 'runs']) await s.dropTable(table).execute();
}
