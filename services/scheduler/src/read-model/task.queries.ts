import type { TaskView } from '@baton/contracts';
import { queryRows } from '@baton/read-models';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { AgentCandidate, QueueEntry } from '../domain';
import type { AgentsTable, SchedulerDatabase, TaskRow, TimersTable } from './scheduler.tables';

type AgentRow = Selectable<AgentsTable>;
type TimerRow = Selectable<TimersTable>;

type Db = Kysely<SchedulerDatabase> | Transaction<SchedulerDatabase>;

const HELD = ['assigned', 'accepted', 'blocked'] as const;

export async function findTask(db: Db, taskId: string): Promise<TaskRow | undefined> {
  return db.selectFrom('scheduler.tasks').selectAll().where('task_id', '=', taskId).executeTakeFirst();
}

export async function listTasks(
  db: Db,
  filter: { status?: TaskRow['status']; agentId?: string; runId?: string; limit: number },
): Promise<TaskRow[]> {
  let q = db.selectFrom('scheduler.tasks').selectAll();
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.agentId) q = q.where('agent_id', '=', filter.agentId);
  if (filter.runId) q = q.where('run_id', '=', filter.runId);
  return q.orderBy('created_at').orderBy('task_id').limit(filter.limit).execute();
}

/** The reply shape of GetTask/ListTasks. */
export function toTaskView(row: TaskRow): TaskView {
  return {
    taskId: row.task_id,
    runId: row.run_id,
    stageId: row.stage_id,
    action: row.action,
    requirement: { ...row.requirement, capabilities: row.requirement.capabilities ?? [] },
    priority: row.priority,
    inputs: row.inputs,
    status: row.status,
    agentId: row.agent_id,
    leaseEpoch: row.lease_epoch,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    notBefore: row.not_before ? row.not_before.toISOString() : null,
    percent: row.percent,
    progressMessage: row.progress_message,
    tokensUsed: row.tokens_used,
    blockedReason: row.blocked_reason,
    outputs: row.outputs,
    error: row.error,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    revision: row.revision,
  };
}

export type QueuedTask = QueueEntry & { readonly requirement: TaskRow['requirement'] };

/**
 * The head of the queue at `now`: waiting tasks whose back-off is over and that some available
 * agent (online, not removed) meets the requirement of, in the order the queue rule serves them
 * (`queue_key`, then id; the key is computed by the domain's `queueKeyMs`).
 *
 * Read by lane (migration `queue_lanes`): a task's lane is the agent and the role its requirement
 * names ('' for none). Only the lanes an available agent serves are read — its own id with its
 * role or none, no id with its role or none — each from its index range in queue order, at most
 * `limit` per lane, then merged. So tasks that wait for an agent or role not on line, however many,
 * are never read, and cannot push the tasks behind them out of the head. Capabilities are checked
 * per task against the lane's agents (`@>`, as `matchesRequirement` does).
 */
export async function queueHead(db: Db, now: Date, limit: number): Promise<QueuedTask[]> {
  const { rows } = await sql<Pick<TaskRow, 'task_id' | 'priority' | 'created_at' | 'requeued' | 'not_before' | 'requirement'>>`
    WITH avail AS (
      SELECT agent_id, role, capabilities FROM scheduler.agents WHERE online AND NOT removed
    ), lanes AS (
      SELECT DISTINCT l.agent_key, l.role_key
        FROM avail a, LATERAL (VALUES (a.agent_id, a.role), (a.agent_id, ''), ('', a.role), ('', '')) AS l (agent_key, role_key)
    )
    SELECT h.task_id, h.priority, h.created_at, h.requeued, h.not_before, h.requirement
      FROM lanes, LATERAL (
        SELECT t.task_id, t.priority, t.created_at, t.requeued, t.not_before, t.requirement, t.queue_key
          FROM scheduler.tasks t
         WHERE t.status = 'queued'
           AND coalesce(t.requirement->>'agentId', '') = lanes.agent_key
           AND coalesce(t.requirement->>'role', '') = lanes.role_key
           AND (t.not_before IS NULL OR t.not_before <= ${now})
           AND EXISTS (
             SELECT 1 FROM avail a
              WHERE (lanes.agent_key = '' OR a.agent_id = lanes.agent_key)
                AND (lanes.role_key = '' OR a.role = lanes.role_key)
                AND a.capabilities @> ARRAY(SELECT jsonb_array_elements_text(coalesce(t.requirement->'capabilities', '[]'::jsonb)))
           )
         ORDER BY t.queue_key, t.task_id
         LIMIT ${limit}
      ) h
     ORDER BY h.queue_key, h.task_id
     LIMIT ${limit}`.execute(db);
  return rows.map((r) => ({
    taskId: r.task_id,
    priority: r.priority,
    createdAt: r.created_at.toISOString(),
    requeued: r.requeued,
    notBefore: r.not_before ? r.not_before.toISOString() : null,
    requirement: { ...r.requirement, capabilities: r.requirement.capabilities ?? [] },
  }));
}

