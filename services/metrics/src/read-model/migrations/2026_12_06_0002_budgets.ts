import type { Kysely } from 'kysely';

/** Token budgets of workflow versions, the budget decisions of runs, and the policies carried out. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_metrics');
  await s
    .createTable('budgets')
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    // '' for the run's budget, else the stage's id.
    .addColumn('stage_id', 'text', (c) => c.notNull())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    .addColumn('on_exceed', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('budgets_pk', ['workflow_id', 'version', 'stage_id'])
    .execute();
  await s
    .createTable('budget_decisions')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('stage_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('used', 'double precision', (c) => c.notNull())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  await s
    .createTable('budget_actions')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('done_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_metrics');
  for (const table of ['budget_actions', 'budget_decisions', 'budgets']) await s.dropTable(table).execute();
}
