import { createTable, notNull, primaryKey } from '@baton/read-models';
import type { Kysely } from 'kysely';

/** The workflow, task, agent and health read models, and the investigations the checker raised. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_metrics');
  await createTable(s, 'runs', {
    run_id: primaryKey('text'),
    workflow_id: notNull('text'),
    version: notNull('text'),
    priority: notNull('text'),
    status: notNull('text'),
    started_at: notNull('timestamptz'),
    ended_at: 'timestamptz',
    blockers: notNull('integer', { defaultTo: 0 }),
  }).execute();
  await s.createIndex('runs_workflow_idx').on('runs').columns(['workflow_id', 'version', 'started_at']).execute();

  await createTable(s, 'stage_runs', {
    run_id: notNull('text'),
    stage_id: notNull('text'),
    iteration: notNull('integer'),
    started_at: notNull('timestamptz'),
    ended_at: 'timestamptz',
    status: notNull('text'),
    sla_ms: 'double precision',
    sent_back: notNull('boolean', { defaultTo: false }),
  })
    .addPrimaryKeyConstraint('stage_runs_pk', ['run_id', 'stage_id', 'iteration'])
    .execute();

  await createTable(s, 'tasks', {
    task_id: primaryKey('text'),
    run_id: 'text',
    stage_id: 'text',
    iteration: 'integer',
    priority: notNull('text'),
    status: notNull('text'),
    agent_id: 'text',
    model: 'text',
    created_at: notNull('timestamptz'),
    assigned_at: 'timestamptz',
    accepted_at: 'timestamptz',
    ended_at: 'timestamptz',
    rejections: notNull('integer', { defaultTo: 0 }),
  }).execute();
  await s.createIndex('tasks_run_idx').on('tasks').columns(['run_id', 'stage_id', 'iteration']).execute();
  await s.createIndex('tasks_status_idx').on('tasks').columns(['status', 'priority']).execute();

  await createTable(s, 'executions', {
    event_id: primaryKey('text'),
    task_id: notNull('text'),
    run_id: 'text',
    agent_id: notNull('text'),
    model: 'text',
    outcome: notNull('text'),
    duration_ms: 'double precision',
    ended_at: notNull('timestamptz'),
  }).execute();
  await s.createIndex('executions_ended_idx').on('executions').columns(['ended_at', 'agent_id']).execute();

  await createTable(s, 'token_reports', {
    task_id: notNull('text'),
    lease_epoch: notNull('integer'),
    run_id: 'text',
    stage_id: 'text',
    agent_id: notNull('text'),
    model: 'text',
    tokens: notNull('double precision'),
  })
    .addPrimaryKeyConstraint('token_reports_pk', ['task_id', 'lease_epoch'])
    .execute();

  await createTable(s, 'agents', {
    agent_id: primaryKey('text'),
    model: 'text',
    max_concurrency: notNull('integer'),
  }).execute();

  await createTable(s, 'health_checks', {
    check: notNull('text'),
    subject: notNull('text'),
    status: notNull('text'),
    value: notNull('double precision'),
    unit: notNull('text'),
    threshold: notNull('jsonb'),
    actions: notNull('jsonb'),
    since: notNull('timestamptz'),
    breach_event_id: 'text',
  })
    .addPrimaryKeyConstraint('health_checks_pk', ['check', 'subject'])
    .execute();

  await createTable(s, 'investigations', {
    breach_event_id: primaryKey('text'),
    escalation_id: notNull('text'),
    raised_at: notNull('timestamptz'),
  }).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_metrics');
  for (const table of ['investigations', 'health_checks', 'agents', 'token_reports', 'executions', 'tasks', 'stage_runs', 'runs']) await s.dropTable(table).execute();
}
