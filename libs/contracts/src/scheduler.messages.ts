import { z } from 'zod';
import { defineCommand, defineQuery } from './messages';
import { ArtifactInput, HandoffVerdict, RuleFailure } from './handoff.messages';
import { AgentInboxAssignment, TaskCreatedV1, TaskFailedV1, TaskPriority, TaskRequirement } from './task.events';
import { NameId, listQuery } from './shared-fields';

/**
 * Commands and queries of the scheduler's task engine (`baton.cmd.scheduler.*`,
 * `baton.qry.scheduler.*`), and the scheduler's additive extensions of the task events.
 * Everything is plain JSON, so an agent with nothing but a NATS client can call them.
 *
 * Agent reports (accept, progress, blocked, unblocked, complete, fail) carry the `leaseEpoch`
 * the agent got with its assignment; a stale epoch, or an agent that does not hold the task,
 * gets STALE_LEASE and changes nothing.
 */
const Epoch = z.number().int().positive();

/** How a retryable failure waits before the next attempt: `base * n` (linear) or `base * 2^(n-1)` (exponential), capped. */
export const RetryBackoff = z.strictObject({
  kind: z.enum(['linear', 'exponential']).default('exponential'),
  baseMs: z.number().int().min(0).max(86_400_000).default(1000),
  maxMs: z.number().int().min(0).max(86_400_000).default(60_000),
});
export type RetryBackoff = z.infer<typeof RetryBackoff>;

/**
 * Attempts of a task submitted without `maxAttempts` (submit-task), and of a stored
 * `TaskCreated` written before the field existed. Stage tasks of a workflow have their own
 * default (the stage's `retry` policy, else a single attempt).
 */
export const SUBMITTED_TASK_MAX_ATTEMPTS = 3;

/**
 * `TaskCreated` as the scheduler writes it: the contract's fields plus its retry policy.
 * Consumers that parse with `TaskCreatedV1` simply drop the extra fields.
 */
export const TaskCreatedSchedulingV1 = TaskCreatedV1.extend({
  maxAttempts: z.number().int().min(1).max(100).default(SUBMITTED_TASK_MAX_ATTEMPTS),
  retry: RetryBackoff.default({ kind: 'exponential', baseMs: 1000, maxMs: 60_000 }),
});
export type TaskCreatedSchedulingData = z.infer<typeof TaskCreatedSchedulingV1>;

/**
 * `TaskFailed` as the scheduler writes it: plus `retryAt`, when a further attempt is queued (not
 * before that time), and `attempt`, the task's attempt number after the failure (the next
 * attempt when it goes back to the queue). Events written before `attempt` existed leave it out.
 */
export const TaskFailedSchedulingV1 = TaskFailedV1.extend({
  retryAt: z.string().nullable().default(null),
  attempt: z.number().int().min(1).optional(),
});
export type TaskFailedSchedulingData = z.infer<typeof TaskFailedSchedulingV1>;

export const SubmitTaskV1 = z.strictObject({
  /**
   * Idempotent by id: the same id again with the same action, requirement and inputs answers the
   * same task; with other content it is a CONFLICT (and a `duplicate_task` conflict is recorded).
   * Generated from the command id when absent.
   */
  taskId: NameId.optional(),
  action: z.string().min(1).max(200),
  requirement: TaskRequirement.default({ capabilities: [] }),
  priority: TaskPriority.default('P1'),
  inputs: z.record(z.string(), z.unknown()).default({}),
  runId: NameId.optional(),
  stageId: NameId.optional(),
  maxAttempts: z.number().int().min(1).max(100).optional(),
  retry: RetryBackoff.optional(),
  timeoutMs: z.number().int().positive().max(7 * 86_400_000).optional(),
  slaDueAt: z.iso.datetime().optional(),
});
export type SubmitTaskData = z.infer<typeof SubmitTaskV1>;

export const SubmitTask = defineCommand({
  service: 'scheduler',
  name: 'submit-task',
  // An agent may submit only tasks required to go to itself (e.g. the MCP server's path reservations).
  agent: 'requirement.agentId',
  schema: SubmitTaskV1,
  reply: z.object({ taskId: z.string() }),
});

/** Reply of every agent report: where the task stands after the command. */
export const TaskCommandReply = z.object({
  taskId: z.string(),
  status: z.string(),
  leaseEpoch: z.number().int().nonnegative(),
  revision: z.number().int().nonnegative(),
});
export type TaskCommandReply = z.infer<typeof TaskCommandReply>;

