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

  await s
    .createTable('heartbeat_timers')
    .addColumn('agent_id', 'text', (c) => c.primaryKey())
    .addColumn('registered', 'boolean', (c) => c.notNull())
    .addColumn('last_heartbeat_at', 'timestamptz')
    .addColumn('offline_due_at', 'timestamptz')
    .addColumn('offline', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await s
    .createIndex('heartbeat_timers_due_idx')
    .on('heartbeat_timers')
    .column('offline_due_at')
    .where(sql.ref('offline_due_at'), 'is not', null)
    .execute();

  await s
    .createTable('agent_active_tasks')
    .addColumn('task_id', 'text', (c) => c.primaryKey())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('lease_epoch', 'integer', (c) => c.notNull())
    .addColumn('assigned_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await s.createIndex('agent_active_tasks_agent_idx').on('agent_active_tasks').column('agent_id').execute();

  await s
    .createTable('agent_task_stats')
    .addColumn('agent_id', 'text', (c) => c.primaryKey())
    .addColumn('tasks_completed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tasks_failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total_completion_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await s
    .createTable('file_agents')
    .addColumn('agent_id', 'text', (c) => c.primaryKey())
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull())
    .execute();
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
