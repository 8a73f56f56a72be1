import { decideByType, existingState, foldWith, type AggregateSpec, unhandled } from '@baton/aggregate';
import { matchesRequirement, taskStreamId } from '@baton/contracts';
import type {
  AcceptTask,
  AssignTask,
  CancelTask,
  ClaimTask,
  CompleteTask,
  CreateTask,
  FailTask,
  RejectHandoff,
  ReleaseTask,
  ReportBlocked,
  ReportProgress,
  ReportUnblocked,
  TaskCommand,
} from './task.commands';
import {
  RequirementNotMetError,
  TaskAlreadyExistsError,
  TaskLeaseStaleError,
  TaskNotFoundError,
  TaskNotWaitingError,
  TaskTransitionError,
} from './task.errors';
import { toTaskEvent, type TaskEvent } from './task.events';
import { initialTaskState, isHeld, isTerminal, type Task, type TaskState } from './task.state';
import { retryDelayMs } from './retry-backoff';

function existing(state: TaskState, taskId: string): Task {
  if (!state.exists) throw new TaskNotFoundError(taskId);
  return state;
}

/** The holder check every agent report goes through: the same agent and the current epoch, or STALE_LEASE. */
function holderOf(state: TaskState, report: { taskId: string; agentId: string; leaseEpoch: number }): Task {
  const task = existing(state, report.taskId);
  if (task.agentId !== report.agentId || task.leaseEpoch !== report.leaseEpoch) {
    throw new TaskLeaseStaleError(task.taskId, report.agentId, report.leaseEpoch, task.agentId, task.leaseEpoch);
  }
  return task;
}

/** A report of work needs the task held (assigned, accepted or blocked); otherwise ILLEGAL_TRANSITION names the command. */
function mustBeHeld(task: Task, command: TaskCommand['type']): void {
  if (!isHeld(task.status)) throw new TaskTransitionError(task.taskId, command, task.status);
}

/** The task a holder's report of work is about: the holder's (see holderOf), and held. */
function heldBy(state: TaskState, command: ReportProgress | ReportBlocked | RejectHandoff | FailTask): Task {
  const task = holderOf(state, command.data);
  mustBeHeld(task, command.type);
  return task;
}

function create(command: CreateTask, state: TaskState): TaskEvent[] {
  const { data, metadata } = command;
  if (state.exists) throw new TaskAlreadyExistsError(data.taskId);
  const created: TaskEvent = {
    type: 'TaskCreated',
    data: {
      taskId: data.taskId,
      runId: data.runId,
      stageId: data.stageId,
      action: data.action,
      requirement: { ...data.requirement, capabilities: [...new Set(data.requirement.capabilities)] },
      priority: data.priority,
      inputs: { ...data.inputs },
      attempt: 1,
      slaDueAt: data.slaDueAt,
      timeoutMs: data.timeoutMs,
      createdAt: metadata.now,
      maxAttempts: data.maxAttempts,
      retry: data.retry,
    },
  };
  if (data.assignTo === undefined) return [created];
  // Planned at once by the dispatcher: assigned as any waiting task would be, in the same append.
  return [created, assignedEvent(existing(evolve(state, created), data.taskId), data.assignTo, metadata.now)];
}

function waiting(task: Task, now: string): void {
  if (task.status !== 'queued') throw new TaskNotWaitingError(task.taskId, task.status);
  if (task.notBefore !== null && Date.parse(task.notBefore) > Date.parse(now)) {
    throw new TaskNotWaitingError(task.taskId, task.status, `it backs off until ${task.notBefore}`);
  }
}

function assignedEvent(task: Task, agentId: string, now: string): TaskEvent {
  return {
    type: 'TaskAssigned',
    data: { taskId: task.taskId, agentId, leaseEpoch: task.leaseEpoch + 1, assignedAt: now, previousAgentId: task.previousAgentId },
  };
}

function assign(command: AssignTask, state: TaskState): TaskEvent[] {
  const task = existing(state, command.data.taskId);
  waiting(task, command.metadata.now);
  return [assignedEvent(task, command.data.agentId, command.metadata.now)];
}

function claim(command: ClaimTask, state: TaskState): TaskEvent[] {
  const task = existing(state, command.data.taskId);
  waiting(task, command.metadata.now);
  if (!matchesRequirement(command.data.agent, task.requirement)) throw new RequirementNotMetError(task.taskId, command.data.agent.agentId);
  return [assignedEvent(task, command.data.agent.agentId, command.metadata.now)];
}

function acceptedEvent(report: { taskId: string; agentId: string; leaseEpoch: number }, now: string): TaskEvent {
  return { type: 'TaskAccepted', data: { taskId: report.taskId, agentId: report.agentId, leaseEpoch: report.leaseEpoch, acceptedAt: now } };
}

/**
 * Accepting is optional: work reported by the holder of a task not yet accepted (progress,
 * blocked, a completion, a refused handoff) records the acceptance first, so an agent may skip
 * accept-task and save a message per task. The event is written, not inferred, so read models
 * and the acknowledgment SLA keep copying `TaskAccepted`.
 */
