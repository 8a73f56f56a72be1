import { createTable, notNull, primaryKey } from '@baton/read-models';
import { sql, type Kysely } from 'kysely';

/** The escalations read model, the task facts and watches fed by the consumer, and the durable timers. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_escalation');
  await createTable(s, 'escalations', {
    escalation_id: primaryKey('text'),
    trigger: notNull('text'),
    level: notNull('integer', { check: sql`level BETWEEN 0 AND 3` }),
    start_level: notNull('integer', { check: sql`start_level BETWEEN 0 AND 3` }),
    assignee_kind: notNull('text'),
    assignee_id: notNull('text'),
    status: notNull('text', { check: sql`status IN ('open', 'resolved')` }),
    issue: notNull('text'),
    workflow_stage: 'text',
    options: notNull('jsonb'),
    recommendation: 'text',
    blocking: notNull('text'),
    run_id: 'text',
    stage_id: 'text',
    task_id: 'text',
    agent_id: 'text',
    since: notNull('timestamptz'),
    ladder: notNull('jsonb'),
    raised_at: notNull('timestamptz'),
    updated_at: notNull('timestamptz'),
    resolution: 'text',
    resolved_by: 'jsonb',
    resolution_reason: 'text',
    resolved_at: 'timestamptz',
    revision: notNull('integer'),
  }).execute();
  await s.createIndex('escalations_status_idx').on('escalations').columns(['status', 'raised_at']).execute();
  await s.createIndex('escalations_run_idx').on('escalations').column('run_id').where(sql.ref('run_id'), 'is not', null).execute();

  await createTable(s, 'tasks', {
    task_id: primaryKey('text'),
    run_id: 'text',
    stage_id: 'text',
    action: 'text',
    agent_id: 'text',
    lease_epoch: notNull('integer', { defaultTo: 0 }),
    status: notNull('text', { check: sql`status IN ('queued', 'held', 'blocked', 'ended')` }),
    last_activity_at: 'timestamptz',
    last_percent: 'real',
    blocked_at: 'timestamptz',
    block_reason: 'text',
    stall_seq: notNull('integer', { defaultTo: 0 }),
    updated_at: notNull('timestamptz'),
  }).execute();
  await s.createIndex('tasks_stage_idx').on('tasks').columns(['run_id', 'stage_id']).execute();

  await createTable(s, 'runs', {
    run_id: primaryKey('text'),
    workflow_id: notNull('text'),
    version: notNull('text'),
  }).execute();

  await createTable(s, 'workflow_ladders', {
    workflow_id: notNull('text'),
    version: notNull('text'),
    overrides: notNull('jsonb'),
  })
    .addPrimaryKeyConstraint('workflow_ladders_pk', ['workflow_id', 'version'])
    .execute();

  await createTable(s, 'watches', {
    escalation_id: primaryKey('text'),
    trigger: notNull('text'),
    task_id: 'text',
    run_id: 'text',
    stage_id: 'text',
    iteration: 'integer',
    conflict_id: 'text',
    plan: notNull('jsonb'),
    armed: notNull('boolean', { defaultTo: false }),
    open: notNull('boolean'),
    opened_at: notNull('timestamptz'),
    closed_at: 'timestamptz',
  }).execute();
  await s.createIndex('watches_task_idx').on('watches').column('task_id').where(sql.ref('open'), '=', true).execute();
  await s.createIndex('watches_run_idx').on('watches').columns(['run_id', 'stage_id', 'iteration']).where(sql.ref('open'), '=', true).execute();

  await createTable(s, 'timers', {
    timer_id: primaryKey('text'),
    kind: notNull('text', { check: sql`kind IN ('raise', 'climb', 'resolve')` }),
    escalation_id: notNull('text'),
    due_at: notNull('timestamptz'),
    payload: notNull('jsonb', { defaultTo: sql`'{}'::jsonb` }),
    seq: notNull('bigserial'),
  }).execute();
  await s.createIndex('timers_due_idx').on('timers').columns(['due_at', 'seq']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_escalation');
  for (const table of ['timers', 'watches', 'workflow_ladders', 'runs', 'tasks', 'escalations']) await s.dropTable(table).execute();
}
