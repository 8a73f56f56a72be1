import type { z } from 'zod';
import { decideByType, eventReader, type AggregateSpec, type CommandMetadata } from '@baton/aggregate';
import { WorkflowVersionRegisteredV1, workflowStreamId } from '@baton/contracts';
import { WorkflowVersionConflictError } from '@baton/workflow-dsl';

export type WorkflowVersionRegisteredData = z.infer<typeof WorkflowVersionRegisteredV1>;

/** Events of the `workflow-<id>` stream: one per registered version, the YAML as written. */
export type WorkflowEvent = { readonly type: 'WorkflowVersionRegistered'; readonly data: WorkflowVersionRegisteredData };

/** Registers a parsed version: its id, version and content hash come from the parser. */
export interface RegisterWorkflowVersion {
  readonly type: 'RegisterWorkflowVersion';
  readonly data: { readonly workflowId: string; readonly version: string; readonly hash: string; readonly yaml: string };
  readonly metadata: CommandMetadata;
}

export type WorkflowCommand = RegisterWorkflowVersion;

/** A stored version of a workflow. */
export interface StoredVersion {
  readonly version: string;
  readonly hash: string;
  readonly yaml: string;
  readonly registeredAt: string;
}

/** A workflow's versions, oldest first. */
export interface WorkflowState {
  readonly versions: readonly StoredVersion[];
}

export const initialWorkflowState: WorkflowState = Object.freeze({ versions: [] });

/** Reads a stored `workflow-*` event (version 1 is the only one). */
export const toWorkflowEvent = eventReader<WorkflowEvent>('workflow', { WorkflowVersionRegistered: WorkflowVersionRegisteredV1 });

/**
 * A version is registered once: the same content again decides nothing (idempotent by hash), the
 * same version with other content is a CONFLICT (bump the version to publish a change).
 */
export const decideWorkflow = decideByType<WorkflowCommand, WorkflowState, WorkflowEvent>('workflow', {
  RegisterWorkflowVersion: (command, state) => {
    const d = command.data;
    const same = state.versions.find((v) => v.version === d.version);
    if (same !== undefined) {
      if (same.hash !== d.hash) throw new WorkflowVersionConflictError(d.workflowId, d.version, same.hash, d.hash);
      return [];
    }
    return [{ type: 'WorkflowVersionRegistered', data: { workflowId: d.workflowId, version: d.version, hash: d.hash, yaml: d.yaml, registeredAt: command.metadata.now } }];
  },
});

export function evolveWorkflow(state: WorkflowState, event: WorkflowEvent): WorkflowState {
  const d = event.data;
  return { versions: [...state.versions, { version: d.version, hash: d.hash, yaml: d.yaml, registeredAt: d.registeredAt }] };
}

/** The workflow definitions aggregate, run by the scheduler's command kernel. Events are correlated with the workflow id. */
export const workflowAggregate: AggregateSpec<WorkflowState, WorkflowCommand, WorkflowEvent> = {
  name: 'workflow',
  streamId: workflowStreamId,
  read: toWorkflowEvent,
  initialState: initialWorkflowState,
  evolve: evolveWorkflow,
  decide: decideWorkflow,
  correlationOf: (event) => event.data.workflowId,
  defaultActor: { kind: 'service', id: 'scheduler' },
};
