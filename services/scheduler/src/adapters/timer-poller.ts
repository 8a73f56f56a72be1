import { serviceContext, type Clock, type IdSource } from '@baton/aggregate';
import { errorCodeOf } from '@baton/contracts';
import type { MessagingLogger } from '@baton/messaging';
import type { Kysely } from 'kysely';
import type { TaskRunner } from '../app/runners';
import { isHeld } from '../domain';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';
import { deleteTimer, dueTimers, nextTimerDue } from '../read-model/task.queries';

export interface TimerPollerOptions {
  readonly db: Kysely<SchedulerDatabase>;
  readonly handler: TaskRunner;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly isLeader: () => boolean;
  /** Called when a retry back-off is over, so the dispatcher looks at the queue now. */
  readonly wakeDispatcher: () => void;
  readonly logger: MessagingLogger;
}

/**
 * One pass of the durable timer poller (run by a {@link WakeLoop} under the lease): fires every
 * timer in `scheduler.timers` that is due by the injected clock (those that fell due while the
 * service was down included), then deletes it. A task time-out releases the task
 * (`TaskReleased`, reason `timed_out`) if the lease it was set for is still the current one; a
 * retry timer wakes the dispatcher. Firing twice is harmless (the release checks the epoch).
 * Returns the milliseconds until the next timer is due.
 */
export async function timerPass(o: TimerPollerOptions): Promise<number | void> {
  if (!o.isLeader()) return;
  const now = o.clock.now();
  for (const t of await dueTimers(o.db, now, 100)) {
    if (!o.isLeader()) return;
    switch (t.kind) {
      case 'task-timeout': {
        const { state } = await o.handler.load(t.taskId);
        if (state.exists && isHeld(state.status) && state.leaseEpoch === t.leaseEpoch && state.agentId !== null) {
          const agentId = state.agentId;
          try {
            await o.handler.execute(
              t.taskId,
              (metadata) => ({ type: 'ReleaseTask', data: { taskId: t.taskId, agentId, leaseEpoch: t.leaseEpoch, reason: 'timed_out' }, metadata }),
              serviceContext('scheduler', `timer:${t.timerId}`),
            );
            o.logger.log(`task ${t.taskId} timed out (lease ${t.leaseEpoch} of ${agentId})`);
          } catch (err) {
            if (errorCodeOf(err) !== 'WRONG_EXPECTED_VERSION') throw err;
            continue;
          }
        }
        break;
      }
      case 'retry-due':
        break;
      default: {
        const unhandled: never = t.kind;
        o.logger.error(`unknown timer kind ${String(unhandled)}`);
      }
    }
    await deleteTimer(o.db, t.timerId);
    o.wakeDispatcher();
  }
  const next = await nextTimerDue(o.db);
  return next === undefined ? undefined : Math.max(0, next.getTime() - o.clock.now().getTime());
}