/** Data of an agent's report on a task it holds (accept, unblocked; the other reports extend it): the task, the agent, and its lease epoch. */
export const AgentReportV1 = z.strictObject({ taskId: NameId, agentId: NameId, leaseEpoch: Epoch });

/** An agent's report on a task it holds: `agentId` names the agent, and the reply says where the task stands. */
const agentReport = <S extends z.ZodType>(name: string, schema: S) => defineCommand({ service: 'scheduler', name, agent: 'agentId', schema, reply: TaskCommandReply });

export const AcceptTask = agentReport('accept-task', AgentReportV1);

export const ReportProgress = agentReport(
  'report-progress',
  AgentReportV1.extend({
    percent: z.number().min(0).max(100),
    message: z.string().max(2000).optional(),
    tokensUsed: z.number().int().nonnegative().optional(),
  }),
);

export const ReportBlocked = agentReport('report-blocked', AgentReportV1.extend({ reason: z.string().min(1).max(2000) }));

export const ReportUnblocked = agentReport('report-unblocked', AgentReportV1);

export const CompleteTask = defineCommand({
  service: 'scheduler',
  name: 'complete-task',
  agent: 'agentId',
  schema: AgentReportV1.extend({
    outputs: z.record(z.string(), z.unknown()).default({}),
    /** The handoff: artifacts, stored content-addressed by the handoff-validator; the TaskCompleted event names them by hash. */
    artifacts: z.array(ArtifactInput).max(100).optional(),
    context: z.record(z.string(), z.unknown()).optional(),
  }),
  reply: TaskCommandReply.extend({
    /**
     * Set when the task has checks or artifacts. `rejected`: nothing was completed; the task
     * stays with the agent, which should fix what `failures` names and complete again (rework).
     */
    handoff: HandoffVerdict.optional(),
  }),
});

/**
 * A completion was refused by the handoff checks: the task stays with the agent for rework.
 * In the `task-<taskId>` stream, relayed as `baton.evt.task.handoff-rejected`.
 */
export const TaskHandoffRejectedV1 = z.object({
  taskId: z.string(),
  agentId: z.string(),
  leaseEpoch: z.number().int().positive(),
  handoffId: z.string(),
  failures: z.array(RuleFailure),
  /** How many completions of this task were refused so far, this one included. */
  rejections: z.number().int().min(1),
  rejectedAt: z.string(),
});

export const FailTask = agentReport(
  'fail-task',
  AgentReportV1.extend({
    error: z.strictObject({ message: z.string().min(1).max(4000), code: z.string().min(1).max(100).optional() }),
    /** Whether another attempt may help. Default false. */
    retryable: z.boolean().default(false),
  }),
);

export const CancelTask = defineCommand({
  service: 'scheduler',
  name: 'cancel-task',
  schema: z.strictObject({ taskId: NameId, reason: z.string().min(1).max(2000).default('cancelled') }),
  reply: TaskCommandReply,
});

/**
 * A person hands a task to another agent (an escalation resolved as `reassigned`): it is released
 * from its holder, if any, and assigned to `toAgentId`, whatever its requirement says. The agent
 * must be registered and online (NOT_FOUND, FORBIDDEN); a finished task → ILLEGAL_TRANSITION.
 * The actor of the command is recorded on the events.
 */
export const ReassignTask = defineCommand({
  service: 'scheduler',
  name: 'reassign-task',
  schema: z.strictObject({ taskId: NameId, toAgentId: NameId, reason: z.string().min(1).max(2000) }),
  reply: TaskCommandReply,
});

/** What an agent gets from a successful claim: the assignment its inbox would have got. */
export const ClaimTaskReply = AgentInboxAssignment;

/**
 * Pull-style claim. With `taskId`, that task; without, the first task of the queue the agent
 * can take. Two agents claiming the same task: exactly one wins, the other gets CONFLICT.
 * NOT_FOUND when there is nothing to claim.
 */
export const ClaimTask = defineCommand({
  service: 'scheduler',
  name: 'claim-task',
  agent: 'agentId',
  schema: z.strictObject({ agentId: NameId, taskId: NameId.optional() }),
  reply: ClaimTaskReply,
});

