import type { AgentDetailView, AgentWorkState } from '@baton/contracts';
import { sql, type Kysely, type Transaction } from 'kysely';
import { deriveStatus } from '../domain';
import type { AgentRegistryDatabase, AgentRow } from './agents.table';

type Db = Kysely<AgentRegistryDatabase> | Transaction<AgentRegistryDatabase>;

export async function deleteAgent(db: Db, agentId: string): Promise<void> {
  await db.deleteFrom('agent_registry.agents').where('agent_id', '=', agentId).execute();
}

/** Empties the read model (projection reset before a rebuild). */
export async function deleteAllAgents(db: Db): Promise<void> {
  await db.deleteFrom('agent_registry.agents').execute();
}

export async function findAgent(db: Db, agentId: string): Promise<AgentRow | undefined> {
  return db.selectFrom('agent_registry.agents').selectAll().where('agent_id', '=', agentId).executeTakeFirst();
}

/** An agent's row joined with its heartbeat, load and task figures. */
export interface AgentDetailRow extends AgentRow {
  last_heartbeat_at: Date | null;
  active_tasks: number;
  tasks_completed: number;
  tasks_failed: number;
  total_completion_ms: string;
  consecutive_failures: number;
}

/** Filters the database can apply (status is derived, so it is filtered after). */
export interface AgentRowFilter {
  readonly agentId?: string;
  readonly role?: string;
  readonly capability?: string;
}

/** Agents with heartbeat, load and performance columns, ordered by id. */
export async function selectAgentDetails(db: Db, filter: AgentRowFilter = {}): Promise<AgentDetailRow[]> {
  let q = db
    .selectFrom('agent_registry.agents as a')
    .leftJoin('agent_registry.heartbeat_timers as h', 'h.agent_id', 'a.agent_id')
    .leftJoin('agent_registry.agent_task_stats as s', 's.agent_id', 'a.agent_id')
    .selectAll('a')
    .select((eb) => [
      'h.last_heartbeat_at',
      eb
        .selectFrom('agent_registry.agent_active_tasks as t')
        .whereRef('t.agent_id', '=', 'a.agent_id')
        .select(sql<number>`count(*)::int`.as('n'))
        .as('active_tasks'),
      sql<number>`coalesce(s.tasks_completed, 0)`.as('tasks_completed'),
      sql<number>`coalesce(s.tasks_failed, 0)`.as('tasks_failed'),
      sql<string>`coalesce(s.total_completion_ms, 0)::text`.as('total_completion_ms'),
      sql<number>`coalesce(s.consecutive_failures, 0)`.as('consecutive_failures'),
    ])
    .orderBy('a.agent_id');
  if (filter.agentId !== undefined) q = q.where('a.agent_id', '=', filter.agentId);
  if (filter.role !== undefined) q = q.where('a.role', '=', filter.role);
  if (filter.capability !== undefined) q = q.where(sql<boolean>`${filter.capability} = ANY(a.capabilities)`);
  const rows = await q.execute();
  return rows.map((r) => ({ ...r, active_tasks: r.active_tasks ?? 0 }) as AgentDetailRow);
}

/** The row as the GetAgent reply shape, with the derived status and the performance figures. */
export function toAgentView(row: AgentDetailRow): AgentDetailView {
  const completed = row.tasks_completed;
  const failed = row.tasks_failed;
  const outcomes = completed + failed;
  return {
    agentId: row.agent_id,
    name: row.name,
    role: row.role,
    capabilities: row.capabilities,
    model: row.model,
    maxConcurrency: row.max_concurrency,
    peers: row.peers,
    lead: row.lead,
    status: deriveStatus({
      online: row.online,
      state: row.state as AgentWorkState,
      consecutiveFailures: row.consecutive_failures,
      activeTasks: row.active_tasks,
      maxConcurrency: row.max_concurrency,
    }),
    registeredAt: row.registered_at.toISOString(),
    revision: row.revision,
    state: row.state as AgentWorkState,
    load: row.active_tasks,
    lastHeartbeatAt: row.last_heartbeat_at ? row.last_heartbeat_at.toISOString() : null,
    performance: {
      tasksCompleted: completed,
      tasksFailed: failed,
      meanCompletionMs: completed === 0 ? null : Number(row.total_completion_ms) / completed,
      errorRate: outcomes === 0 ? 0 : failed / outcomes,
    },
  };
}
