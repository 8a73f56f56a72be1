import { BatonError, TaskEventSchemas, ValidationError, type RecordedEvent, type TaskEvent } from '@baton/contracts';
import type { Queryable } from '@baton/messaging';
import { countCompletion, countFailure, dropTask, holdTask } from './agent-task-stats.queries';

/** Task events that change an agent's load or performance; the consumer filters on their subjects. */
export const LOAD_TASK_EVENT_TYPES = ['TaskAssigned', 'TaskReleased', 'TaskCompleted', 'TaskFailed', 'TaskCancelled'] as const satisfies readonly TaskEvent['type'][];

function isTaskEventType(type: string): type is TaskEvent['type'] {
  return Object.hasOwn(TaskEventSchemas, type);
}

/** Reads a relayed task event (version 1); a malformed one is VALIDATION_FAILED (dead-lettered by the consumer). */
export function toTaskEvent(recorded: RecordedEvent): TaskEvent {
  if (!isTaskEventType(recorded.type) || recorded.schemaVersion !== 1) {
    throw new BatonError('UNKNOWN_SCHEMA_VERSION', `task event ${recorded.type} version ${recorded.schemaVersion} is not known to this agent-registry`, {
      type: recorded.type,
      schemaVersion: recorded.schemaVersion,
    });
  }
  const parsed = TaskEventSchemas[recorded.type].safeParse(recorded.data);
  if (!parsed.success) {
    throw new ValidationError(`${recorded.type} ${recorded.eventId} does not match its schema`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return { type: recorded.type, data: parsed.data } as TaskEvent;
}

/**
 * Applies one task event to the load and performance tables, on the client of the inbox
 * transaction. Load: a task counts against the agent holding it from TaskAssigned until it is
 * completed, failed, released or cancelled. Performance: completions (with `durationMs`) and
 * failures per agent; a completion resets the run of consecutive failures.
 */
export async function applyTaskEvent(client: Queryable, recorded: RecordedEvent): Promise<void> {
  const event = toTaskEvent(recorded);
  switch (event.type) {
    case 'TaskAssigned': {
      const d = event.data;
      await holdTask(client, { taskId: d.taskId, agentId: d.agentId, leaseEpoch: d.leaseEpoch, assignedAt: new Date(d.assignedAt) });
      return;
    }
    case 'TaskReleased':
      await dropTask(client, event.data.taskId, event.data.leaseEpoch);
      return;
    case 'TaskCompleted':
      await dropTask(client, event.data.taskId, event.data.leaseEpoch);
      await countCompletion(client, event.data.agentId, event.data.durationMs);
      return;
    case 'TaskFailed':
      await dropTask(client, event.data.taskId, event.data.leaseEpoch);
      if (event.data.agentId !== null) await countFailure(client, event.data.agentId);
      return;
    case 'TaskCancelled':
      await dropTask(client, event.data.taskId);
      return;
    case 'TaskCreated':
    case 'TaskAccepted':
    case 'TaskProgressReported':
    case 'TaskBlocked':
    case 'TaskUnblocked':
      // No effect on load or performance (not subscribed; harmless if delivered).
      return;
    default: {
      const unhandled: never = event;
      throw new BatonError('INTERNAL', `task event ${String((unhandled as { type: unknown }).type)} is not handled`);
    }
  }
}
