import { z } from 'zod';
import { eventReader } from '@baton/aggregate';
import {
  RunEventTypes,
  type Actor,
  type RetryBackoff,
  type RunSlaBreachedV1,
  type StageApprovalRequestedV1,
  type StageApprovedV1,
  type StageEscalatedV1,
  type StageRejectedV1,
  type StageReworkRequestedV1,
  type StageSlaBreachedV1,
  type TaskChecks,
  type TaskPriority,
  type TaskRequirement,
} from '@baton/contracts';

/** One task a stage creates through the task engine (its own agent, or one parallel branch). */
export interface StageTaskSpec {
  /** The task's key inside the stage: the stage id for its own task, else the branch id. */
  readonly key: string;
  readonly taskId: string;
  readonly action: string;
  readonly requirement: TaskRequirement;
  /** The run's priority. */
  readonly priority: TaskPriority;
  /** The agent selector as written (`MCT-QA-001`, `role:architect`), for results. */
  readonly agent: string;
  readonly timeoutMs: number | null;
  readonly maxAttempts: number;
  readonly retry: RetryBackoff;
  readonly inputs: Readonly<Record<string, unknown>>;
  /** What the handoff-validator checks when the task completes (absent: nothing, the completion stands as reported). */
  readonly checks?: TaskChecks | null;
}

/** What a rejection sends back with the work. */
export interface Feedback {
  readonly by: Actor;
  readonly reason: string;
  readonly findings: readonly unknown[];
}

/** Why a stage waits, and for whom. */
export interface ApprovalRequest {
  readonly kind: 'human' | 'agent';
  /** `before`: its tasks start once approved; `after`: its work is done and waits to be accepted. */
  readonly when: 'before' | 'after';
  readonly approvers: readonly string[];
  readonly reason: 'requires_approval' | 'approvers' | 'review_escalated';
}

/** A notification an `on_failure` list asks for: recorded here, delivered by the notifier. */
export interface FailureNotification {
  readonly channel: string;
  readonly target: string | null;
  readonly message: string | null;
}

/** Where a run goes after a stage finished: start `ready`, mark `waiting` (fan-in not yet met). */
export interface NextPlan {
  readonly ready: readonly string[];
  readonly waiting: readonly string[];
}

type E<T extends string, D> = { readonly type: T; readonly data: D };

/** What a run is started as; it never changes afterwards. */
export interface RunDefinition {
  readonly runId: string;
  readonly workflowId: string;
  /** The pinned definition: a run never changes version. */
  readonly version: string;
  readonly hash: string;
  /** Resolved with `resolveParams` (defaults applied, types checked). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly priority: TaskPriority;
  /** The triggering work item (or `{}`), visible to conditions as `trigger`. */
  readonly trigger: Readonly<Record<string, unknown>>;
}

/** What a rerun is started from: the source run and the stage it starts at. */
export interface RerunLink {
  readonly runId: string;
  readonly fromStage: string;
}

