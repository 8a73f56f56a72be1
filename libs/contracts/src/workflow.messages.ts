import { z } from 'zod';
import { messagesOf } from './messages';
import { ActorSchema } from './envelope';
import { TaskPriority } from './task.events';
import { NameId, listQuery } from './shared-fields';

const schedulerMessages = messagesOf('scheduler');

/**
 * Workflow definitions and workflow runs, owned by the scheduler (`baton.cmd.scheduler.*`,
 * `baton.qry.scheduler.*`). Plain JSON, like every Baton message.
 *
 * - Definitions live in `workflow-<workflowId>` streams (`WorkflowVersionRegistered`).
 * - Runs live in `run-<runId>` streams (`RunStarted`, `StageStarted`, `StageCompleted`, …) and are
 *   relayed to `baton.evt.run.<event>`.
 * - `get-run` answers in the WorkflowResult shape of the orchestrator seed (003), plus a few
 *   additive fields (`state`, `version`, `steps[].attempts`, …).
 */
const WorkflowId = z.string().min(1).max(200);
const Version = z.string().min(1).max(100);

// ---------------------------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------------------------

/** One located problem in a workflow file (`file:line:col: message`). */
export const WorkflowDiagnosticView = z.object({
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  message: z.string(),
  /** `file:line:col: message`, ready to print. */
  text: z.string(),
});
export type WorkflowDiagnosticView = z.infer<typeof WorkflowDiagnosticView>;

/**
 * Registers (publishes) a workflow version. Idempotent by content: the same YAML (same hash)
 * again replies with the existing registration. Invalid YAML → VALIDATION_FAILED with
 * `details.errors: WorkflowDiagnosticView[]`; a version already registered with different
 * content → CONFLICT.
 */
export const RegisterWorkflowV1 = z.strictObject({
  yaml: z.string().min(1).max(512 * 1024),
  /** File name used in error locations. Default `workflow.yml`. */
  file: z.string().min(1).max(500).optional(),
});
export const RegisterWorkflow = schedulerMessages.command('register-workflow', RegisterWorkflowV1, z.object({ workflowId: z.string(), version: z.string(), hash: z.string(), created: z.boolean() }));

/** Checks a workflow without registering it. Never fails for bad YAML: `ok: false` with the errors. */
export const ValidateWorkflowReply = z.object({
  ok: z.boolean(),
  errors: z.array(WorkflowDiagnosticView),
  workflowId: z.string().nullable(),
  version: z.string().nullable(),
  hash: z.string().nullable(),
});
export const ValidateWorkflow = schedulerMessages.command('validate-workflow', z.strictObject({ yaml: z.string().min(1).max(512 * 1024), file: z.string().min(1).max(500).optional() }), ValidateWorkflowReply);

export const WorkflowSummary = z.object({
  workflowId: z.string(),
  name: z.string(),
  /** Latest version (semver precedence). */
  version: z.string(),
  versions: z.array(z.string()),
  hash: z.string(),
  trigger: z.string(),
  description: z.string().nullable(),
  registeredAt: z.string(),
});
export type WorkflowSummary = z.infer<typeof WorkflowSummary>;

export const ListWorkflows = schedulerMessages.query('list-workflows', z.strictObject({}), z.object({ workflows: z.array(WorkflowSummary) }));

export const GetWorkflowReply = z.object({
  workflowId: z.string(),
  name: z.string(),
  version: z.string(),
  hash: z.string(),
  yaml: z.string(),
  registeredAt: z.string(),
  versions: z.array(z.string()),
  stages: z.array(z.string()),
});
export const GetWorkflow = schedulerMessages.query('get-workflow', z.strictObject({ workflowId: WorkflowId, version: Version.optional() }), GetWorkflowReply);

// ---------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------

export const RunState = z.enum(['running', 'paused', 'success', 'failure', 'cancelled']);
export type RunState = z.infer<typeof RunState>;

