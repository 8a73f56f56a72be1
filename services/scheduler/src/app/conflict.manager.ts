import { errorCodeOf, type RecordedEvent, type TaskStatus } from '@baton/contracts';
import type { Transaction } from 'kysely';
import { withConflictTablesTrx, type ConflictDatabase } from '../read-model/conflict.tables';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';
import { toTaskEvent, type TaskState } from '../domain';
import {
  deadDependencyReason,
  heldConflictOf,
  idleTimeoutFinding,
  settle,
  toConflictEvent,
  waitingOnOf,
  type HeldConflict,
  type Settlement,
  type TaskSnapshot,
} from '../domain/conflict';
import { CONFLICT_CATEGORY } from '../read-model/conflict.projection';
import type { ConflictRunner, TaskRunner } from './runners';

/** The categories the conflict manager reads (it runs in the run manager's runner, which adds `run`). */
export const CONFLICT_MANAGER_CATEGORIES = [CONFLICT_CATEGORY, 'task'] as const;

/** Task events the conflict manager acts on; every other event is skipped without touching the database. */
const TASK_EVENTS = new Set(['TaskAssigned', 'TaskReleased', 'TaskCancelled', 'TaskFailed']);

const SCHEDULER = { kind: 'service', id: 'scheduler' } as const;

type Trx = Transaction<ConflictDatabase>;

/** The manager's apply (for a ProjectionRunner over at least the conflict and task categories) and a way to drop its memory. */
export interface ConflictManager {
  readonly apply: (trx: Transaction<SchedulerDatabase>, recorded: RecordedEvent) => Promise<void>;
  /** Forgets which tasks have links (call when the lease is acquired: another replica may have changed them). */
  invalidate(): void;
  /**
   * True when `apply` would do nothing for the event, told without a query: a task event of a
   * type it ignores, a release not for an agent gone offline, or an assignment or end of a task
   * its memory says has no links (loaded; `apply` then makes no query either).
   */
  inert(recorded: RecordedEvent): boolean;
}

export interface ConflictManagerDeps {
  readonly conflicts: ConflictRunner;
  readonly tasks: TaskRunner;
}

function snapshotOf(state: TaskState): TaskSnapshot | null {
  return state.exists ? { status: state.status, leaseEpoch: state.leaseEpoch, agentId: state.agentId, previousAgentId: state.previousAgentId } : null;
}

/**
 * The conflict process manager, applied on the lease holder by the run manager's ProjectionRunner
 * (checkpoint `run-manager`, over run, task and conflict events in global order; one store
 * subscription for both managers). Its own state is `scheduler.conflict_links` (written in the
 * checkpoint's transaction): which open conflict holds which task, and which tasks a dependency
 * clash waits on. It:
 *
 * - `TaskReleased` (reason `agent_offline`) → records an `agent_idle_timeout` conflict
 *   (auto-resolution `reassign`);
 * - `TaskAssigned` of a held task → resolves its open conflicts (`reassign` to the new agent for an
 *   idle time-out, `queue` for a hold that is over), by service `scheduler`;
 * - `TaskCancelled` / final `TaskFailed` of a held task → resolves its conflicts (nothing to hold);
 *   of a dependency → the dependency clashes waiting on it need a decision (`ConflictNeedsDecision`);
 * - `ConflictDetected` → links the held task, then settles at once if the task has already moved
 *   on (an assignment or end that committed before the detection).
 *
 * Cheap for tasks without conflicts: other event types return before any query, and an in-memory
 * superset of the linked task ids (loaded from the table, grown on detection, pruned when a query
 * finds no link) skips the link query for tasks that have none. Every effect is idempotent
 * (deterministic conflict ids and command ids; resolving a resolved conflict is ignored), so a
 * replay after a crash appends nothing new.
 */