function acceptedBy(task: Task, report: { taskId: string; agentId: string; leaseEpoch: number }, now: string): TaskEvent[] {
  return task.status === 'assigned' ? [acceptedEvent(report, now)] : [];
}

function accept(command: AcceptTask, state: TaskState): TaskEvent[] {
  const task = holderOf(state, command.data);
  // Already accepted, explicitly or by a report of work (a late or retried accept changes nothing).
  if (task.status === 'accepted' || task.status === 'blocked' || task.status === 'completed') return [];
  if (task.status !== 'assigned') throw new TaskTransitionError(task.taskId, 'AcceptTask', task.status);
  return [acceptedEvent(command.data, command.metadata.now)];
}

function progress(command: ReportProgress, state: TaskState): TaskEvent[] {
  const task = heldBy(state, command);
  const { taskId, agentId, leaseEpoch, percent, message, tokensUsed } = command.data;
  const now = command.metadata.now;
  return [
    ...acceptedBy(task, command.data, now),
    { type: 'TaskProgressReported', data: { taskId, agentId, leaseEpoch, percent, message, tokensUsed, reportedAt: now } },
  ];
}

function blocked(command: ReportBlocked, state: TaskState): TaskEvent[] {
  const task = heldBy(state, command);
  if (task.status === 'blocked') return [];
  const { taskId, agentId, leaseEpoch, reason } = command.data;
  const now = command.metadata.now;
  return [...acceptedBy(task, command.data, now), { type: 'TaskBlocked', data: { taskId, agentId, leaseEpoch, reason, blockedAt: now } }];
}

function unblocked(command: ReportUnblocked, state: TaskState): TaskEvent[] {
  const task = holderOf(state, command.data);
  if (task.status === 'assigned' || task.status === 'accepted') return [];
  if (task.status !== 'blocked') throw new TaskTransitionError(task.taskId, 'ReportUnblocked', task.status);
  const { taskId, agentId, leaseEpoch } = command.data;
  return [{ type: 'TaskUnblocked', data: { taskId, agentId, leaseEpoch, unblockedAt: command.metadata.now } }];
}

/** The run and stage an ending event carries, so the run process manager need not read the task's stream. */
function placementOf(task: Task): { runId: string | null; stageId: string | null } {
  return { runId: task.runId, stageId: task.stageId };
}

function complete(command: CompleteTask, state: TaskState): TaskEvent[] {
  const task = holderOf(state, command.data);
  // Completing twice (a retried report, another command id): the first completion stands.
  if (task.status === 'completed') return [];
  mustBeHeld(task, command.type);
  const { taskId, agentId, leaseEpoch, outputs } = command.data;
  const now = command.metadata.now;
  const durationMs = Math.max(0, Date.parse(now) - Date.parse(task.assignedAt ?? now));
  return [
    ...acceptedBy(task, command.data, now),
    { type: 'TaskCompleted', data: { taskId, ...placementOf(task), agentId, leaseEpoch, outputs: { ...outputs }, completedAt: now, durationMs } },
  ];
}

function rejectHandoff(command: RejectHandoff, state: TaskState): TaskEvent[] {
  const task = heldBy(state, command);
  const { taskId, agentId, leaseEpoch, handoffId, failures } = command.data;
  const now = command.metadata.now;
  return [
    ...acceptedBy(task, command.data, now),
    {
      type: 'TaskHandoffRejected',
      data: { taskId, agentId, leaseEpoch, handoffId, failures: [...failures], rejections: task.handoffRejections + 1, rejectedAt: now },
    },
  ];
}

function failEvent(task: Task, agentId: string | null, error: { message: string; code: string | null }, retryable: boolean, now: string): TaskEvent {
  const retry = retryable && task.attempt < task.maxAttempts;
  const retryAt = retry ? new Date(Date.parse(now) + retryDelayMs(task.retry, task.attempt)).toISOString() : null;
  return {
    type: 'TaskFailed',
    data: { taskId: task.taskId, ...placementOf(task), agentId, leaseEpoch: task.leaseEpoch, error, final: !retry, failedAt: now, retryAt, attempt: retry ? task.attempt + 1 : task.attempt },
  };
}

function fail(command: FailTask, state: TaskState): TaskEvent[] {
  const task = heldBy(state, command);
  return [failEvent(task, command.data.agentId, command.data.error, command.data.retryable, command.metadata.now)];
}

