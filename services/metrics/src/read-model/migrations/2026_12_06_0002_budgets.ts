import { createTable, notNull, primaryKey } from '@baton/read-models';
import type { Kysely } from 'kysely';

/** Token budgets of workflow versions, the budget decisions of runs, and the policies carried out. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_metrics');
  await createTable(s, 'budgets', {
    workflow_id: notNull('text'),
    version: notNull('text'),
    // '' for the run's budget, else the stage's id.
    stage_id: notNull('text'),
    tokens: notNull('double precision'),
    on_exceed: notNull('text'),
  })
    .addPrimaryKeyConstraint('budgets_pk', ['workflow_id', 'version', 'stage_id'])
    .execute();
  await createTable(s, 'budget_decisions', {
    event_id: primaryKey('text'),
    run_id: notNull('text'),
    stage_id: 'text',
    kind: notNull('text'),
    used: notNull('double precision'),
    tokens: notNull('double precision'),
    policy: notNull('text'),
    at: notNull('timestamptz'),
  }).execute();
  await createTable(s, 'budget_actions', {
    event_id: primaryKey('text'),
    action: notNull('text'),
    outcome: notNull('text'),
    done_at: notNull('timestamptz'),
  }).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_metrics');
  for (const table of ['budget_actions', 'budget_decisions', 'budgets']) await s.dropTable(table).execute();
}
