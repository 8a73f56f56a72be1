import { createTable, notNull, primaryKey } from '@baton/read-models';
import { sql, type Kysely } from 'kysely';

/** The deliveries read model, the dispatch queue, and the runs and workflow versions notices are read with. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_notifier');
  await createTable(s, 'notifications', {
    delivery_id: primaryKey('text'),
    rule_id: notNull('text'),
    channel: notNull('text'),
    channel_kind: notNull('text'),
    recipient: notNull('text'),
    title: notNull('text'),
    text: notNull('text'),
    severity: notNull('text'),
    source: notNull('jsonb'),
    topic: notNull('text'),
    run_id: 'text',
    status: notNull('text', { check: sql`status IN ('pending', 'retrying', 'delivered', 'dead_lettered')` }),
    attempts: notNull('integer'),
    max_attempts: notNull('integer'),
    last_error: 'text',
    requested_at: notNull('timestamptz'),
    updated_at: notNull('timestamptz'),
    delivered_at: 'timestamptz',
    revision: notNull('integer'),
  }).execute();
  await s.createIndex('notifications_status_idx').on('notifications').columns(['status', 'requested_at']).execute();
  await s.createIndex('notifications_run_idx').on('notifications').column('run_id').where(sql.ref('run_id'), 'is not', null).execute();

  await createTable(s, 'queue', {
    delivery_id: primaryKey('text'),
    channel: notNull('text'),
    seq: notNull('bigserial'),
    claimed_by: 'text',
    claimed_until: 'timestamptz',
  }).execute();
  await s.createIndex('queue_channel_idx').on('queue').columns(['channel', 'seq']).execute();

  await createTable(s, 'runs', {
    run_id: primaryKey('text'),
    workflow_id: notNull('text'),
    version: notNull('text'),
    priority: notNull('text'),
  }).execute();

  await createTable(s, 'workflows', {
    workflow_id: notNull('text'),
    version: notNull('text'),
    name: 'text',
    stage_actions: notNull('jsonb'),
  })
    .addPrimaryKeyConstraint('workflows_pkey', ['workflow_id', 'version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('baton_notifier');
  for (const table of ['workflows', 'runs', 'queue', 'notifications']) await s.dropTable(table).execute();
}