export function conflictManager(deps: ConflictManagerDeps): ConflictManager {
  /** A superset of the task ids with links; null: load it from the table on next use. */
  let linked: Set<string> | null = null;
  const linkedSet = async (trx: Trx): Promise<Set<string>> => {
    linked ??= new Set((await trx.selectFrom('scheduler.conflict_links').select('task_id').distinct().execute()).map((r) => r.task_id));
    return linked;
  };
  /** The links of a task, or none without a query when the memory says it has none. */
  const linksOf = async (trx: Trx, taskId: string) => {
    const known = await linkedSet(trx);
    if (!known.has(taskId)) return [];
    const rows = await trx.selectFrom('scheduler.conflict_links').selectAll().where('task_id', '=', taskId).execute();
    if (rows.length === 0) known.delete(taskId);
    return rows;
  };

  const resolve = async (conflictId: string, s: Settlement, causationId: string): Promise<void> => {
    try {
      await deps.conflicts.execute(
        conflictId,
        (metadata) => ({ type: 'ResolveConflict', data: { conflictId, resolution: s.resolution, by: SCHEDULER, reason: s.reason, reassignTo: s.reassignTo }, metadata }),
        { commandId: `auto-resolve:${conflictId}`, causationId, actor: SCHEDULER },
      );
    } catch (err) {
      // Someone resolved it first (a human's resolve-conflict): nothing left to do.
      if (errorCodeOf(err) !== 'ILLEGAL_TRANSITION') throw err;
    }
  };
  const needsDecision = (conflictId: string, reason: string, causationId: string) =>
    deps.conflicts.execute(conflictId, (metadata) => ({ type: 'MarkNeedsDecision', data: { conflictId, reason }, metadata }), {
      commandId: `needs-decision:${conflictId}`,
      causationId,
      actor: SCHEDULER,
    });

  const heldOf = (rows: Awaited<ReturnType<typeof linksOf>>): HeldConflict[] =>
    rows.filter((r) => r.role === 'held').map((r) => ({ conflictId: r.conflict_id, kind: r.kind, taskId: r.task_id, leaseEpoch: r.lease_epoch, agentId: r.agent_id }));

  const onTaskEnded = async (trx: Trx, taskId: string, status: Extract<TaskStatus, 'failed' | 'cancelled'>, causationId: string) => {
    const rows = await linksOf(trx, taskId);
    for (const held of heldOf(rows)) {
      const s = settle(held, { status, leaseEpoch: held.leaseEpoch, agentId: null, previousAgentId: null });
      if (s) await resolve(held.conflictId, s, causationId);
    }
    for (const w of rows.filter((r) => r.role === 'dependency')) {
      const held = await trx.selectFrom('scheduler.conflict_links').select('task_id').where('conflict_id', '=', w.conflict_id).where('role', '=', 'held').executeTakeFirst();
      await needsDecision(w.conflict_id, deadDependencyReason(held?.task_id ?? 'unknown', taskId, status), causationId);
    }
  };

  const apply = async (schedulerTrx: Transaction<SchedulerDatabase>, recorded: RecordedEvent): Promise<void> => {
    const isConflict = recorded.streamId.startsWith(`${CONFLICT_CATEGORY}-`);
    if (!isConflict && !(recorded.streamId.startsWith('task-') && TASK_EVENTS.has(recorded.type))) return;
    const trx = withConflictTablesTrx(schedulerTrx);
    const causationId = recorded.eventId;
    if (isConflict) {
      const event = toConflictEvent(recorded);
      switch (event.type) {
        case 'ConflictDetected': {
          const held = heldConflictOf(event.data);
          if (held === null) return;
          const known = await linkedSet(trx);
          await trx
            .insertInto('scheduler.conflict_links')
            .values({ conflict_id: held.conflictId, task_id: held.taskId, role: 'held', kind: held.kind, agent_id: held.agentId, lease_epoch: held.leaseEpoch })
            .onConflict((oc) => oc.columns(['conflict_id', 'task_id', 'role']).doNothing())
            .execute();
          const dependencies = event.data.kind === 'dependency_clash' && event.data.autoResolution !== null ? waitingOnOf(event.data.details) : [];
          known.add(held.taskId);
          for (const dep of dependencies) {
            known.add(dep);
            await trx
              .insertInto('scheduler.conflict_links')
              .values({ conflict_id: held.conflictId, task_id: dep, role: 'dependency', kind: held.kind, agent_id: null, lease_epoch: held.leaseEpoch })
              .onConflict((oc) => oc.columns(['conflict_id', 'task_id', 'role']).doNothing())
              .execute();
          }
          // The held task (or a dependency) may have moved on before this detection was committed.
          const task = snapshotOf((await deps.tasks.load(held.taskId)).state);
          const s = task === null ? null : settle(held, task);
          if (s) return resolve(held.conflictId, s, causationId);
          for (const dep of dependencies) {
            const d = (await deps.tasks.load(dep)).state;
            if (d.exists && (d.status === 'failed' || d.status === 'cancelled')) {
              await needsDecision(held.conflictId, deadDependencyReason(held.taskId, dep, d.status), causationId);
              break;
            }
          }
          return;
        }
        case 'ConflictResolved':
          await trx.deleteFrom('scheduler.conflict_links').where('conflict_id', '=', event.data.conflictId).execute();
          return;
        case 'ConflictNeedsDecision':
          await trx.deleteFrom('scheduler.conflict_links').where('conflict_id', '=', event.data.conflictId).where('role', '=', 'dependency').execute();
          return;
      }
      return;
    }
    const event = toTaskEvent(recorded);
    switch (event.type) {
      case 'TaskAssigned': {
        const d = event.data;
        for (const held of heldOf(await linksOf(trx, d.taskId))) {
          const s = settle(held, { status: 'assigned', leaseEpoch: d.leaseEpoch, agentId: d.agentId, previousAgentId: d.previousAgentId });
          if (s) await resolve(held.conflictId, s, causationId);
        }
        return;
      }
      case 'TaskReleased': {
        const d = event.data;
        if (d.reason !== 'agent_offline') return;
        const { state } = await deps.tasks.load(d.taskId);
        const finding = idleTimeoutFinding({ taskId: d.taskId, runId: state.exists ? state.runId : null }, d);
        await deps.conflicts.execute(finding.conflictId, (metadata) => ({ type: 'DetectConflict', data: finding, metadata }), {
          commandId: `detect:${finding.conflictId}`,
          causationId,
          actor: SCHEDULER,
        });
        return;
      }
      case 'TaskCancelled':
        return onTaskEnded(trx, event.data.taskId, 'cancelled', causationId);
      case 'TaskFailed':
        if (event.data.final) return onTaskEnded(trx, event.data.taskId, 'failed', causationId);
        return;
      default:
        return;
    }
  };

  return {
    apply,
    invalidate: () => {
      linked = null;
    },
    inert: (recorded) => {
      if (!recorded.streamId.startsWith('task-')) return !recorded.streamId.startsWith(`${CONFLICT_CATEGORY}-`);
      if (!TASK_EVENTS.has(recorded.type)) return true;
      const data = recorded.data as { taskId?: unknown; reason?: unknown };
      if (recorded.type === 'TaskReleased') return data.reason !== 'agent_offline';
      return linked !== null && typeof data.taskId === 'string' && !linked.has(data.taskId);
    },
  };
}

/** Empties the manager's links before a rebuild (replaying the conflict events rebuilds them; effects are idempotent). */
export async function resetConflictLinks(trx: Transaction<SchedulerDatabase>): Promise<void> {
  await withConflictTablesTrx(trx).deleteFrom('scheduler.conflict_links').execute();
}
