import { BatonError, type RecordedEvent } from '@baton/contracts';
import { deleteWhereInSql, executeLiteralWrite, insertRowsSql, occurredAtOf, queryRows, unhandledProjectionEvent, updateRowSql } from '@baton/read-models';
import type { Insertable, Selectable, Transaction } from 'kysely';
import type { AgentAssignmentsTable, SchedulerDatabase, TasksTable, TimersTable } from './scheduler.tables';
import { queueKeyMs, toTaskEvent, type QueuePolicy, type TaskEvent } from '../domain';

/** Name of the tasks projection (its checkpoint row in `scheduler.projection_checkpoints`). */
export const TASKS_PROJECTION = 'tasks';

/** Events the tasks projection reads: every event of `task-*` streams. */
export const TASKS_PROJECTION_FILTER = { categories: ['task'] } as const;

type Trx = Transaction<SchedulerDatabase>;
type TaskRow = Selectable<TasksTable>;

/** What one transaction's events do to the task read model, gathered before anything is written. */
class TaskPage {
  /** Rows as they will be written (new ones and those loaded from the table), by task id. */
  readonly rows = new Map<string, TaskRow>();
  readonly touched = new Set<string>();
  /** Tasks whose timers are all deleted (before the page's new timers are inserted). */
  readonly cleared = new Set<string>();
  /** Timers to insert, by timer id. */
  readonly timers = new Map<string, Insertable<TimersTable>>();
  /** The last assignment of each agent in the page (the assignment tie-break). */
  readonly assignments = new Map<string, Date>();
  /**
   * Changes to rows the page neither creates nor reads (see {@link readsRow}): written as an
   * UPDATE of the columns the events set, without reading the row first.
   */
  readonly patches = new Map<string, Partial<TaskRow>>();

  /** @param patched Tasks whose events the page writes as patches (none of them needs the row). */
  constructor(private readonly patched: ReadonlySet<string> = new Set()) {}

  row(taskId: string): TaskRow {
    const r = this.rows.get(taskId);
    if (!r) throw new BatonError('INTERNAL', `tasks projection: no row for task ${taskId}`);
    return r;
  }

  update(taskId: string, set: Partial<TaskRow>, meta: Pick<TaskRow, 'updated_at' | 'revision'>): void {
    if (!this.rows.has(taskId) && this.patched.has(taskId)) {
      this.patches.set(taskId, { ...this.patches.get(taskId), ...set, ...meta });
      return;
    }
    this.rows.set(taskId, { ...this.row(taskId), ...set, ...meta });
    this.touched.add(taskId);
  }

  clearTimers(taskId: string): void {
    this.cleared.add(taskId);
    for (const [id, t] of this.timers) if (t.task_id === taskId) this.timers.delete(id);
  }
}

