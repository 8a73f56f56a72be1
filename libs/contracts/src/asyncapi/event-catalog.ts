import type { z } from 'zod';
import * as contracts from '../index';

/** One event type as it goes out on `baton.evt.<category>.<event>`: its `data` schema, or null when the contracts give none yet. */
export interface CatalogEvent {
  readonly category: string;
  readonly type: string;
  readonly schema: z.ZodType | null;
}

/**
 * Run events whose `data` the contracts describe; the others are written by the scheduler's run
 * aggregate with TypeScript types only (services/scheduler/src/domain/run/run.events.ts), so the
 * document can say no more than "an object" for them.
 */
const RUN_EVENT_SCHEMAS: Partial<Record<contracts.RunEventType, z.ZodType>> = {
  RunSlaBreached: contracts.RunSlaBreachedV1,
  StageSlaBreached: contracts.StageSlaBreachedV1,
  StageApprovalRequested: contracts.StageApprovalRequestedV1,
  StageApproved: contracts.StageApprovedV1,
  StageRejected: contracts.StageRejectedV1,
  StageReworkRequested: contracts.StageReworkRequestedV1,
  StageEscalated: contracts.StageEscalatedV1,
};

/**
 * The contracts' schema maps by stream category, found by their names: `AgentEventSchemas` holds
 * the events of `agent-<id>` streams, `NotificationEventSchemas` those of `notification-<id>`, so
 * a category declared in the contracts is in the document without a line here.
 */
function declaredMaps(): Record<string, Readonly<Record<string, z.ZodType>>> {
  return Object.fromEntries(
    Object.entries(contracts).flatMap(([name, value]) => {
      const m = /^([A-Z][a-z]+)EventSchemas$/.exec(name);
      return m && typeof value === 'object' && value !== null ? [[m[1]!.toLowerCase(), value as Readonly<Record<string, z.ZodType>>]] : [];
    }),
  );
}

/**
 * Every event type each stream category publishes, with the schema of its `data` as the owning
 * service writes it: the contracts' maps, the scheduler's task events (which carry its retry
 * policy and rework rejections), and the categories whose schemas are declared one by one.
 */
function eventsByCategory(): Readonly<Record<string, Readonly<Record<string, z.ZodType | null>>>> {
  return {
    ...declaredMaps(),
    task: { ...contracts.TaskEventSchemas, TaskCreated: contracts.TaskCreatedSchedulingV1, TaskFailed: contracts.TaskFailedSchedulingV1, TaskHandoffRejected: contracts.TaskHandoffRejectedV1 },
    conflict: { ConflictDetected: contracts.ConflictDetectedV1, ConflictResolved: contracts.ConflictResolvedV1, ConflictNeedsDecision: contracts.ConflictNeedsDecisionV1 },
    workflow: { WorkflowVersionRegistered: contracts.WorkflowVersionRegisteredV1 },
    run: Object.fromEntries(contracts.RunEventTypes.map((type) => [type, RUN_EVENT_SCHEMAS[type] ?? null])),
  };
}

/**
 * The domain events on `baton.evt.>`, category by category, in a stable order.
 *
 * @example
 * eventCatalog().filter((e) => e.category === 'task').map((e) => eventSubjectFor(e.category, e.type))
 */
export function eventCatalog(): readonly CatalogEvent[] {
  return Object.entries(eventsByCategory()).flatMap(([category, schemas]) => Object.entries(schemas).map(([type, schema]) => ({ category, type, schema })));
}
