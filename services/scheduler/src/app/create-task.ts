import type { CommandContext, CommandResult } from '@baton/aggregate';
import type { TaskRequirement } from '@baton/contracts';
import type { TaskDefinition, TaskEvent, TaskState } from '../domain';
import type { TaskRunner } from './runners';

/** A task about to be created, as the dispatcher plans it. */
export type NewTask = Pick<TaskDefinition, 'taskId' | 'priority' | 'inputs'> & { readonly requirement: TaskRequirement };

/**
 * The dispatcher's planning of a task at its creation (see `Dispatcher.reserve`): the agent it
 * is to be created assigned to, or null (created queued, for a pass). A reservation is always
 * settled, with the append's result or without.
 */
export interface AssignAtCreate {
  reserve(task: NewTask): string | null;
  settle(taskId: string, result?: CommandResult<TaskState, TaskEvent>): void;
}

/**
 * Creates a task (`CreateTask`, without reading its stream first: the id is new; an existing one
 * is refused by the append and the kernel answers from the stream). With `assign`, a task the
 * dispatcher can give an agent now is created assigned to it, both events in one append.
 * Every task creation goes through here: a submit and a run's stage alike.
 */
export async function createTask(tasks: TaskRunner, data: TaskDefinition, ctx: CommandContext, assign?: AssignAtCreate | null): Promise<CommandResult<TaskState, TaskEvent>> {
  const agentId = assign?.reserve(data) ?? null;
  if (agentId === null) return tasks.execute(data.taskId, (metadata) => ({ type: 'CreateTask', data, metadata }), ctx, { assumeNew: true });
  let result: CommandResult<TaskState, TaskEvent> | undefined;
  try {
    result = await tasks.execute(data.taskId, (metadata) => ({ type: 'CreateTask', data: { ...data, assignTo: agentId }, metadata }), ctx, { assumeNew: true });
    return result;
  } finally {
    assign!.settle(data.taskId, result);
  }
}
