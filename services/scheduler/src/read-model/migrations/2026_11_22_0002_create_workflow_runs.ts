import { createTable, notNull, primaryKey } from '@baton/read-models';
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('scheduler');
  await createTable(s, 'workflow_definitions', {
    workflow_id: notNull('text'),
    version: notNull('text'),
    hash: notNull('text'),
    name: notNull('text'),
    description: 'text',
    trigger_kind: notNull('text'),
    item_types: notNull('jsonb'),
    cron: 'text',
    yaml: notNull('text'),
    registered_at: notNull('timestamptz'),
  })
    .addPrimaryKeyConstraint('workflow_definitions_pk', ['workflow_id', 'version'])
    .execute();
  await createTable(s, 'runs', {
    run_id: primaryKey('text'),
    workflow_id: notNull('text'),
    version: notNull('text'),
    state: notNull('text', { check: sql`state IN ('running', 'paused', 'success', 'failure', 'cancelled')` }),
    started_at: notNull('timestamptz'),
    ended_at: 'timestamptz',
    revision: notNull('integer'),
  }).execute();
  await s.createIndex('runs_workflow_idx').on('runs').columns(['workflow_id', 'started_at']).execute();
  await createTable(s, 'run_timers', {
    timer_id: primaryKey('text'),
    kind: notNull('text', { check: sql`kind IN ('stage-sla', 'cron')` }),
    workflow_id: notNull('text'),
    run_id: 'text',
    stage_id: 'text',
    iteration: 'integer',
    cron: 'text',
    due_at: notNull('timestamptz'),
  }).execute();
  await s.createIndex('run_timers_due_idx').on('run_timers').column('due_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('scheduler');
  await s.dropTable('run_timers').execute();
  await s.dropTable('runs').execute();
  await s.dropTable('workflow_definitions').execute();
}