/** Starts a run of the latest (or the pinned) version. Idempotent by `runId` when given (generated otherwise). */
export const StartRunV1 = z.strictObject({
  workflowId: WorkflowId,
  version: Version.optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  priority: TaskPriority.default('P1'),
  runId: NameId.optional(),
  correlationId: z.string().min(1).max(200).optional(),
});
export const StartRun = schedulerMessages.command('start-run', StartRunV1, z.object({ runId: z.string(), workflowId: z.string(), version: z.string() }));

/**
 * Starts a new run of a run's workflow version from one of its stages: every stage the chosen
 * one's work does not flow into keeps the source run's recorded outputs (artifacts included) and
 * does not run again. Both runs' audits name each other. The actor is who asks for it.
 */
export const RerunRunV1 = z.strictObject({
  /** The run to rerun (any state: finished, failed, cancelled or still open). */
  runId: NameId,
  /** The stage the new run starts at. */
  fromStage: z.string().min(1).max(200),
  /** The new run's id; derived from the command id when absent. */
  newRunId: NameId.optional(),
  reason: z.string().min(1).max(2000).optional(),
});
export const RerunRunReply = z.object({
  runId: z.string(),
  sourceRunId: z.string(),
  fromStage: z.string(),
  workflowId: z.string(),
  version: z.string(),
  /** Stages whose recorded results the new run took over, in workflow order. */
  reusedStages: z.array(z.string()),
});
export const RerunRun = schedulerMessages.command('rerun-run', RerunRunV1, RerunRunReply);

const RunControl = z.strictObject({ runId: NameId, reason: z.string().min(1).max(2000).optional() });
const RunControlReply = z.object({ runId: z.string(), status: RunState });

/** Cancels a run and its open tasks. A finished run → ILLEGAL_TRANSITION. */
export const CancelRun = schedulerMessages.command('cancel-run', RunControl, RunControlReply);
/** Stops a run from starting new stages; running tasks go on. */
export const PauseRun = schedulerMessages.command('pause-run', RunControl, RunControlReply);
/** Lets a paused run start the stages that became ready while it was paused. */
export const ResumeRun = schedulerMessages.command('resume-run', RunControl, RunControlReply);

/**
 * Submits a work item (a bug, an incident, a feature request). It is routed to a workflow by
 * `type`: first the routing rules (examples/workflows/routing.yml, the 001 quick-reference
 * table), then workflows whose `trigger` lists the type. `workflowId`/`runId` are null when no
 * workflow takes the type. Idempotent by `itemId` (the run id is derived from it).
 */
export const SubmitWorkItemV1 = z.strictObject({
  itemId: NameId,
  type: z.string().min(1).max(100),
  title: z.string().max(500).optional(),
  priority: TaskPriority.optional(),
  payload: z.record(z.string(), z.unknown()).default({}),
});
export const SubmitWorkItem = schedulerMessages.command('submit-work-item', SubmitWorkItemV1, z.object({ itemId: z.string(), workflowId: z.string().nullable(), runId: z.string().nullable() }));

export const StepStatus = z.enum(['success', 'failure', 'skipped', 'running', 'pending']);
export type StepStatus = z.infer<typeof StepStatus>;

/** One step (stage) of a run, WorkflowResult-style. */
export const WorkflowStepView = z.object({
  stepId: z.string(),
  /** The agent that did it (several, comma-separated, for parallel branches), else the selector (`role:architect`). */
  agent: z.string(),
  status: StepStatus,
  output: z.unknown(),
  error: z.string().optional(),
  /** Extension: how many times the stage ran in this run (loops). */
  runs: z.number().int().nonnegative(),
  /** Extension: the outcome that chose the next stage, if any. */
  outcome: z.string().nullable(),
  taskIds: z.array(z.string()),
});
export type WorkflowStepView = z.infer<typeof WorkflowStepView>;

