import {
  BatonError,
  categoryOf,
  ConflictDetectedV1,
  ConflictNeedsDecisionV1,
  ConflictResolvedV1,
  eventSubjectFor,
  StageApprovalRequestedV1,
  StageApprovedV1,
  StageEscalatedV1,
  StageRejectedV1,
  StageSlaBreachedV1,
  RunSlaBreachedV1,
  TaskEventSchemas,
  TaskHandoffRejectedV1,
  ValidationError,
  WorkflowVersionRegisteredV1,
  type RecordedEvent,
} from '@baton/contracts';
import { z } from 'zod';

// Run events whose schemas live in the scheduler (not in the contracts): only the fields read here.
const RunStartedInput = z.object({ runId: z.string(), workflowId: z.string(), version: z.string() });
const StageEndedInput = z.object({ runId: z.string(), stageId: z.string(), iteration: z.number().int() });
const RunEndedInput = z.object({ runId: z.string() });

/** Every event the escalation service consumes, by category and type, with its schema (version 1). */
const INPUTS = {
  task: {
    ...TaskEventSchemas,
    TaskHandoffRejected: TaskHandoffRejectedV1,
  },
  run: {
    RunStarted: RunStartedInput,
    StageSlaBreached: StageSlaBreachedV1,
    RunSlaBreached: RunSlaBreachedV1,
    StageEscalated: StageEscalatedV1,
    StageApprovalRequested: StageApprovalRequestedV1,
    StageApproved: StageApprovedV1,
    StageRejected: StageRejectedV1,
    StageCompleted: StageEndedInput,
    StageFailed: StageEndedInput,
    RunCompleted: RunEndedInput,
    RunFailed: RunEndedInput,
    RunCancelled: RunEndedInput,
  },
  conflict: {
    ConflictDetected: ConflictDetectedV1,
    ConflictNeedsDecision: ConflictNeedsDecisionV1,
    ConflictResolved: ConflictResolvedV1,
  },
  workflow: {
    WorkflowVersionRegistered: WorkflowVersionRegisteredV1,
  },
} as const;

type Inputs = typeof INPUTS;
type InputOf<C extends keyof Inputs> = {
  [T in keyof Inputs[C]]: { readonly type: T; readonly data: z.infer<Inputs[C][T] & z.ZodType> };
}[keyof Inputs[C]];

/** A consumed event, typed by its type. */
export type InputEvent = InputOf<'task'> | InputOf<'run'> | InputOf<'conflict'> | InputOf<'workflow'>;

/** The JetStream subjects of every consumed event (the durable consumer's filter). */
export const INPUT_SUBJECTS: readonly string[] = (Object.keys(INPUTS) as (keyof Inputs)[]).flatMap((category) =>
  Object.keys(INPUTS[category]).map((type) => eventSubjectFor(category, type)),
);

/**
 * Reads a relayed event (the RecordedEvent envelope) into an {@link InputEvent}. An event of a
 * type or version this service does not know is UNKNOWN_SCHEMA_VERSION and a malformed one
 * VALIDATION_FAILED: the consumer dead-letters both.
 */
export function toInputEvent(recorded: RecordedEvent): InputEvent {
  const category = categoryOf(recorded.streamId) as keyof Inputs;
  const schemas = Object.hasOwn(INPUTS, category) ? (INPUTS[category] as Record<string, z.ZodType>) : undefined;
  const schema = schemas && Object.hasOwn(schemas, recorded.type) ? schemas[recorded.type] : undefined;
  if (schema === undefined || recorded.schemaVersion !== 1) {
    throw new BatonError('UNKNOWN_SCHEMA_VERSION', `event ${recorded.type} version ${recorded.schemaVersion} of ${recorded.streamId} is not known to the escalation service`, {
      type: recorded.type,
      schemaVersion: recorded.schemaVersion,
      streamId: recorded.streamId,
    });
  }
  const parsed = schema.safeParse(recorded.data);
  if (!parsed.success) {
    throw new ValidationError(`${recorded.type} ${recorded.eventId} does not match its schema`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return { type: recorded.type, data: parsed.data } as InputEvent;
}
