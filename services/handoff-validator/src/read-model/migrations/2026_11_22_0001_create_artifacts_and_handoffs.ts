import { createTable, notNull, primaryKey } from '@baton/read-models';
import { sql, type Kysely } from 'kysely';

/** The content-addressed artifact store and the handoffs read model. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_handoff');
  await createTable(s, 'artifacts', {
    hash: primaryKey('text', { check: sql`hash ~ '^sha256:[0-9a-f]{64}$'` }),
    size: notNull('integer', { check: sql`size >= 0` }),
    media_type: notNull('text'),
    content: notNull('bytea'),
    created_at: notNull('timestamptz'),
  }).execute();

  await createTable(s, 'handoffs', {
    handoff_id: primaryKey('text'),
    task_id: notNull('text'),
    run_id: 'text',
    stage_id: 'text',
    iteration: 'integer',
    from_agent_id: notNull('text'),
    to_agent_ids: notNull(sql`text[]`, { defaultTo: sql`'{}'` }),
    status: notNull('text', { check: sql`status IN ('pending', 'accepted', 'rejected')` }),
    spec_ids: notNull(sql`text[]`, { defaultTo: sql`'{}'` }),
    artifacts: notNull('jsonb'),
    context: notNull('jsonb'),
    failures: notNull('jsonb', { defaultTo: sql`'[]'::jsonb` }),
    rules_checked: 'integer',
    submitted_at: notNull('timestamptz'),
    submitted_commit: notNull('bigint'),
    submitted_prepare: notNull('bigint'),
    decided_at: 'timestamptz',
    revision: notNull('integer'),
  }).execute();
  const order = ['submitted_at', 'submitted_commit', 'submitted_prepare'];
  await s.createIndex('handoffs_run_idx').on('handoffs').columns(['run_id', ...order]).execute();
  await s.createIndex('handoffs_task_idx').on('handoffs').columns(['task_id', ...order]).execute();
  await s.createIndex('handoffs_submitted_idx').on('handoffs').columns(order).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_handoff');
  await s.dropTable('handoffs').execute();
  await s.dropTable('artifacts').execute();
}