/** A stage a rerun takes over from its source run, with the result recorded there. */
export interface ReusedStage {
  readonly stageId: string;
  readonly status: 'succeeded' | 'skipped';
  readonly outcome: string | null;
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** Events of the `run-<runId>` stream. */
export type RunEvent =
  | E<
      'RunStarted',
      RunDefinition & {
        /** Who started the run (the start command's actor); they may not approve its stages. */
        readonly startedBy?: Actor | null;
        /** Set when the run reruns another one from a stage (absent on runs started before reruns existed). */
        readonly rerunOf?: RerunLink | null;
        /** When the workflow's run-level `sla` runs out (absent: no run-level SLA). */
        readonly slaDueAt?: string | null;
        readonly startedAt: string;
      }
    >
  | E<
      'StageReused',
      {
        readonly runId: string;
        readonly stageId: string;
        /** The run whose recorded result this stage takes over. */
        readonly sourceRunId: string;
        readonly status: 'succeeded' | 'skipped';
        readonly outcome: string | null;
        readonly outputs: Readonly<Record<string, unknown>>;
        readonly reusedAt: string;
      }
    >
  | E<
      'RunRerunStarted',
      {
        /** This (the source) run. */
        readonly runId: string;
        readonly rerunRunId: string;
        readonly fromStage: string;
        readonly requestedBy: Actor | null;
        readonly reason: string | null;
        readonly requestedAt: string;
      }
    >
  | E<
      'StageStarted',
      {
        readonly runId: string;
        readonly stageId: string;
        /** 1 the first time, +1 each time a loop comes back to the stage. */
        readonly iteration: number;
        readonly tasks: readonly StageTaskSpec[];
        readonly slaMs: number | null;
        readonly slaDueAt: string | null;
        readonly startedAt: string;
      }
    >
  | E<
      'StageTaskFinished',
      {
        readonly runId: string;
        readonly stageId: string;
        readonly iteration: number;
        readonly key: string;
        readonly taskId: string;
        readonly status: 'succeeded' | 'failed';
        readonly agentId: string | null;
        readonly outputs: Readonly<Record<string, unknown>>;
        readonly error: string | null;
        readonly finishedAt: string;
      }
    >
  | E<
      'StageCompleted',
      {
        readonly runId: string;
        readonly stageId: string;
        readonly iteration: number;
        /** The outcome that keyed `next` (see `outcomeOf`), if any. */
        readonly outcome: string | null;
        readonly outputs: Readonly<Record<string, unknown>>;
        readonly next: NextPlan;
        /** The stage's cleanup steps whose task failed (absent: none failed, or the stage has none); they never fail the stage. */
        readonly cleanupFailed?: readonly string[];
        readonly completedAt: string;
      }
    >
  | E<
      'StageCleanupStarted',
      {
        readonly runId: string;
        readonly stageId: string;
        readonly iteration: number;
        /** One task per `cleanup` step (key `cleanup:<step>`); the stage completes when all have finished. */
        readonly tasks: readonly StageTaskSpec[];
        /** The stage's outcome, decided when its work was accepted; StageCompleted carries it. */
        readonly outcome: string | null;
        /** The stage's SLA due time, so an orchestrator stage's cleanup (which started no task before) is watched too. */
        readonly slaDueAt: string | null;
        readonly startedAt: string;
      }
    >
  | E<'StageFailed', { readonly runId: string; readonly stageId: string; readonly iteration: number; readonly error: string; readonly next: NextPlan; readonly failedAt: string }>
  | E<'StageSkipped', { readonly runId: string; readonly stageId: string; readonly reason: string; readonly next: NextPlan; readonly skippedAt: string }>
  | E<'StageSlaBreached', z.infer<typeof StageSlaBreachedV1>>
  | E<
      'FailureStepsStarted',
      {
        readonly runId: string;
        readonly stageId: string | null;
        readonly reason: string;
        readonly tasks: readonly StageTaskSpec[];
        readonly notifications: readonly FailureNotification[];
        readonly startedAt: string;
      }
    >
  | E<'StageApprovalRequested', z.infer<typeof StageApprovalRequestedV1> & { readonly tasks: readonly StageTaskSpec[] }>
  | E<'StageApproved', z.infer<typeof StageApprovedV1>>
  | E<'StageRejected', z.infer<typeof StageRejectedV1>>
  | E<'StageReworkRequested', z.infer<typeof StageReworkRequestedV1>>
  | E<'StageEscalated', z.infer<typeof StageEscalatedV1>>
  | E<'RunSlaBreached', z.infer<typeof RunSlaBreachedV1>>
  | E<'RunCompleted', { readonly runId: string; readonly completedAt: string }>
  | E<'RunFailed', { readonly runId: string; readonly stageId: string | null; readonly error: string; readonly openTaskIds: readonly string[]; readonly failedAt: string }>
  | E<'RunCancelled', { readonly runId: string; readonly reason: string; readonly openTaskIds: readonly string[]; readonly cancelledAt: string }>
  | E<'RunPaused', { readonly runId: string; readonly reason: string | null; readonly pausedAt: string }>
  | E<'RunResumed', { readonly runId: string; readonly resumedAt: string }>;

export type RunEventType = RunEvent['type'];

// The contract's list is the one list of run event types; this fails to compile if it and RunEvent drift apart.
type _ContractListsEveryRunEvent = Exclude<RunEventType, (typeof RunEventTypes)[number]> extends never ? true : never;
const _runEventTypesAgree: _ContractListsEveryRunEvent = true;

/**
 * Run event data is the scheduler's own (most types have no contract schema; StageApprovalRequested
 * adds `tasks` to its contract's): each is read as a JSON object and typed by its event type.
 */
const RUN_EVENT_SCHEMAS: Readonly<Record<string, z.ZodType>> = Object.fromEntries(RunEventTypes.map((type) => [type, z.record(z.string(), z.unknown())]));

/** Reads a stored event of a `run-*` stream as a {@link RunEvent}. Unknown type or version: UNKNOWN_SCHEMA_VERSION. */
export const toRunEvent = eventReader<RunEvent>('run', RUN_EVENT_SCHEMAS);
