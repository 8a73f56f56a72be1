import { sql, type Kysely } from 'kysely';

/**
 * The queue by lane: waiting tasks indexed by the agent and role their requirement names ('' for
 * none), then in queue order. The dispatcher's head query reads only the lanes some available
 * agent serves, so tasks waiting for an agent or role that is not on line (any number of them)
 * cost nothing per pass. It replaces the one-lane queue index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS tasks_queue_lane_idx ON scheduler.tasks
    ((coalesce(requirement->>'agentId', '')), (coalesce(requirement->>'role', '')), queue_key, task_id) WHERE status = 'queued'`.execute(db);
  await sql`DROP INDEX IF EXISTS scheduler.tasks_queue_idx`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS tasks_queue_idx ON scheduler.tasks (queue_key, task_id) WHERE status = 'queued'`.execute(db);
  await sql`DROP INDEX IF EXISTS scheduler.tasks_queue_lane_idx`.execute(db);
}
