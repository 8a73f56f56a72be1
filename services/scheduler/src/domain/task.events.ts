import type { z } from 'zod';
import { eventReader } from '@baton/aggregate';
import {
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

const TASK_EVENT_SCHEMAS = {
  ...TaskEventSchemas,
  TaskCreated: TaskCreatedSchedulingV1,
  TaskFailed: TaskFailedSchedulingV1,
  TaskHandoffRejected: TaskHandoffRejectedV1,
} as const satisfies Record<TaskEventType, unknown>;

/**
 * Reads a stored task event into the current domain shape (the upcasting step, run before
 * `evolve`). Version 1 is the only version so far.
 */
export const toTaskEvent = eventReader<TaskEvent>('task', TASK_EVENT_SCHEMAS);