/** The WorkflowResult of seed 003, plus `runId`, `version` and `state` (which also tells `paused`/`cancelled`). */
export const WorkflowResultView = z.object({
  workflowId: z.string(),
  runId: z.string(),
  version: z.string(),
  status: z.enum(['success', 'failure', 'running']),
  state: RunState,
  startTime: z.string(),
  endTime: z.string().optional(),
  duration: z.number().int().nonnegative().optional(),
  steps: z.array(WorkflowStepView),
  metrics: z.object({
    totalSteps: z.number().int().nonnegative(),
    successfulSteps: z.number().int().nonnegative(),
    failedSteps: z.number().int().nonnegative(),
    skippedSteps: z.number().int().nonnegative(),
  }),
  params: z.record(z.string(), z.unknown()),
  priority: TaskPriority,
  error: z.string().optional(),
  /** The run this one reruns, from which stage (see rerun-run). */
  rerunOf: z.object({ runId: z.string(), fromStage: z.string() }).optional(),
  /** Reruns started from this run. */
  reruns: z.array(z.object({ runId: z.string(), fromStage: z.string() })).optional(),
});
export type WorkflowResultView = z.infer<typeof WorkflowResultView>;

export const GetRun = schedulerMessages.query('get-run', z.strictObject({ runId: NameId }), WorkflowResultView);

