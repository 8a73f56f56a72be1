import type { Queryable } from '@baton/messaging';

/**
 * Load and performance writes, on the `pg` client of the inbox transaction
 * (`PostgresInboxStore.runOnce`), so each task event's effect commits with its inbox row.
 */

/** The task is now held by `agentId` at `leaseEpoch` (a later epoch replaces an earlier holder). */
export async function holdTask(
  client: Queryable,
  t: { taskId: string; agentId: string; leaseEpoch: number; assignedAt: Date },
): Promise<void> {
  await client.query(
    `INSERT INTO agent_registry.agent_active_tasks (task_id, agent_id, lease_epoch, assigned_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (task_id) DO UPDATE SET agent_id = EXCLUDED.agent_id, lease_epoch = EXCLUDED.lease_epoch, assigned_at = EXCLUDED.assigned_at
     WHERE agent_registry.agent_active_tasks.lease_epoch < EXCLUDED.lease_epoch`,
    [t.taskId, t.agentId, t.leaseEpoch, t.assignedAt],
  );
}

/** The holder of `leaseEpoch` (or an earlier one) no longer holds the task; any epoch when omitted. */
export async function dropTask(client: Queryable, taskId: string, leaseEpoch?: number): Promise<void> {
  if (leaseEpoch === undefined) {
    await client.query(`DELETE FROM agent_registry.agent_active_tasks WHERE task_id = $1`, [taskId]);
    return;
  }
  await client.query(`DELETE FROM agent_registry.agent_active_tasks WHERE task_id = $1 AND lease_epoch <= $2`, [taskId, leaseEpoch]);
}

export async function countCompletion(client: Queryable, agentId: string, durationMs: number): Promise<void> {
  await client.query(
    `INSERT INTO agent_registry.agent_task_stats (agent_id, tasks_completed, total_completion_ms, consecutive_failures) VALUES ($1, 1, $2, 0)
     ON CONFLICT (agent_id) DO UPDATE SET
       tasks_completed = agent_registry.agent_task_stats.tasks_completed + 1,
       total_completion_ms = agent_registry.agent_task_stats.total_completion_ms + EXCLUDED.total_completion_ms,
       consecutive_failures = 0`,
    [agentId, durationMs],
  );
}

export async function countFailure(client: Queryable, agentId: string): Promise<void> {
  await client.query(
    `INSERT INTO agent_registry.agent_task_stats (agent_id, tasks_failed, consecutive_failures) VALUES ($1, 1, 1)
     ON CONFLICT (agent_id) DO UPDATE SET
       tasks_failed = agent_registry.agent_task_stats.tasks_failed + 1,
       consecutive_failures = agent_registry.agent_task_stats.consecutive_failures + 1`,
    [agentId],
  );
}