/**
 * Agents with their current load (tasks held), for the assignment rule: available ones, or the
 * one `agentId`. `notCounting`: tasks known to be finished that the read model may still show
 * held (the dispatcher's, from committed reports), left out of the loads.
 */
/** An agent as the dispatcher plans with it: its load is the number of tasks in `held`. */
export interface AgentSnapshot extends AgentCandidate {
  /** The tasks it holds (assigned, accepted or blocked), as the read model shows them. */
  readonly held: readonly string[];
}

/** The statuses in which an agent holds a task, as an SQL list. */
const HELD_SQL = HELD.map((s) => `'${s}'`).join(', ');

const AGENT_CANDIDATES = `SELECT a.agent_id, a.role, a.capabilities, a.max_concurrency, a.online, a.removed, aa.last_assigned_at,
       (SELECT coalesce(array_agg(t.task_id), '{}') FROM scheduler.tasks t WHERE t.agent_id = a.agent_id AND t.status IN (${HELD_SQL})) AS held
  FROM scheduler.agents a LEFT JOIN scheduler.agent_assignments aa ON aa.agent_id = a.agent_id`;
const AVAILABLE_AGENTS = `${AGENT_CANDIDATES} WHERE a.online AND NOT a.removed`;
const ONE_AGENT = `${AGENT_CANDIDATES} WHERE a.agent_id = $1`;

type CandidateRow = Pick<AgentRow, 'agent_id' | 'role' | 'capabilities' | 'max_concurrency' | 'online' | 'removed'> & {
  readonly last_assigned_at: Date | null;
  readonly held: string[] | null;
};

/** The available agents (or the one named, whatever its state) with the tasks each holds. Read once per dispatcher pass: text, not the query builder (see `queryRows`). */
export async function agentCandidates(db: Db, options: { agentId?: string } = {}): Promise<AgentSnapshot[]> {
  const rows = options.agentId === undefined ? await queryRows<CandidateRow>(db, AVAILABLE_AGENTS, []) : await queryRows<CandidateRow>(db, ONE_AGENT, [options.agentId]);
  return rows.map((r) => {
    const held = r.held ?? [];
    return {
      agentId: r.agent_id,
      role: r.role,
      capabilities: r.capabilities,
      maxConcurrency: r.max_concurrency,
      available: r.online && !r.removed,
      load: held.length,
      lastAssignedAt: r.last_assigned_at ? r.last_assigned_at.toISOString() : null,
      held,
    };
  });
}

const HELD_BY_UNAVAILABLE = `SELECT t.task_id, t.agent_id, t.lease_epoch
  FROM scheduler.tasks t JOIN scheduler.agents a ON a.agent_id = t.agent_id
 WHERE t.status IN (${HELD_SQL}) AND (NOT a.online OR a.removed)
 ORDER BY t.task_id LIMIT $1`;

/** Tasks held by agents that are offline or removed: to be released back to the queue. */
export async function tasksHeldByUnavailableAgents(db: Db, limit: number): Promise<{ taskId: string; agentId: string; leaseEpoch: number }[]> {
  const rows = await queryRows<Pick<TaskRow, 'task_id' | 'agent_id' | 'lease_epoch'>>(db, HELD_BY_UNAVAILABLE, [limit]);
  return rows.map((r) => ({ taskId: r.task_id, agentId: r.agent_id ?? '', leaseEpoch: r.lease_epoch }));
}

export interface DueTimer {
  readonly timerId: string;
  readonly kind: 'task-timeout' | 'retry-due';
  readonly taskId: string;
  readonly leaseEpoch: number;
  readonly dueAt: Date;
}

const DUE_TIMERS = 'SELECT timer_id, kind, task_id, lease_epoch, due_at FROM scheduler.timers WHERE due_at <= $1 ORDER BY due_at LIMIT $2';

export async function dueTimers(db: Db, now: Date, limit: number): Promise<DueTimer[]> {
  const rows = await queryRows<Pick<TimerRow, 'timer_id' | 'kind' | 'task_id' | 'lease_epoch' | 'due_at'>>(db, DUE_TIMERS, [now, limit]);
  return rows.map((r) => ({ timerId: r.timer_id, kind: r.kind, taskId: r.task_id, leaseEpoch: r.lease_epoch, dueAt: r.due_at }));
}

export async function nextTimerDue(db: Db): Promise<Date | undefined> {
  const [row] = await queryRows<{ next: Date | null }>(db, 'SELECT min(due_at) AS next FROM scheduler.timers', []);
  return row?.next ? new Date(row.next) : undefined;
}

export async function deleteTimer(db: Db, timerId: string): Promise<void> {
  await db.deleteFrom('scheduler.timers').where('timer_id', '=', timerId).execute();
}