function release(command: ReleaseTask, state: TaskState): TaskEvent[] {
  const task = existing(state, command.data.taskId);
  const { taskId, agentId, leaseEpoch, reason } = command.data;
  // The scheduler releases what it saw; if the task has moved on since, there is nothing to do.
  if (!isHeld(task.status) || task.agentId !== agentId || task.leaseEpoch !== leaseEpoch) return [];
  const now = command.metadata.now;
  // A time-out uses the attempt up (never past the last); other releases give the same attempt back.
  const attempt = reason === 'timed_out' ? Math.min(task.attempt + 1, task.maxAttempts) : task.attempt;
  const released: TaskEvent = { type: 'TaskReleased', data: { taskId, agentId, leaseEpoch, reason, releasedAt: now, attempt } };
  if (reason === 'timed_out' && task.attempt >= task.maxAttempts) {
    const afterRelease = evolve(task, released);
    return [released, failEvent(existing(afterRelease, taskId), null, { message: `attempt ${task.attempt} timed out`, code: 'TIMEOUT' }, false, now)];
  }
  return [released];
}

function cancel(command: CancelTask, state: TaskState): TaskEvent[] {
  const task = existing(state, command.data.taskId);
  if (task.status === 'cancelled') return [];
  if (isTerminal(task.status)) throw new TaskTransitionError(task.taskId, 'CancelTask', task.status);
  return [{ type: 'TaskCancelled', data: { taskId: task.taskId, ...placementOf(task), reason: command.data.reason, cancelledAt: command.metadata.now } }];
}

/**
 * The task aggregate's decisions: the events a command produces from the current state, or a
 * domain error (NOT_FOUND, CONFLICT, STALE_LEASE, ILLEGAL_TRANSITION, FORBIDDEN). An empty
 * list means "already so" (idempotent). Pure: time comes in on the command.
 */
export const decide = decideByType<TaskCommand, TaskState, TaskEvent>('task', {
  CreateTask: create,
  AssignTask: assign,
  ClaimTask: claim,
  AcceptTask: accept,
  ReportProgress: progress,
  ReportBlocked: blocked,
  ReportUnblocked: unblocked,
  CompleteTask: complete,
  FailTask: fail,
  ReleaseTask: release,
  CancelTask: cancel,
  RejectHandoff: rejectHandoff,
});

/** The next state after one event. Pure. */
export function evolve(state: TaskState, event: TaskEvent): TaskState {
  if (event.type === 'TaskCreated') {
    // What the task is asked to be, as created; it waits in the queue for its first lease.
    return {
      exists: true,
      ...event.data,
      status: 'queued',
      leaseEpoch: 0,
      agentId: null,
      previousAgentId: null,
      assignedAt: null,
      notBefore: null,
      requeued: false,
      handoffRejections: 0,
    };
  }
  const t = existingState(state, event.type, 'TaskCreated');
  switch (event.type) {
    case 'TaskAssigned':
      return { ...t, status: 'assigned', agentId: event.data.agentId, leaseEpoch: event.data.leaseEpoch, assignedAt: event.data.assignedAt, notBefore: null };
    case 'TaskAccepted':
      return { ...t, status: 'accepted' };
    case 'TaskProgressReported':
      return t;
    case 'TaskBlocked':
      return { ...t, status: 'blocked' };
    case 'TaskUnblocked':
      return { ...t, status: 'accepted' };
    case 'TaskCompleted':
      return { ...t, status: 'completed' };
    case 'TaskFailed':
      if (event.data.final) return { ...t, status: 'failed', agentId: event.data.agentId ?? t.agentId };
      return {
        ...t,
        status: 'queued',
        // Events written before `attempt` was recorded: a retried failure starts the next attempt.
        attempt: event.data.attempt ?? t.attempt + 1,
        agentId: null,
        previousAgentId: event.data.agentId ?? t.agentId,
        notBefore: event.data.retryAt,
        requeued: false,
      };
    case 'TaskReleased':
      return {
        ...t,
        status: 'queued',
        attempt: event.data.attempt ?? (event.data.reason === 'timed_out' ? Math.min(t.attempt + 1, t.maxAttempts) : t.attempt),
        agentId: null,
        previousAgentId: event.data.agentId,
        notBefore: null,
        requeued: true,
      };
    case 'TaskCancelled':
      return { ...t, status: 'cancelled' };
    case 'TaskHandoffRejected':
      // Streams written before a refused handoff recorded TaskAccepted first still read as accepted.
      return { ...t, status: t.status === 'assigned' ? 'accepted' : t.status, handoffRejections: event.data.rejections };
    default:
      return unhandled('task', 'event', event);
  }
}

/** Folds a stream's events from the initial state. */
export function fold(events: readonly TaskEvent[]): TaskState {
  return foldWith({ initialState: initialTaskState, evolve }, events);
}

/** The task aggregate as the command kernel runs it: `task-<id>` streams, events correlated with the task's run. */
export const taskAggregate: AggregateSpec<TaskState, TaskCommand, TaskEvent> = {
  name: 'task',
  streamId: taskStreamId,
  read: toTaskEvent,
  initialState: initialTaskState,
  evolve,
  decide,
  correlationOf: (event, state) => (event.type === 'TaskCreated' ? event.data.runId : state.exists ? state.runId : null),
  defaultActor: { kind: 'service', id: 'scheduler' },
  // A finished task takes no more commands but repeats: not worth keeping hot.
  settled: (state) => state.exists && isTerminal(state.status),
};
