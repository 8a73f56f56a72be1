import { BatonError, ConflictError, IllegalTransitionError, NotFoundError, StaleLeaseError } from '@baton/contracts';

/** The task does not exist. Code NOT_FOUND. */
export class TaskNotFoundError extends NotFoundError {
  constructor(readonly taskId: string) {
    super('task', taskId);
  }
}

/** A report from an agent that does not hold the task, or with an old lease epoch. Code STALE_LEASE. */
export class TaskLeaseStaleError extends StaleLeaseError {
  constructor(taskId: string, agentId: string, leaseEpoch: number, holder: string | null, currentEpoch: number) {
    super(
      holder === agentId
        ? `task ${taskId}: lease epoch ${leaseEpoch} is stale (current ${currentEpoch})`
        : `task ${taskId}: agent ${agentId} does not hold the task (lease ${currentEpoch} is held by ${holder ?? 'nobody'})`,
      { taskId, agentId, leaseEpoch, holder, currentEpoch },
    );
  }
}

/** The task is not waiting in the queue (already taken, finished, or backing off). Code CONFLICT. */
export class TaskNotWaitingError extends ConflictError {
  constructor(taskId: string, status: string, reason = `it is ${status}`) {
    super(`task ${taskId} cannot be assigned: ${reason}`, { taskId, status });
  }
}

/** CreateTask for an id that already exists. Code CONFLICT. */
export class TaskAlreadyExistsError extends ConflictError {
  constructor(taskId: string) {
    super(`task ${taskId} already exists`, { taskId });
  }
}

/** A command that the task's status does not allow. Code ILLEGAL_TRANSITION. */
export class TaskTransitionError extends IllegalTransitionError {
  constructor(taskId: string, command: string, status: string) {
    super(`task ${taskId}: ${command} is not allowed while the task is ${status}`, { taskId, command, status });
  }
}

/** An agent claimed a task whose requirement it does not meet. Code FORBIDDEN. */
export class RequirementNotMetError extends BatonError {
  constructor(taskId: string, agentId: string) {
    super('FORBIDDEN', `agent ${agentId} does not meet the requirement of task ${taskId}`, { taskId, agentId });
  }
}
