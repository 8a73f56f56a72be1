import type { z } from 'zod';
import {
  BatonError,
  TaskEventSchemas,
  TaskCreatedSchedulingV1,
  TaskFailedSchedulingV1,
  TaskHandoffRejectedV1,
  type TaskCreatedSchedulingData,
  type TaskEvent as ContractTaskEvent,
  type TaskFailedSchedulingData,
} from '@baton/contracts';

/**
 * Events of the `task-<id>` stream as the scheduler reads and writes them: the contract's
 * events, with `TaskCreated` carrying the retry policy and `TaskFailed` the retry time.
 */
export type TaskEvent =
  | Exclude<ContractTaskEvent, { type: 'TaskCreated' } | { type: 'TaskFailed' }>
  | { readonly type: 'TaskCreated'; readonly data: TaskCreatedSchedulingData }
  | { readonly type: 'TaskFailed'; readonly data: TaskFailedSchedulingData }
  | { readonly type: 'TaskHandoffRejected'; readonly data: TaskHandoffRejectedData };

export type TaskHandoffRejectedData = z.infer<typeof TaskHandoffRejectedV1>;

export type TaskEventType = TaskEvent['type'];

/** Every event type of the task aggregate, for subscriptions and filters. */
export const TASK_EVENT_TYPES = [
  'TaskCreated',
  'TaskAssigned',
  'TaskAccepted',
  'TaskProgressReported',
  'TaskBlocked',
  'TaskUnblocked',
  'TaskCompleted',
  'TaskFailed',
  'TaskReleased',
  'TaskCancelled',
  'TaskHandoffRejected',
] as const satisfies readonly TaskEventType[];

/** A stored task event this code cannot read. Code UNKNOWN_SCHEMA_VERSION. */
export class UnknownTaskEventError extends BatonError {
  constructor(type: string, schemaVersion: number) {
    super('UNKNOWN_SCHEMA_VERSION', `task event ${type} version ${schemaVersion} is not known to this scheduler`, { type, schemaVersion });
    this.name = 'UnknownTaskEventError';
  }
}

function isTaskEventType(type: string): type is TaskEventType {
  return (TASK_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * Reads a stored task event into the current domain shape (the upcasting step, run before
 * `evolve`). Version 1 is the only version so far.
 */
export function toTaskEvent(stored: { readonly type: string; readonly schemaVersion: number; readonly data: unknown }): TaskEvent {
  if (stored.schemaVersion !== 1 || !isTaskEventType(stored.type)) throw new UnknownTaskEventError(stored.type, stored.schemaVersion);
  const schema =
    stored.type === 'TaskCreated'
      ? TaskCreatedSchedulingV1
      : stored.type === 'TaskFailed'
        ? TaskFailedSchedulingV1
        : stored.type === 'TaskHandoffRejected'
          ? TaskHandoffRejectedV1
          : TaskEventSchemas[stored.type];
  const parsed = schema.safeParse(stored.data);
  if (!parsed.success) {
    throw new BatonError('INTERNAL', `stored ${stored.type} v1 does not match its schema`, { issues: parsed.error.issues });
  }
  return { type: stored.type, data: parsed.data } as TaskEvent;
}
