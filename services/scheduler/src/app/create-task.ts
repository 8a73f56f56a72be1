import type { Alongside, CommandContext, CommandResult } from '@baton/aggregate';
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

/**
 * {@link createTask} as a decision to commit with another (a run's step that starts the stage,
 * see `CommandRunner.decideAlongside`): the agent reserved now, settled once the commit is told,
 * or given back if it does not go. Undefined when it cannot be decided so (then {@link createTask}
 * creates it after the run's append, as before), and when the dispatcher has no agent for it
 * now: the slot it lacks may be the one the commit itself frees (the agent completing the
 * stage before), which the dispatcher learns only once that commit is told.
 */
export async function createTaskAlongside(tasks: TaskRunner, data: TaskDefinition, ctx: CommandContext, assign?: AssignAtCreate | null): Promise<Alongside | undefined> {
  const agentId = assign?.reserve(data) ?? null;
  if (assign && agentId === null) return undefined;
  const given = agentId === null ? data : { ...data, assignTo: agentId };
  const settle = (result?: CommandResult<TaskState, TaskEvent>): void => {
    if (agentId !== null) assign!.settle(data.taskId, result);
  };
  const part = await tasks.decideAlongside(data.taskId, (metadata) => ({ type: 'CreateTask', data: given, metadata }), ctx, { assumeNew: true, then: (r) => settle(r) }).catch(() => undefined);
  if (part === undefined) {
    settle();
    return undefined;
  }
  return { ...part, abandoned: () => settle() };
}
