import { createTable, notNull, primaryKey } from '@baton/read-models';
import { sql, type Kysely } from 'kysely';

/**
 * State machine and liveness on `agents` (status is derived at query time from liveness,
 * state, load and failures, so the stored column goes); the durable heartbeat timers; load
 * and performance from task events; the agents listed by the last agents.yaml sync.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('agent_registry');
  await s
    .alterTable('agents')
    .dropColumn('status')
    .addColumn('state', 'text', (c) =>
      c.notNull().defaultTo('IDLE').check(sql`state IN ('IDLE', 'ANALYZING', 'EXECUTING', 'BLOCKED', 'HANDOFF', 'ERROR')`),
    )
    .addColumn('state_task_id', 'text')
    .addColumn('online', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
  await s.createIndex('agents_capabilities_idx').on('agents').using('gin').column('capabilities').execute();

  await createTable(s, 'heartbeat_timers', {
    agent_id: primaryKey('text'),
    registered: notNull('boolean'),
    last_heartbeat_at: 'timestamptz',
    offline_due_at: 'timestamptz',
    offline: notNull('boolean', { defaultTo: false }),
  }).execute();
  await s
    .createIndex('heartbeat_timers_due_idx')
    .on('heartbeat_timers')
    .column('offline_due_at')
    .where(sql.ref('offline_due_at'), 'is not', null)
    .execute();

  await createTable(s, 'agent_active_tasks', {
    task_id: primaryKey('text'),
    agent_id: notNull('text'),
    lease_epoch: notNull('integer'),
    assigned_at: notNull('timestamptz'),
  }).execute();
  await s.createIndex('agent_active_tasks_agent_idx').on('agent_active_tasks').column('agent_id').execute();

  await createTable(s, 'agent_task_stats', {
    agent_id: primaryKey('text'),
    tasks_completed: notNull('integer', { defaultTo: 0 }),
    tasks_failed: notNull('integer', { defaultTo: 0 }),
    total_completion_ms: notNull('bigint', { defaultTo: 0 }),
    consecutive_failures: notNull('integer', { defaultTo: 0 }),
  }).execute();

  await createTable(s, 'file_agents', {
    agent_id: primaryKey('text'),
    synced_at: notNull('timestamptz'),
  }).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('agent_registry');
  await s.dropTable('file_agents').execute();
  await s.dropTable('agent_task_stats').execute();
  await s.dropTable('agent_active_tasks').execute();
  await s.dropTable('heartbeat_timers').execute();
  await s.dropIndex('agents_capabilities_idx').execute();
  await s
    .alterTable('agents')
    .dropColumn('online')
    .dropColumn('state_task_id')
    .dropColumn('state')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('available').check(sql`status IN ('available', 'busy', 'error', 'offline')`))
    .execute();
}
