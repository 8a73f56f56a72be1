import type { AggregateSpec } from '@baton/aggregate';
import { runStreamId, shortDigest } from '@baton/contracts';
import { decideRun, type RunCommand, type RunDeciderContext } from './run.decider';
import { toRunEvent, type RunEvent } from './run.events';
import { evolveRun, INITIAL_RUN_STATE, type RunState } from './run.state';

/**
 * Deterministic id of a run's task: the same run, stage, iteration and key give the same task id,
 * so a decision repeated after a crash creates no second task.
 */
export function runTaskId(runId: string, stageId: string, iteration: number, key: string): string {
  return `rt-${shortDigest(`${runId}\u0000${stageId}\u0000${iteration}\u0000${key}`, 32)}`;
}

/**
 * The run aggregate as the command kernel runs it: `run-<id>` streams, every event correlated
 * with its run. Its decisions need the run's pinned workflow definition (the environment).
 */
export const runAggregate: AggregateSpec<RunState, RunCommand, RunEvent, RunDeciderContext> = {
  name: 'run',
  streamId: runStreamId,
  read: toRunEvent,
  initialState: INITIAL_RUN_STATE,
  evolve: evolveRun,
  decide: decideRun,
  correlationOf: (event) => event.data.runId,
  defaultActor: { kind: 'service', id: 'scheduler' },
};
