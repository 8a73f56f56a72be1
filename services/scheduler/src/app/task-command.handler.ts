import { taskStreamId } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import { decide, evolve, fold, toTaskEvent, type TaskCommand, type TaskEvent, type TaskState } from '../domain';
import type { Clock, IdSource } from './ports';
import { StreamCommandHandler, type StreamCommandResult } from './stream-command.handler';

export type { CommandContext } from './stream-command.handler';

export type TaskCommandResult = StreamCommandResult<TaskState, TaskEvent>;

/**
 * Runs one command against a `task-<id>` stream (see StreamCommandHandler): of two agents
 * claiming a task the loser sees CONFLICT (or its own earlier outcome). Events are correlated
 * with the task's run.
 */
export class TaskCommandHandler extends StreamCommandHandler<TaskState, TaskCommand, TaskEvent> {
  constructor(store: EventStore, clock: Clock, ids: IdSource) {
    super(store, clock, ids, {
      streamId: taskStreamId,
      toEvent: toTaskEvent,
      fold,
      decide,
      evolve,
      runIdOf: (event, state) => (event.type === 'TaskCreated' ? event.data.runId : state.exists ? state.runId : null),
    });
  }
}
