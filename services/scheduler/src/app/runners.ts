import { CommandRunner, type Alongside, type Clock, type CommandResult, type Decided, type IdSource } from '@baton/aggregate';
import { NotFoundError } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import type { WorkflowDefinition } from '@baton/workflow-dsl';
import { conflictAggregate, type ConflictCommand, type ConflictEvent, type ConflictState } from '../domain/conflict';
import {
  runAggregate,
  runTaskId,
  taskAggregate,
  workflowAggregate,
  type RunCommand,
  type RunDeciderContext,
  type RunEvent,
  type RunState,
  type TaskCommand,
  type TaskEvent,
  type TaskState,
  type WorkflowCommand,
  type WorkflowEvent,
  type WorkflowState,
} from '../domain';

/** The scheduler's command runners, one per aggregate (see `@baton/aggregate`). */
export type TaskRunner = CommandRunner<TaskState, TaskCommand, TaskEvent>;
export type ConflictRunner = CommandRunner<ConflictState, ConflictCommand, ConflictEvent>;
export type RunRunner = CommandRunner<RunState, RunCommand, RunEvent, RunDeciderContext>;
export type WorkflowRunner = CommandRunner<WorkflowState, WorkflowCommand, WorkflowEvent>;

/** Time, ids and the state cache size a runner is built with, and who is told of each committed append. */
export interface RunnerOptions<S = unknown, E = unknown> {
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Streams kept hot in memory (0: read every stream whole for each command). */
  readonly cacheSize?: number;
  /** Told of each committed append (tasks: see `taskSignalsOf`; runs: the stages a run starts). */
  readonly onCommitted?: (result: CommandResult<S, E>) => void;
  /** Another aggregate's decision to commit with each decision of this runner (tasks: the run step a task's ending records). */
  readonly alongside?: (decided: Decided<S, E>) => Promise<Alongside | undefined>;
}

/** Run rules that come from configuration (the handoff catalog, the rejection limit). */
export type RunRules = Pick<RunDeciderContext, 'handoffSpecsFor' | 'handoffSlaFor' | 'maxRejections'>;

/**
 * What a run's decisions need besides its state: its pinned definition (or, for the StartRun
 * of a run that does not exist yet, the definition it starts with), the task id rule and the
 * configured rules. Another command on a run that does not exist is NOT_FOUND.
 */
export type RunEnvironment = (state: RunState, runId: string, starting?: WorkflowDefinition) => Promise<RunDeciderContext>;

export function runEnvironment(definitions: { pinned(workflowId: string, version: string, hash: string): Promise<WorkflowDefinition> }, rules: RunRules = {}): RunEnvironment {
  return async (state, runId, starting) => {
    if (state.exists) return { def: await definitions.pinned(state.workflowId, state.version, state.hash), taskId: runTaskId, ...rules };
    if (starting === undefined) throw new NotFoundError('run', runId);
    return { def: starting, taskId: runTaskId, ...rules };
  };
}

export function taskRunner(store: EventStore, o: RunnerOptions<TaskState, TaskEvent>): TaskRunner {
  return new CommandRunner(store, taskAggregate, o);
}

export function conflictRunner(store: EventStore, o: RunnerOptions<ConflictState, ConflictEvent>): ConflictRunner {
  return new CommandRunner(store, conflictAggregate, o);
}

export function runRunner(store: EventStore, environment: RunEnvironment, o: RunnerOptions<RunState, RunEvent>): RunRunner {
  return new CommandRunner(store, runAggregate, { ...o, environment: (state, runId) => environment(state, runId) });
}

export function workflowRunner(store: EventStore, o: RunnerOptions<WorkflowState, WorkflowEvent>): WorkflowRunner {
  return new CommandRunner(store, workflowAggregate, o);
}

/**
 * True when a command with this id was already appended to the stream. For use cases that check
 * more than the decider can (an agent's availability, say) before a first execution, and skip
 * those checks when the command is a retry whose outcome already stands.
 */
export async function commandRecorded(store: EventStore, streamId: string, commandId: string): Promise<boolean> {
  return (await store.readStream(streamId)).some((e) => e.metadata.commandId === commandId);
}