export const TaskStatus = z.enum(['queued', 'assigned', 'accepted', 'blocked', 'completed', 'failed', 'cancelled']);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const TaskView = z.object({
  taskId: z.string(),
  runId: z.string().nullable(),
  stageId: z.string().nullable(),
  action: z.string(),
  requirement: TaskRequirement,
  priority: TaskPriority,
  inputs: z.record(z.string(), z.unknown()),
  status: TaskStatus,
  agentId: z.string().nullable(),
  leaseEpoch: z.number().int().nonnegative(),
  attempt: z.number().int().min(1),
  maxAttempts: z.number().int().min(1),
  notBefore: z.string().nullable(),
  percent: z.number().nullable(),
  progressMessage: z.string().nullable(),
  tokensUsed: z.number().int().nullable(),
  blockedReason: z.string().nullable(),
  outputs: z.record(z.string(), z.unknown()).nullable(),
  error: z.object({ message: z.string(), code: z.string().nullable() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  revision: z.number().int().nonnegative(),
});
export type TaskView = z.infer<typeof TaskView>;

export const GetTask = defineQuery({ service: 'scheduler', name: 'get-task', schema: z.strictObject({ taskId: NameId }), reply: TaskView });

export const ListTasks = defineQuery({
  service: 'scheduler',
  name: 'list-tasks',
  schema: listQuery({
    status: TaskStatus.optional(),
    agentId: NameId.optional(),
    runId: NameId.optional(),
  }),
  reply: z.object({ tasks: z.array(TaskView) }),
});

/** JetStream stream holding agent inboxes (`baton.agent.*.inbox`); assignments wait there for offline agents. */
export const AGENT_INBOX_STREAM = 'BATON_AGENT_INBOX';
export const AGENT_INBOX_SUBJECTS = 'baton.agent.*.inbox';

/**
 * Opens the agent's inbox: the scheduler creates (or updates) the durable consumer
 * `agent-<id>` on {@link AGENT_INBOX_STREAM}, filtered to the agent's inbox subject, so an agent
 * needs no JetStream management rights (docs/security.md): it only fetches from and acks on its
 * own consumer. Idempotent; call it before consuming.
 */
export const OpenInbox = defineCommand({
  service: 'scheduler',
  name: 'open-inbox',
  agent: 'agentId',
  schema: z.strictObject({
    agentId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'one subject token: letters, digits, dash or underscore (1-128 chars)'),
    /** An assignment not acknowledged for this long is delivered again. */
    ackWaitMs: z.number().int().min(100).max(3_600_000).default(10_000),
    /** Assignments handed out at once (the agent's concurrency). */
    maxAckPending: z.number().int().min(1).max(1000).default(1),
  }),
  reply: z.object({ stream: z.string(), consumer: z.string(), filterSubject: z.string() }),
});

/** The longest an `await-assignment` is held before it is answered with no assignment. */
export const AWAIT_ASSIGNMENT_MAX_WAIT_MS = 60_000;

/**
 * An agent with a free slot waits on the scheduler for its next assignment (a long poll): the
 * scheduler answers with the first assignment it makes for the agent while the request waits,
 * as the request's reply and without JetStream's store and delivery (one message where the inbox
 * takes four), or with `assignment: null` after `waitMs`. What arrives while no request waits
 * goes to the inbox as before, and a delivered assignment whose lease has not ended within the
 * scheduler's confirmation window (a longer task, an agent that died, a reply lost) is published
 * to the inbox too: the inbox stays the durable path, this one the fast one. `traceparent`/`tracestate`:
 * the task's trace, which the inbox message carries in its headers. See docs/messaging.md.
 */
export const AwaitAssignment = defineCommand({
  service: 'scheduler',
  name: 'await-assignment',
  agent: 'agentId',
  schema: z.strictObject({
    agentId: NameId,
    /** How long the scheduler may hold the request. Default 20000 ms; 0 answers at once. */
    waitMs: z.number().int().min(0).max(AWAIT_ASSIGNMENT_MAX_WAIT_MS).default(20_000),
  }),
  reply: z.object({
    assignment: AgentInboxAssignment.nullable(),
    traceparent: z.string().optional(),
    tracestate: z.string().optional(),
  }),
});

/** Durable consumer name of an agent's inbox (JetStream names allow no dots). */
export function agentInboxConsumer(agentId: string): string {
  return `agent-${agentId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