/** Copies one event into the page (the rules of each event type; nothing is written here). */
function applyToPage(page: TaskPage, recorded: RecordedEvent, policy: QueuePolicy): void {
  const event: TaskEvent = toTaskEvent(recorded);
  const meta = { updated_at: occurredAtOf(recorded), revision: recorded.revision };
  const update = (taskId: string, set: Partial<TaskRow>) => page.update(taskId, set, meta);
  switch (event.type) {
    case 'TaskCreated': {
      const d = event.data;
      // Applied once per checkpoint; a row that already exists is left as it is.
      if (page.rows.has(d.taskId)) return;
      page.rows.set(d.taskId, {
        task_id: d.taskId,
        run_id: d.runId,
        stage_id: d.stageId,
        action: d.action,
        requirement: d.requirement as TaskRow['requirement'],
        priority: d.priority,
        inputs: d.inputs,
        status: 'queued',
        agent_id: null,
        lease_epoch: 0,
        attempt: d.attempt,
        max_attempts: d.maxAttempts,
        timeout_ms: d.timeoutMs,
        not_before: null,
        queue_key: new Date(queueKeyMs({ priority: d.priority, createdAt: d.createdAt, requeued: false }, policy)),
        requeued: false,
        assigned_at: null,
        percent: null,
        progress_message: null,
        tokens_used: null,
        blocked_reason: null,
        outputs: null,
        error: null,
        created_at: new Date(d.createdAt),
        ...meta,
      });
      page.touched.add(d.taskId);
      return;
    }
    case 'TaskAssigned': {
      const d = event.data;
      const r = page.row(d.taskId);
      update(d.taskId, {
        status: 'assigned',
        agent_id: d.agentId,
        lease_epoch: d.leaseEpoch,
        assigned_at: new Date(d.assignedAt),
        not_before: null,
        percent: null,
        progress_message: null,
        tokens_used: null,
        blocked_reason: null,
      });
      page.assignments.set(d.agentId, new Date(d.assignedAt));
      page.clearTimers(d.taskId);
      if (r.timeout_ms !== null) {
        const timerId = `timeout:${d.taskId}:${d.leaseEpoch}`;
        page.timers.set(timerId, { timer_id: timerId, kind: 'task-timeout', task_id: d.taskId, lease_epoch: d.leaseEpoch, due_at: new Date(Date.parse(d.assignedAt) + r.timeout_ms) });
      }
      return;
    }
    case 'TaskAccepted':
      update(event.data.taskId, { status: 'accepted' });
      return;
    case 'TaskProgressReported': {
      const d = event.data;
      update(d.taskId, { percent: d.percent, progress_message: d.message, tokens_used: d.tokensUsed });
      return;
    }
    case 'TaskBlocked':
      update(event.data.taskId, { status: 'blocked', blocked_reason: event.data.reason });
      return;
    case 'TaskUnblocked':
      update(event.data.taskId, { status: 'accepted', blocked_reason: null });
      return;
    case 'TaskCompleted':
      update(event.data.taskId, { status: 'completed', outputs: event.data.outputs, percent: 100 });
      page.clearTimers(event.data.taskId);
      return;
    case 'TaskFailed': {
      const d = event.data;
      page.clearTimers(d.taskId);
      if (d.final) {
        update(d.taskId, { status: 'failed', error: d.error });
        return;
      }
      const r = page.row(d.taskId);
      // The decider records the next attempt; events written before it did imply one more.
      const attempt = d.attempt ?? r.attempt + 1;
      update(d.taskId, {
        status: 'queued',
        attempt,
        agent_id: null,
        requeued: false,
        not_before: d.retryAt === null ? null : new Date(d.retryAt),
        queue_key: new Date(queueKeyMs({ priority: r.priority, createdAt: r.created_at.toISOString(), requeued: false }, policy)),
        error: d.error,
      });
      if (d.retryAt !== null) {
        const timerId = `retry:${d.taskId}:${attempt}`;
        page.timers.set(timerId, { timer_id: timerId, kind: 'retry-due', task_id: d.taskId, lease_epoch: d.leaseEpoch, due_at: new Date(d.retryAt) });
      }
      return;
    }
    case 'TaskReleased': {
      const d = event.data;
      const r = page.row(d.taskId);
      page.clearTimers(d.taskId);
      update(d.taskId, {
        status: 'queued',
        agent_id: null,
        requeued: true,
        // Copied from the event; events written before it carried the attempt follow the old rule.
        attempt: d.attempt ?? (d.reason === 'timed_out' ? Math.min(r.attempt + 1, r.max_attempts) : r.attempt),
        queue_key: new Date(queueKeyMs({ priority: r.priority, createdAt: r.created_at.toISOString(), requeued: true }, policy)),
      });
      return;
    }
    case 'TaskCancelled':
      page.clearTimers(event.data.taskId);
      update(event.data.taskId, { status: 'cancelled' });
      return;
    case 'TaskHandoffRejected':
      // The task stays with its agent (rework); the read model shows it as being worked on.
      update(event.data.taskId, { status: 'accepted' });
      return;
    default:
      return unhandledProjectionEvent('tasks', event);
  }
}

const json = (v: unknown): never => (v === null ? null : JSON.stringify(v)) as never;

/**
 * Event types whose copy needs the task's row as it is (a timer's length, the queue key's
 * priority and creation time, the attempt of events written before they carried it). A task
 * with none of them in a page it does not create is written as a patch, unread.
 */
const READS_ROW: ReadonlySet<string> = new Set(['TaskAssigned', 'TaskFailed', 'TaskReleased']);

/** Most tasks a page writes as patches; beyond, their rows are read and upserted with the rest. */
const MAX_PATCHES = 4;

function readsRow(type: string): boolean {
  return READS_ROW.has(type);
}

/** Every column of `scheduler.tasks` but the key: what an upsert overwrites. */
const TASK_COLUMNS = [
  'run_id', 'stage_id', 'action', 'requirement', 'priority', 'inputs', 'status', 'agent_id', 'lease_epoch', 'attempt', 'max_attempts',
  'timeout_ms', 'not_before', 'queue_key', 'requeued', 'assigned_at', 'percent', 'progress_message', 'tokens_used', 'blocked_reason',
  'outputs', 'error', 'created_at', 'updated_at', 'revision',
] as const satisfies readonly Exclude<keyof TasksTable, 'task_id'>[];

/** The rows a page reads before it writes ($1: their task ids), locked until its COMMIT. */
const LOAD_TASKS = 'SELECT * FROM scheduler.tasks WHERE task_id = ANY($1::text[]) FOR UPDATE';