export const RunSummary = z.object({
  runId: z.string(),
  workflowId: z.string(),
  version: z.string(),
  state: RunState,
  status: z.enum(['success', 'failure', 'running']),
  startTime: z.string(),
  endTime: z.string().nullable(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const ListRunsV1 = listQuery({
  workflowId: WorkflowId.optional(),
  state: RunState.optional(),
});
export const ListRuns = schedulerMessages.query('list-runs', ListRunsV1, z.object({ runs: z.array(RunSummary) }));

// ---------------------------------------------------------------------------------------------
// Events other services consume
// ---------------------------------------------------------------------------------------------

export const workflowStreamId = (workflowId: string): string => `workflow-${workflowId}`;
export const runStreamId = (runId: string): string => `run-${runId}`;

export const WorkflowVersionRegisteredV1 = z.object({
  workflowId: z.string(),
  version: z.string(),
  hash: z.string(),
  yaml: z.string(),
  registeredAt: z.string(),
});

/** Which run of which workflow, which stage, and which time through it (loops): how a stage's events open. */
const StageIterationFields = {
  runId: z.string(),
  workflowId: z.string(),
  stageId: z.string(),
  iteration: z.number().int().min(1),
};

/** The SLA (milliseconds), when the clock started and when it ran out. */
const SlaBreachFields = {
  slaMs: z.number().int().positive(),
  startedAt: z.string(),
  breachedAt: z.string(),
};

/**
 * A stage ran past its `sla` (relayed as `baton.evt.run.stage-sla-breached`). The run goes on;
 * escalation decides what to do about it.
 */
export const StageSlaBreachedV1 = z.object({ ...StageIterationFields, ...SlaBreachFields });

/**
 * A run was still open when its workflow's run-level `sla` ran out (once per run); the
 * escalation service raises an `sla_breach` escalation for it.
 */
export const RunSlaBreachedV1 = z.object({
  runId: z.string(),
  workflowId: z.string(),
  ...SlaBreachFields,
});

/** Event types of the `run-<runId>` stream. */
export const RunEventTypes = [
  'RunStarted',
  'StageStarted',
  'StageTaskFinished',
  'StageCompleted',
  'StageFailed',
  'StageSkipped',
  'StageSlaBreached',
  'StageCleanupStarted',
  'FailureStepsStarted',
  'RunCompleted',
  'RunFailed',
  'RunCancelled',
  'RunPaused',
  'RunResumed',
  'StageApprovalRequested',
  'StageApproved',
  'StageRejected',
  'StageReworkRequested',
  'StageEscalated',
  'StageReused',
  'RunRerunStarted',
  'RunSlaBreached',
] as const;
export type RunEventType = (typeof RunEventTypes)[number];

// ---------------------------------------------------------------------------------------------
// Approvals, reviews and replay
// ---------------------------------------------------------------------------------------------

const StageDecision = z.strictObject({
  runId: NameId,
  stageId: z.string().min(1).max(200),
  reason: z.string().min(1).max(4000),
});

/**
 * Approves a stage that waits for approval (`requires_approval`, `approvers`, or a review
 * escalated to a human). The approver is the command's actor; the one who started the run
 * cannot approve it (FORBIDDEN), and a stage that is not waiting → ILLEGAL_TRANSITION.
 */
export const ApproveStage = schedulerMessages.command('approve-stage', StageDecision, RunControlReply);

/**
 * Rejects a stage that waits for approval, with the reason. Before the stage ran
 * (`requires_approval`) the stage fails; after it ran (`approvers`, escalated review) the work
 * goes back to its agents with the reason as feedback.
 */
export const RejectStage = schedulerMessages.command('reject-stage', StageDecision, RunControlReply);

/** A stage's state as a replay shows it. */
export const ReplayStageView = z.object({
  stageId: z.string(),
  status: z.string(),
  iteration: z.number().int().nonnegative(),
  runs: z.number().int().nonnegative(),
  outcome: z.string().nullable(),
  rejections: z.number().int().nonnegative(),
  awaiting: z.string().nullable(),
  tasks: z.array(z.object({ key: z.string(), taskId: z.string(), status: z.string(), agentId: z.string().nullable() })),
});

/**
 * Rebuilds a run's state from its events, up to and including the event at `at` (a global
 * position `commit/prepare`) or at stream revision `revision`; the latest state when neither.
 */
export const ReplayRunV1 = z.strictObject({
  runId: NameId,
  at: z.string().regex(/^\d+\/\d+$/, 'expected a position "<commit>/<prepare>"').optional(),
  revision: z.number().int().nonnegative().optional(),
});
export const ReplayRunReply = z.object({
  runId: z.string(),
  workflowId: z.string(),
  version: z.string(),
  status: z.string(),
  /** Events folded, and the last one's revision and position. */
  eventsApplied: z.number().int().nonnegative(),
  revision: z.number().int().nonnegative(),
  position: z.string(),
  lastEventType: z.string(),
  stages: z.array(ReplayStageView),
});
export const ReplayRun = schedulerMessages.query('replay-run', ReplayRunV1, ReplayRunReply);

/** One line of a run's audit timeline. */
export const RunAuditEntry = z.object({
  /** Global position, `commit/prepare` (a replay position for the run's own events). */
  position: z.string(),
  occurredAt: z.string(),
  streamId: z.string(),
  type: z.string(),
  /** `kind:id` of who did it: for a person's decision, the authenticated subject. */
  actor: z.string().nullable(),
  /** {@link auditDetails} of the event's data. */
  details: z.string(),
  /** Whether it is an event of the run's own stream. */
  ofRun: z.boolean(),
});

/** A run's audit timeline (`get-run-audit`, `GET /api/runs/{runId}/audit`): the run's events and every event correlated to it, in global order. */
export const RunAuditView = z.object({
  entries: z.array(RunAuditEntry),
  /** True when the scan stopped at its bound (`maxScanned` events read, or `RUN_AUDIT_MAX_ENTRIES` found) before the end. */
  truncated: z.boolean(),
});

/** Most entries one `get-run-audit` reply carries. */
export const RUN_AUDIT_MAX_ENTRIES = 2000;

export const GetRunAuditV1 = z.strictObject({
  runId: NameId,
  /** Most events read from the store after the run's first one (default 50,000). */
  maxScanned: z.number().int().min(1).max(500_000).optional(),
});

/**
 * A run's audit timeline, read from the event store (every event there, whether or not it was
 * published to NATS): the run's own events and every event whose command was correlated to the
 * run (its tasks, handoffs, escalations, conflicts), from its first event on. NOT_FOUND for a
 * run with no events.
 */
export const GetRunAudit = schedulerMessages.query('get-run-audit', GetRunAuditV1, RunAuditView);

/** Data fields an audit line shows, in this order. */
const AUDIT_SHOWN = ['stageId', 'taskId', 'agentId', 'status', 'outcome', 'verdict', 'percent', 'message', 'reason', 'resolution', 'error'] as const;

/** The fields of an event's data a person looks for first (stage, task, agent, reason, …), each cut to 160 characters. */
export function auditDetails(data: unknown): string {
  if (typeof data !== 'object' || data === null) return '';
  const d = data as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of AUDIT_SHOWN) {
    const v = d[key];
    if (v === undefined || v === null || v === '') continue;
    const text = typeof v === 'object' ? (typeof (v as { message?: unknown }).message === 'string' ? (v as { message: string }).message : JSON.stringify(v)) : String(v);
    parts.push(`${key}: ${text.length > 160 ? `${text.slice(0, 157)}…` : text}`);
  }
  return parts.join(' · ');
}

// Events of approvals, reviews and escalations in the `run-<runId>` stream (relayed to
// baton.evt.run.<event>, e.g. StageEscalated → baton.evt.run.stage-escalated).

/**
 * A stage waits for approval. `when: 'before'`: its tasks start once approved
 * (`requires_approval`); `'after'`: its work is done and waits to be accepted (`approvers`, or a
 * review that was escalated to a human).
 */
export const StageApprovalRequestedV1 = z.object({
  ...StageIterationFields,
  kind: z.enum(['human', 'agent']),
  when: z.enum(['before', 'after']),
  approvers: z.array(z.string()),
  reason: z.enum(['requires_approval', 'approvers', 'review_escalated']),
  /** Approval tasks created for agent approvers (`approve_stage`). */
  taskIds: z.array(z.string()).default([]),
  requestedAt: z.string(),
});

/** Which stage (of which run, which time through it), who decided on it, and why. */
const StageDecisionFields = {
  runId: z.string(),
  stageId: z.string(),
  iteration: z.number().int().min(1),
  by: ActorSchema,
  reason: z.string(),
};

export const StageApprovedV1 = z.object({ ...StageDecisionFields, approvedAt: z.string() });

export const StageRejectedV1 = z.object({
  ...StageDecisionFields,
  /** Findings the reviewer listed (free-form objects, e.g. {severity, title}). */
  findings: z.array(z.unknown()).default([]),
  /** Rejections of this stage in the run so far, this one included. */
  rejections: z.number().int().min(1),
  rejectedAt: z.string(),
});

/** Work goes back: `backTo` stages run again with `feedback` in their task inputs. */
export const StageReworkRequestedV1 = z.object({
  runId: z.string(),
  stageId: z.string(),
  iteration: z.number().int().min(1),
  backTo: z.array(z.string()),
  feedback: z.object({ by: ActorSchema, reason: z.string(), findings: z.array(z.unknown()).default([]) }),
  rejections: z.number().int().min(1),
  requestedAt: z.string(),
});

/**
 * A stage is held for a human: repeated rejections (reviews, approvals, blocking criteria) hit
 * the limit (default 3). Carries the escalation format of seed 001. The stage waits for
 * approve-stage / reject-stage (directly, or through resolve-escalation).
 */
export const StageEscalatedV1 = z.object({
  ...StageIterationFields,
  trigger: z.enum(['repeated_rejections', 'policy_decision']),
  rejections: z.number().int().nonnegative(),
  issue: z.string(),
  options: z.array(z.object({ label: z.string(), tradeoff: z.string() })),
  recommendation: z.string().nullable(),
  blocking: z.string(),
  findings: z.array(z.unknown()).default([]),
  /** How the stage goes on if a person approves: complete it with outcome `approved` (a review loop), or as its tasks reported. */
  onApprove: z.enum(['outcome_approved', 'complete']).default('complete'),
  escalatedAt: z.string(),
});
