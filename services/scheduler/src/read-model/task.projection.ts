import { BatonError, type RecordedEvent } from '@baton/contracts';
import type { Transaction, Updateable } from 'kysely';
import type { SchedulerDatabase, TasksTable } from './scheduler.tables';
import { queueKeyMs, toTaskEvent, type QueuePolicy, type TaskEvent } from '../domain';

/** Name of the tasks projection (its checkpoint row in `scheduler.projection_checkpoints`). */
export const TASKS_PROJECTION = 'tasks';

/** Events the tasks projection reads: every event of `task-*` streams. */
export const TASKS_PROJECTION_FILTER = { categories: ['task'] } as const;

type Trx = Transaction<SchedulerDatabase>;

function occurredAt(event: RecordedEvent): Date {
  const t = new Date(event.metadata.occurredAt);
  if (Number.isNaN(t.getTime())) {
    throw new BatonError('INTERNAL', `event ${event.eventId} of ${event.streamId} has no valid occurredAt`, { eventId: event.eventId });
  }
  return t;
}

async function row(trx: Trx, taskId: string) {
  const r = await trx.selectFrom('scheduler.tasks').selectAll().where('task_id', '=', taskId).forUpdate().executeTakeFirst();
  if (!r) throw new BatonError('INTERNAL', `tasks projection: no row for task ${taskId}`);
  return r;
}

async function clearTimers(trx: Trx, taskId: string): Promise<void> {
  await trx.deleteFrom('scheduler.timers').where('task_id', '=', taskId).execute();
}

/**
 * Builds the function that applies one task event to `scheduler.tasks` and the durable timers
 * (called by the projection runner inside the transaction that moves its checkpoint, so a
 * timer exists exactly when the event that set it was applied). The queue key comes from the
 * domain's `queueKeyMs`, the one home of the queue rule.
 */
export function taskProjection(policy: QueuePolicy): (trx: Trx, recorded: RecordedEvent) => Promise<void> {
  return async (trx, recorded) => {
    const event: TaskEvent = toTaskEvent(recorded);
    const meta = { updated_at: occurredAt(recorded), revision: recorded.revision };
    const update = (taskId: string, set: Updateable<TasksTable>) =>
      trx.updateTable('scheduler.tasks').set({ ...set, ...meta }).where('task_id', '=', taskId).execute();
    switch (event.type) {
      case 'TaskCreated': {
        const d = event.data;
        await trx
          .insertInto('scheduler.tasks')
          .values({
            task_id: d.taskId,
            run_id: d.runId,
            stage_id: d.stageId,
            action: d.action,
            requirement: JSON.stringify(d.requirement) as never,
            priority: d.priority,
            inputs: JSON.stringify(d.inputs) as never,
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
          })
          .onConflict((oc) => oc.column('task_id').doNothing())
          .execute();
        return;
      }
      case 'TaskAssigned': {
        const d = event.data;
        const r = await row(trx, d.taskId);
        await update(d.taskId, {
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
        await trx
          .insertInto('scheduler.agent_assignments')
          .values({ agent_id: d.agentId, last_assigned_at: new Date(d.assignedAt) })
          .onConflict((oc) => oc.column('agent_id').doUpdateSet({ last_assigned_at: new Date(d.assignedAt) }))
          .execute();
        await clearTimers(trx, d.taskId);
        if (r.timeout_ms !== null) {
          await trx
            .insertInto('scheduler.timers')
            .values({
              timer_id: `timeout:${d.taskId}:${d.leaseEpoch}`,
              kind: 'task-timeout',
              task_id: d.taskId,
              lease_epoch: d.leaseEpoch,
              due_at: new Date(Date.parse(d.assignedAt) + r.timeout_ms),
            })
            .onConflict((oc) => oc.column('timer_id').doNothing())
            .execute();
        }
        return;
      }
      case 'TaskAccepted':
        await update(event.data.taskId, { status: 'accepted' });
        return;
      case 'TaskProgressReported': {
        const d = event.data;
        await update(d.taskId, { percent: d.percent, progress_message: d.message, tokens_used: d.tokensUsed });
        return;
      }
      case 'TaskBlocked':
        await update(event.data.taskId, { status: 'blocked', blocked_reason: event.data.reason });
        return;
      case 'TaskUnblocked':
        await update(event.data.taskId, { status: 'accepted', blocked_reason: null });
        return;
      case 'TaskCompleted':
        await update(event.data.taskId, { status: 'completed', outputs: JSON.stringify(event.data.outputs) as never, percent: 100 });
        await clearTimers(trx, event.data.taskId);
        return;
      case 'TaskFailed': {
        const d = event.data;
        await clearTimers(trx, d.taskId);
        if (d.final) {
          await update(d.taskId, { status: 'failed', error: JSON.stringify(d.error) as never });
          return;
        }
        const r = await row(trx, d.taskId);
        // The decider records the next attempt; events written before it did imply one more.
        const attempt = d.attempt ?? r.attempt + 1;
        await update(d.taskId, {
          status: 'queued',
          attempt,
          agent_id: null,
          requeued: false,
          not_before: d.retryAt === null ? null : new Date(d.retryAt),
          queue_key: new Date(queueKeyMs({ priority: r.priority, createdAt: r.created_at.toISOString(), requeued: false }, policy)),
          error: JSON.stringify(d.error) as never,
        });
        if (d.retryAt !== null) {
          await trx
            .insertInto('scheduler.timers')
            .values({ timer_id: `retry:${d.taskId}:${attempt}`, kind: 'retry-due', task_id: d.taskId, lease_epoch: d.leaseEpoch, due_at: new Date(d.retryAt) })
            .onConflict((oc) => oc.column('timer_id').doNothing())
            .execute();
        }
        return;
      }
      case 'TaskReleased': {
        const d = event.data;
        const r = await row(trx, d.taskId);
        await clearTimers(trx, d.taskId);
        await update(d.taskId, {
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
        await clearTimers(trx, event.data.taskId);
        await update(event.data.taskId, { status: 'cancelled' });
        return;
      case 'TaskHandoffRejected':
        // The task stays with its agent (rework); the read model shows it as being worked on.
        await update(event.data.taskId, { status: 'accepted' });
        return;
      default: {
        const unhandled: never = event;
        throw new BatonError('INTERNAL', `tasks projection does not handle ${String((unhandled as { type: unknown }).type)}`);
      }
    }
  };
}

/** Empties the task read model and its timers before a rebuild. */
export async function resetTasks(trx: Trx): Promise<void> {
  await trx.deleteFrom('scheduler.timers').execute();
  await trx.deleteFrom('scheduler.agent_assignments').execute();
  await trx.deleteFrom('scheduler.tasks').execute();
}
