import { sql, type Kysely } from 'kysely';

/** The escalations read model, the task facts and watches fed by the consumer, and the durable timers. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_escalation');
  await s
    .createTable('escalations')
    .addColumn('escalation_id', 'text', (c) => c.primaryKey())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull().check(sql`level BETWEEN 0 AND 3`))
    .addColumn('start_level', 'integer', (c) => c.notNull().check(sql`start_level BETWEEN 0 AND 3`))
    .addColumn('assignee_kind', 'text', (c) => c.notNull())
    .addColumn('assignee_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('open', 'resolved')`))
    .addColumn('issue', 'text', (c) => c.notNull())
    .addColumn('workflow_stage', 'text')
    .addColumn('options', 'jsonb', (c) => c.notNull())
    .addColumn('recommendation', 'text')
    .addColumn('blocking', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('stage_id', 'text')
    .addColumn('task_id', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .addColumn('ladder', 'jsonb', (c) => c.notNull())
    .addColumn('raised_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('resolution', 'text')
    .addColumn('resolved_by', 'jsonb')
    .addColumn('resolution_reason', 'text')
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('revision', 'integer', (c) => c.notNull())
    .execute();
  await s.createIndex('escalations_status_idx').on('escalations').columns(['status', 'raised_at']).execute();
  await s.createIndex('escalations_run_idx').on('escalations').column('run_id').where(sql.ref('run_id'), 'is not', null).execute();

  await s
    .createTable('tasks')
    .addColumn('task_id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text')
    .addColumn('stage_id', 'text')
    .addColumn('action', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('lease_epoch', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('queued', 'held', 'blocked', 'ended')`))
    .addColumn('last_activity_at', 'timestamptz')
    .addColumn('last_percent', 'real')
    .addColumn('blocked_at', 'timestamptz')
    .addColumn('block_reason', 'text')
    .addColumn('stall_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await s.createIndex('tasks_stage_idx').on('tasks').columns(['run_id', 'stage_id']).execute();

  await s
    .createTable('runs')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .execute();

  await s
    .createTable('workflow_ladders')
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('overrides', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflow_ladders_pk', ['workflow_id', 'version'])
    .execute();

  await s
    .createTable('watches')
    .addColumn('escalation_id', 'text', (c) => c.primaryKey())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text')
    .addColumn('run_id', 'text')
    .addColumn('stage_id', 'text')
    .addColumn('iteration', 'integer')
    .addColumn('conflict_id', 'text')
    .addColumn('plan', 'jsonb', (c) => c.notNull())
    .addColumn('armed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('open', 'boolean', (c) => c.notNull())
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
    .addColumn('closed_at', 'timestamptz')
    .execute();
  await s.createIndex('watches_task_idx').on('watches').column('task_id').where(sql.ref('open'), '=', true).execute();
  await s.createIndex('watches_run_idx').on('watches').columns(['run_id', 'stage_id', 'iteration']).where(sql.ref('open'), '=', true).execute();

  await s
    .createTable('timers')
    .addColumn('timer_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('raise', 'climb', 'resolve')`))
    .addColumn('escalation_id', 'text', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('seq', 'bigserial', (c) => c.notNull())
    .execute();
  await s.createIndex('timers_due_idx').on('timers').columns(['due_at', 'seq']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_escalation');
  for (const table of ['timers', 'watches', 'workflow_ladders', 'runs', 'tasks', 'escalations']) await s.dropTable(table).execute();
}
