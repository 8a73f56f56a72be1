import type { EscalationLadder } from '@baton/contracts';
import type { RaisePlan } from '../domain';
import type { Queryable } from '@baton/messaging';
import { sql, type Updateable } from 'kysely';
import type { TaskRow, TasksTable, TimerRow, TimersTable, WatchRow } from './escalation.tables';
import { exec, qb } from './sql';

// Plain query functions on any client (the consumer's inbox transaction, the poller's, the
// projection's); built with the connection-less `qb`.

// ---- tasks -------------------------------------------------------------------------------

/** A task's row, locked for this transaction; undefined when no event about it was seen. */
export async function lockTask(q: Queryable, taskId: string): Promise<TaskRow | undefined> {
  const [row] = await exec(q, qb.selectFrom('baton_escalation.tasks').selectAll().where('task_id', '=', taskId).forUpdate());
  return row;
}

/** Creates the task's row if missing, then sets `patch`; returns the row after. */
export async function upsertTask(q: Queryable, taskId: string, patch: Updateable<TasksTable> & { updated_at: Date }): Promise<TaskRow> {
  const [row] = await exec(
    q,
    qb
      .insertInto('baton_escalation.tasks')
      .values({ task_id: taskId, lease_epoch: 0, status: 'queued', stall_seq: 0, ...patch } as never)
      .onConflict((oc) => oc.column('task_id').doUpdateSet(patch))
      .returningAll(),
  );
  return row as TaskRow;
}

/** The task of a run's stage that moved last and has not ended (who holds the stage now). */
export async function currentTaskOfStage(q: Queryable, runId: string, stageId: string): Promise<TaskRow | undefined> {
  const [row] = await exec(
    q,
    qb
      .selectFrom('baton_escalation.tasks')
      .selectAll()
      .where('run_id', '=', runId)
      .where('stage_id', '=', stageId)
      .orderBy(sql`status = 'ended'`)
      .orderBy('updated_at', 'desc')
      .limit(1),
  );
  return row;
}

// ---- runs and per-workflow ladders --------------------------------------------------------

export async function upsertRun(q: Queryable, run: { runId: string; workflowId: string; version: string }): Promise<void> {
  await exec(
    q,
    qb
      .insertInto('baton_escalation.runs')
      .values({ run_id: run.runId, workflow_id: run.workflowId, version: run.version })
      .onConflict((oc) => oc.column('run_id').doUpdateSet({ workflow_id: run.workflowId, version: run.version })),
  );
}

export async function upsertWorkflowLadder(q: Queryable, workflowId: string, version: string, overrides: Partial<EscalationLadder>): Promise<void> {
  const json = JSON.stringify(overrides);
  await exec(
    q,
    qb
      .insertInto('baton_escalation.workflow_ladders')
      .values({ workflow_id: workflowId, version, overrides: json })
      .onConflict((oc) => oc.columns(['workflow_id', 'version']).doUpdateSet({ overrides: json })),
  );
}

/** The `escalation:` overrides of the workflow version a run runs, if any. */
export async function ladderOverridesOfRun(q: Queryable, runId: string): Promise<Partial<EscalationLadder> | undefined> {
  const [row] = await exec(
    q,
    qb
      .selectFrom('baton_escalation.runs as r')
      .innerJoin('baton_escalation.workflow_ladders as w', (j) => j.onRef('w.workflow_id', '=', 'r.workflow_id').onRef('w.version', '=', 'r.version'))
      .select('w.overrides')
      .where('r.run_id', '=', runId),
  );
  return row?.overrides;
}

// ---- watches -----------------------------------------------------------------------------

export interface NewWatch {
  readonly escalationId: string;
  readonly trigger: string;
  readonly taskId: string | null;
  readonly runId: string | null;
  readonly stageId: string | null;
  readonly iteration: number | null;
  readonly conflictId: string | null;
  readonly plan: RaisePlan;
  readonly openedAt: Date;
}

/** Opens a watch; false when one with this id exists already (open or closed: an id is used once). */
export async function insertWatch(q: Queryable, w: NewWatch): Promise<boolean> {
  const rows = await exec(
    q,
    qb
      .insertInto('baton_escalation.watches')
      .values({
        escalation_id: w.escalationId,
        trigger: w.trigger,
        task_id: w.taskId,
        run_id: w.runId,
        stage_id: w.stageId,
        iteration: w.iteration,
        conflict_id: w.conflictId,
        plan: JSON.stringify(w.plan),
        armed: false,
        open: true,
        opened_at: w.openedAt,
        closed_at: null,
      })
      .onConflict((oc) => oc.column('escalation_id').doNothing())
      .returning('escalation_id'),
  );
  return rows.length > 0;
}

/** Which open watches to close. */
export interface WatchFilter {
  readonly escalationId?: string;
  readonly taskId?: string;
  readonly runId?: string;
  readonly stageId?: string;
  readonly iteration?: number;
  readonly conflictId?: string;
  readonly triggers?: readonly string[];
}

