import { errorCodeOf, type Position } from '@baton/contracts';
import type { MessagingLogger } from '@baton/messaging';
import type { ProjectionRunner } from '@baton/read-models';
import type { Kysely } from 'kysely';
import type { Clock, IdSource } from '../app/ports';
import type { TaskCommandHandler } from '../app/task-command.handler';
import { planAssignments } from '../domain';
import type { SchedulerDatabase } from './scheduler.tables';
import { agentCandidates, queueHead, tasksHeldByUnavailableAgents } from './task.queries';

export interface DispatcherOptions {
  readonly db: Kysely<SchedulerDatabase>;
  readonly handler: TaskCommandHandler;
  readonly projection: ProjectionRunner<SchedulerDatabase>;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Waiting tasks considered per pass. */
  readonly batchSize: number;
  /** True while this process holds the dispatcher lease; checked before every append. */
  readonly isLeader: () => boolean;
  readonly logger: MessagingLogger;
}

/** Codes that mean "someone else got there first" (a claim, another pass): skip the task. */
const LOST_RACE = new Set(['CONFLICT', 'WRONG_EXPECTED_VERSION', 'NOT_FOUND', 'STALE_LEASE']);

const SCHEDULER_ACTOR = { kind: 'service', id: 'scheduler' } as const;

/**
 * One pass of the assignment loop (run by a {@link WakeLoop} under the dispatcher lease):
 * 1. every task held by an agent that went offline or was removed is released
 *    (`TaskReleased`, reason `agent_offline`) and so goes back to the queue ahead of its priority;
 * 2. the head of the queue (ordered in SQL by the domain's queue key) is planned against the
 *    available agents with their loads (`planAssignments`, pure), and each planned task gets
 *    `TaskAssigned` appended at its expected revision (a claim that won meanwhile makes it skip);
 * 3. it waits for the tasks read model to reach its own appends, so the next pass counts the
 *    loads it just added (max concurrency holds).
 * Returns 0 (run again now) when it assigned something, so a queue longer than one batch drains.
 */
export async function dispatchPass(o: DispatcherOptions): Promise<number | void> {
  if (!o.isLeader()) return;
  let last: Position | undefined;
  const note = (p: Position | undefined) => {
    if (p) last = p;
  };

  for (const held of await tasksHeldByUnavailableAgents(o.db, o.batchSize)) {
    if (!o.isLeader()) return;
    try {
      const r = await o.handler.execute(
        held.taskId,
        (metadata) => ({ type: 'ReleaseTask', data: { ...held, reason: 'agent_offline' }, metadata }),
        { commandId: o.ids.newId(), actor: SCHEDULER_ACTOR },
      );
      note(r.position);
      if (r.appended.length > 0) o.logger.log(`released task ${held.taskId} from offline agent ${held.agentId}`);
    } catch (err) {
      if (!LOST_RACE.has(errorCodeOf(err) ?? '')) throw err;
    }
  }
  if (last) await o.projection.waitUntilCaughtUp({ until: last, timeoutMs: 10_000 });

  const now = o.clock.now();
  const queue = await queueHead(o.db, now, o.batchSize);
  if (queue.length === 0) return;
  const plan = planAssignments(queue, await agentCandidates(o.db), now);
  let assigned = 0;
  for (const p of plan) {
    if (!o.isLeader()) break;
    try {
      const r = await o.handler.execute(p.taskId, (metadata) => ({ type: 'AssignTask', data: p, metadata }), {
        commandId: o.ids.newId(),
        actor: SCHEDULER_ACTOR,
      });
      note(r.position);
      if (r.appended.length > 0) assigned++;
    } catch (err) {
      if (!LOST_RACE.has(errorCodeOf(err) ?? '')) throw err;
    }
  }
  if (last) await o.projection.waitUntilCaughtUp({ until: last, timeoutMs: 10_000 });
  return assigned > 0 ? 0 : undefined;
}
