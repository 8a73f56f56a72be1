// Test-only: drives the run decider in unit specs (given past events, when a command) with
// task ids a reader can follow, and labels event sequences for comparing them at a glance.
import { deciderSpec } from '@baton/aggregate';
import type { WorkflowDefinition } from '@baton/workflow-dsl';
import { runAggregate, type ExistingRun, type RunCommand, type RunDeciderContext, type RunEvent } from '../domain/run';

/** Task ids for specs: `<run>.<stage>.<iteration>.<key>` (the service derives digests instead, see `runTaskId`). */
export const readableTaskId = (runId: string, stageId: string, iteration: number, key: string): string => `${runId}.${stageId}.${iteration}.${key}`;

/** The decider context of a spec: the workflow definition and readable task ids. */
export const specContext = (def: WorkflowDefinition): RunDeciderContext => ({ def, taskId: readableTaskId });

/** Given past events of a run of `def`, when a command: the events decided and the state after them. */
export function givenRun(def: WorkflowDefinition, events: readonly RunEvent[], ctx: RunDeciderContext = specContext(def)) {
  const past = deciderSpec(runAggregate, ctx).given(events);
  return {
    when: (command: RunCommand): { events: RunEvent[]; state: ExistingRun } => {
      const decided = past.when(command);
      return { events: [...decided.events()], state: decided.state() as ExistingRun };
    },
  };
}

/** Event types, stage events with their stage (`StageStarted:build`). */
export const eventLabels = (events: readonly RunEvent[]): string[] =>
  events.map((e) => (e.type.startsWith('Stage') ? `${e.type}:${(e.data as { stageId: string }).stageId}` : e.type));