export async function openWatches(q: Queryable, f: WatchFilter): Promise<WatchRow[]> {
  let query = qb.selectFrom('baton_escalation.watches').selectAll().where('open', '=', true);
  if (f.escalationId !== undefined) query = query.where('escalation_id', '=', f.escalationId);
  if (f.taskId !== undefined) query = query.where('task_id', '=', f.taskId);
  if (f.runId !== undefined) query = query.where('run_id', '=', f.runId);
  if (f.stageId !== undefined) query = query.where('stage_id', '=', f.stageId);
  if (f.iteration !== undefined) query = query.where('iteration', '=', f.iteration);
  if (f.conflictId !== undefined) query = query.where('conflict_id', '=', f.conflictId);
  if (f.triggers !== undefined) query = query.where('trigger', 'in', [...f.triggers]);
  return exec(q, query.orderBy('opened_at').orderBy('escalation_id').forUpdate());
}

/** Marks a watch closed; undefined when it was closed already, else whether it had been armed. */
export async function closeWatchRow(q: Queryable, escalationId: string, at: Date): Promise<{ armed: boolean } | undefined> {
  const [row] = await exec(
    q,
    qb
      .updateTable('baton_escalation.watches')
      .set({ open: false, closed_at: at })
      .where('escalation_id', '=', escalationId)
      .where('open', '=', true)
      .returning('armed'),
  );
  return row;
}

/** Replaces the plan of a watch (e.g. a stall window that moved on progress). */
export async function setWatchPlan(q: Queryable, escalationId: string, plan: RaisePlan): Promise<void> {
  await exec(q, qb.updateTable('baton_escalation.watches').set({ plan: JSON.stringify(plan) }).where('escalation_id', '=', escalationId));
}

/** Records that a raise timer was armed for the watch. */
export async function markWatchArmed(q: Queryable, escalationId: string): Promise<void> {
  await exec(q, qb.updateTable('baton_escalation.watches').set({ armed: true }).where('escalation_id', '=', escalationId));
}

/** A watch by id (open or closed). */
export async function findWatch(q: Queryable, escalationId: string): Promise<WatchRow | undefined> {
  const [row] = await exec(q, qb.selectFrom('baton_escalation.watches').selectAll().where('escalation_id', '=', escalationId));
  return row;
}

// ---- timers ------------------------------------------------------------------------------

export const raiseTimerId = (escalationId: string): string => `raise:${escalationId}`;
export const climbTimerId = (escalationId: string): string => `climb:${escalationId}`;
export const resolveTimerId = (escalationId: string): string => `resolve:${escalationId}`;

/** "Now, whatever the clock says": the due time of work that should run on the next poll. */
export const IMMEDIATELY = new Date(0);

export interface TimerSpec {
  readonly timerId: string;
  readonly kind: TimersTable['kind'];
  readonly escalationId: string;
  readonly dueAt: Date;
  readonly payload: object;
}

/** Sets a timer (replacing its due time and payload if it is armed already). */
export async function upsertTimer(q: Queryable, t: TimerSpec): Promise<void> {
  const payload = JSON.stringify(t.payload);
  await exec(
    q,
    qb
      .insertInto('baton_escalation.timers')
      .values({ timer_id: t.timerId, kind: t.kind, escalation_id: t.escalationId, due_at: t.dueAt, payload })
      .onConflict((oc) => oc.column('timer_id').doUpdateSet({ due_at: t.dueAt, payload })),
  );
}

/** Sets a timer unless it is armed already; true when this call armed it. */
export async function insertTimerOnce(q: Queryable, t: TimerSpec): Promise<boolean> {
  const rows = await exec(
    q,
    qb
      .insertInto('baton_escalation.timers')
      .values({ timer_id: t.timerId, kind: t.kind, escalation_id: t.escalationId, due_at: t.dueAt, payload: JSON.stringify(t.payload) })
      .onConflict((oc) => oc.column('timer_id').doNothing())
      .returning('timer_id'),
  );
  return rows.length > 0;
}

/** Changes an armed timer; false when it is not armed (fired already). Waits for a poller holding it. */
export async function updateTimer(q: Queryable, timerId: string, dueAt: Date, payload: object): Promise<boolean> {
  const rows = await exec(
    q,
    qb
      .updateTable('baton_escalation.timers')
      .set({ due_at: dueAt, payload: JSON.stringify(payload) })
      .where('timer_id', '=', timerId)
      .returning('timer_id'),
  );
  return rows.length > 0;
}

/** Disarms a timer; true when it was armed (so it never fired). Waits for a poller holding it. */
export async function deleteTimer(q: Queryable, timerId: string): Promise<boolean> {
  const rows = await exec(q, qb.deleteFrom('baton_escalation.timers').where('timer_id', '=', timerId).returning('timer_id'));
  return rows.length > 0;
}

export async function findTimer(q: Queryable, timerId: string): Promise<TimerRow | undefined> {
  const [row] = await exec(q, qb.selectFrom('baton_escalation.timers').selectAll().where('timer_id', '=', timerId));
  return row;
}

/**
 * The next due timer (by the injected clock), locked for this transaction; timers another
 * transaction holds, and those in `skip`, are passed over.
 */
export async function lockNextDueTimer(q: Queryable, now: Date, skip: readonly string[]): Promise<TimerRow | undefined> {
  let query = qb.selectFrom('baton_escalation.timers').selectAll().where('due_at', '<=', now);
  if (skip.length > 0) query = query.where('timer_id', 'not in', [...skip]);
  const [row] = await exec(q, query.orderBy('due_at').orderBy('seq').limit(1).forUpdate().skipLocked());
  return row;
}