/** A page's rows of `scheduler.tasks`, each inserted or overwritten whole (JSON columns as their text). */
const UPSERT_TASKS = insertRowsSql<TaskRow>('scheduler.tasks', ['task_id', ...TASK_COLUMNS], { key: 'task_id', update: TASK_COLUMNS });
/** A page's new timers; one that exists already (the same timer id) is left as it is. */
const INSERT_TIMERS = insertRowsSql<Insertable<TimersTable>>('scheduler.timers', ['timer_id', 'kind', 'task_id', 'lease_epoch', 'due_at'], { key: 'timer_id', nothing: true });
/** Each agent's last assignment in a page. */
const UPSERT_ASSIGNMENTS = insertRowsSql<AgentAssignmentsTable>('scheduler.agent_assignments', ['agent_id', 'last_assigned_at'], { key: 'agent_id', update: ['last_assigned_at'] });

/**
 * Builds the function that applies one transaction's task events to `scheduler.tasks` and the
 * durable timers (called by the projection runner inside the transaction that moves its
 * checkpoint, so a timer exists exactly when the event that set it was applied). The events
 * are copied into rows in memory first (with one read of the rows the page does not create and
 * whose events need them: a reassignment, a failure, a release), then written with one
 * statement per table, and an UPDATE of the set columns for each task whose row was not read
 * (an acceptance, progress, a completion): a page of lifecycles costs a handful of statements,
 * not several per event, and with the runner's deferred writes one or two round trips. The
 * queue key comes from the domain's `queueKeyMs`, the one home of the queue rule.
 */
export function taskProjection(
  policy: QueuePolicy,
  /** Called inside the transaction when it writes timers: the caller wakes the timer loop once it commits. */
  onTimersWritten?: () => void,
): (trx: Trx, events: readonly RecordedEvent[]) => Promise<void> {
  return async (trx, events) => {
    const createdHere = new Set<string>();
    const needed = new Set<string>();
    const patched = new Set<string>();
    for (const e of events) {
      const taskId = (e.data as { taskId?: unknown }).taskId;
      if (typeof taskId !== 'string') continue;
      if (e.type === 'TaskCreated') createdHere.add(taskId);
      else if (!createdHere.has(taskId)) (readsRow(e.type) ? needed : patched).add(taskId);
    }
    for (const taskId of needed) patched.delete(taskId);
    // Patches are one UPDATE each: a page with many (a drain's completions) reads them in one
    // statement and writes them in its one upsert instead.
    if (patched.size > MAX_PATCHES) {
      for (const taskId of patched) needed.add(taskId);
      patched.clear();
    }
    const page = new TaskPage(patched);
    if (needed.size > 0) {
      const loaded = await queryRows<TaskRow>(trx, LOAD_TASKS, [[...needed]]);
      for (const r of loaded) page.rows.set(r.task_id, r);
    }
    for (const e of events) applyToPage(page, e, policy);

    // The writes are text with their values in it (see literal-sql in @baton/read-models): no query builder per page.
    if (page.touched.size > 0) {
      const rows = [...page.touched].map((id) => {
        const r = page.row(id);
        return { ...r, requirement: json(r.requirement), inputs: json(r.inputs), outputs: json(r.outputs), error: json(r.error) };
      });
      await executeLiteralWrite(trx, UPSERT_TASKS(rows));
    }
    for (const [taskId, patch] of page.patches) {
      const set: Record<string, unknown> = { ...patch };
      for (const c of ['requirement', 'inputs', 'outputs', 'error'] as const) if (c in set) set[c] = json(set[c]);
      await executeLiteralWrite(trx, updateRowSql('scheduler.tasks', set, 'task_id', taskId));
    }
    if (page.cleared.size > 0) await executeLiteralWrite(trx, deleteWhereInSql('scheduler.timers', 'task_id', [...page.cleared]));
    if (page.timers.size > 0) {
      onTimersWritten?.();
      await executeLiteralWrite(trx, INSERT_TIMERS([...page.timers.values()]));
    }
    if (page.assignments.size > 0) {
      await executeLiteralWrite(trx, UPSERT_ASSIGNMENTS([...page.assignments].map(([agent_id, last_assigned_at]) => ({ agent_id, last_assigned_at }))));
    }
  };
}

/** Empties the task read model and its timers before a rebuild. */
export async function resetTasks(trx: Trx): Promise<void> {
  await trx.deleteFrom('scheduler.timers').execute();
  await trx.deleteFrom('scheduler.agent_assignments').execute();
  await trx.deleteFrom('scheduler.tasks').execute();
}
