import type { Clock, CommandContext } from '@baton/aggregate';
import { BatonError, ConflictError, IllegalTransitionError, NotFoundError, errorCodeOf, taskStreamId } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import type { Kysely } from 'kysely';
import { agentCandidates } from '../read-model/task.queries';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';
import { isHeld, isTerminal } from '../domain';
import { commandRecorded, type TaskRunner } from './runners';

/** Attempts to hand a task to the chosen agent when the dispatcher or a claim takes it in between. */
const REASSIGN_ATTEMPTS = 3;

/**
 * Hands a task to an agent a person (or another service acting for one) chose: release it from
 * its holder if an agent holds it (`TaskReleased`, reason `released`), then `AssignTask` to the
 * chosen agent. It bypasses conflict holds and the requirement match (the person chose the
 * agent), but not availability: the agent must be known and online. Task command ids derive
 * from the caller's command id, so a retried call finishes the job without doing it twice.
 * Used by resolve-conflict (`reassign`) and reassign-task (an escalation resolved as
 * `reassigned`).
 */
export class TaskReassigner {
  constructor(
    private readonly tasks: TaskRunner,
    private readonly store: EventStore,
    private readonly db: Kysely<SchedulerDatabase>,
    private readonly clock: Clock,
  ) {}

  /** True when the reassignment of this command already happened (a retried call: its checks no longer apply). */
  done(taskId: string, ctx: CommandContext): Promise<boolean> {
    return commandRecorded(this.store, taskStreamId(taskId), assignCommandId(ctx));
  }

  /** Everything that would make `reassign` fail, checked before the caller records its decision. */
  async check(taskId: string, agentId: string): Promise<void> {
    const [agent] = await agentCandidates(this.db, { agentId });
    if (!agent) throw new NotFoundError('agent', agentId);
    if (!agent.available) throw new BatonError('FORBIDDEN', `agent ${agentId} is offline or removed; it cannot take task ${taskId}`, { agentId, taskId });
    const { state: task } = await this.tasks.load(taskId);
    if (!task.exists) throw new NotFoundError('task', taskId);
    if (isTerminal(task.status)) throw new IllegalTransitionError(`task ${taskId} is ${task.status}; there is nothing to reassign`, { taskId, status: task.status });
    if (task.status === 'queued' && task.notBefore !== null && Date.parse(task.notBefore) > this.clock.now().getTime()) {
      throw new ConflictError(`task ${taskId} backs off until ${task.notBefore} (retry); reassign it after that`, { taskId, notBefore: task.notBefore });
    }
  }

  /** Hands the task to `agentId`: release it from its holder if any, then assign it. */
  async reassign(taskId: string, agentId: string, ctx: CommandContext): Promise<void> {
    for (let attempt = 1; attempt <= REASSIGN_ATTEMPTS; attempt++) {
      const { state } = await this.tasks.load(taskId);
      if (!state.exists) throw new NotFoundError('task', taskId);
      // Done already (a retried call), or it is with that agent anyway.
      if (await this.done(taskId, ctx)) return;
      if (isHeld(state.status) && state.agentId === agentId) return;
      if (isTerminal(state.status)) throw new IllegalTransitionError(`task ${taskId} is ${state.status}; there is nothing to reassign`, { taskId, status: state.status });
      if (isHeld(state.status) && state.agentId !== null) {
        await this.tasks.execute(
          taskId,
          (metadata) => ({ type: 'ReleaseTask', data: { taskId, agentId: state.agentId ?? '', leaseEpoch: state.leaseEpoch, reason: 'released' }, metadata }),
          { ...ctx, commandId: `${ctx.commandId}:release:${state.leaseEpoch}` },
        );
      }
      try {
        const r = await this.tasks.execute(taskId, (metadata) => ({ type: 'AssignTask', data: { taskId, agentId }, metadata }), { ...ctx, commandId: assignCommandId(ctx) });
        if (r.state.exists && (r.appended.length > 0 || (isHeld(r.state.status) && r.state.agentId === agentId))) return;
      } catch (err) {
        // Taken meanwhile (the dispatcher, a claim): release it again and retry.
        if (errorCodeOf(err) !== 'CONFLICT' || attempt === REASSIGN_ATTEMPTS) throw err;
      }
    }
    throw new ConflictError(`task ${taskId} kept being taken by others; it could not be reassigned to ${agentId}`, { taskId, agentId });
  }
}

function assignCommandId(ctx: CommandContext): string {
  return `${ctx.commandId}:assign`;
}
