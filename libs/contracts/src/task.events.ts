import { z } from 'zod';

/**
 * Events of the `task-<taskId>` stream, owned by the scheduler and relayed to
 * `baton.evt.task.<event>` (e.g. `TaskAssigned` → `baton.evt.task.assigned`). Other services
 * (agent-registry for load and performance, escalation, metrics) consume them from JetStream.
 *
 * Ownership is a domain fact: `TaskAssigned` gives the holder a `leaseEpoch` that only grows;
 * everything an agent reports afterwards carries that epoch, and a stale one is refused
 * (STALE_LEASE).
 */
const Id = z.string().min(1).max(200);

/** What an agent must have to get a task: a specific agent, a role, and/or capabilities. */
export const TaskRequirement = z.strictObject({
  agentId: Id.optional(),
  role: z.string().min(1).max(100).optional(),
  capabilities: z.array(z.string().min(1).max(100)).max(50).default([]),
});
export type TaskRequirement = z.infer<typeof TaskRequirement>;

/** The profile fields a task's requirement is matched on. */
export interface RequirementProfile {
  readonly agentId: string;
  readonly role: string;
  readonly capabilities: readonly string[];
}

/**
 * Does the agent meet the requirement: the exact agent if one is named, the role if given, every
 * capability. The scheduler assigns by it; agents list what they may claim by it.
 */
export function matchesRequirement(agent: RequirementProfile, requirement: TaskRequirement): boolean {
  if (requirement.agentId !== undefined && requirement.agentId !== agent.agentId) return false;
  if (requirement.role !== undefined && requirement.role !== agent.role) return false;
  return requirement.capabilities.every((c) => agent.capabilities.includes(c));
}

export const TaskPriority = z.enum(['P0', 'P1', 'P2']);
export type TaskPriority = z.infer<typeof TaskPriority>;

export const TaskCreatedV1 = z.object({
  taskId: Id,
  runId: Id.nullable(),
  stageId: Id.nullable(),
  action: z.string().min(1).max(200),
  requirement: TaskRequirement,
  priority: TaskPriority,
  inputs: z.record(z.string(), z.unknown()).default({}),
  attempt: z.number().int().min(1).default(1),
  /** ISO time after which the task counts as late (stage SLA), if any. */
  slaDueAt: z.string().nullable().default(null),
  /** Milliseconds an attempt may run before it times out, if limited. */
  timeoutMs: z.number().int().positive().nullable().default(null),
  createdAt: z.string(),
});

export const TaskAssignedV1 = z.object({
  taskId: Id,
  agentId: Id,
  leaseEpoch: z.number().int().positive(),
  assignedAt: z.string(),
  /** Set when the task was taken from another agent (offline, timed out). */
  previousAgentId: Id.nullable().default(null),
});

export const TaskAcceptedV1 = z.object({ taskId: Id, agentId: Id, leaseEpoch: z.number().int().positive(), acceptedAt: z.string() });

export const TaskProgressReportedV1 = z.object({
  taskId: Id,
  agentId: Id,
  leaseEpoch: z.number().int().positive(),
  percent: z.number().min(0).max(100),
  message: z.string().max(2000).nullable().default(null),
  tokensUsed: z.number().int().nonnegative().nullable().default(null),
  reportedAt: z.string(),
});

export const TaskBlockedV1 = z.object({ taskId: Id, agentId: Id, leaseEpoch: z.number().int().positive(), reason: z.string().max(2000), blockedAt: z.string() });
export const TaskUnblockedV1 = z.object({ taskId: Id, agentId: Id, leaseEpoch: z.number().int().positive(), unblockedAt: z.string() });

/**
 * The task's run and stage, copied from `TaskCreated` onto the events that end a task, so the run
 * process manager feeds the result back without reading the task's stream. `null` for a task
 * outside any run; absent in events written before they were recorded.
 */
const TaskPlacement = { runId: Id.nullable().optional(), stageId: Id.nullable().optional() };

export const TaskCompletedV1 = z.object({
  taskId: Id,
  ...TaskPlacement,
  agentId: Id,
  leaseEpoch: z.number().int().positive(),
  outputs: z.record(z.string(), z.unknown()).default({}),
  completedAt: z.string(),
  /** Milliseconds from assignment to completion. */
  durationMs: z.number().int().nonnegative(),
});

export const TaskFailedV1 = z.object({
  taskId: Id,
  ...TaskPlacement,
  agentId: Id.nullable(),
  leaseEpoch: z.number().int().nonnegative(),
  error: z.object({ message: z.string().max(4000), code: z.string().max(100).nullable().default(null) }),
  /** True when no further attempt will be made. */
  final: z.boolean(),
  failedAt: z.string(),
});

/** The current holder lost the task (offline, timed out, released); it goes back to the queue. */
export const TaskReleasedV1 = z.object({
  taskId: Id,
  agentId: Id,
  leaseEpoch: z.number().int().positive(),
  reason: z.enum(['agent_offline', 'timed_out', 'released', 'rejected']),
  releasedAt: z.string(),
  /** The attempt the task is queued for (a time-out uses one up). Absent in events written before it was recorded. */
  attempt: z.number().int().min(1).optional(),
});

export const TaskCancelledV1 = z.object({ taskId: Id, ...TaskPlacement, reason: z.string().max(2000), cancelledAt: z.string() });

export type TaskEvent =
  | { readonly type: 'TaskCreated'; readonly data: z.infer<typeof TaskCreatedV1> }
  | { readonly type: 'TaskAssigned'; readonly data: z.infer<typeof TaskAssignedV1> }
  | { readonly type: 'TaskAccepted'; readonly data: z.infer<typeof TaskAcceptedV1> }
  | { readonly type: 'TaskProgressReported'; readonly data: z.infer<typeof TaskProgressReportedV1> }
  | { readonly type: 'TaskBlocked'; readonly data: z.infer<typeof TaskBlockedV1> }
  | { readonly type: 'TaskUnblocked'; readonly data: z.infer<typeof TaskUnblockedV1> }
  | { readonly type: 'TaskCompleted'; readonly data: z.infer<typeof TaskCompletedV1> }
  | { readonly type: 'TaskFailed'; readonly data: z.infer<typeof TaskFailedV1> }
  | { readonly type: 'TaskReleased'; readonly data: z.infer<typeof TaskReleasedV1> }
  | { readonly type: 'TaskCancelled'; readonly data: z.infer<typeof TaskCancelledV1> };

/** Schemas by event type, for consumers that validate what they receive. */
export const TaskEventSchemas = {
  TaskCreated: TaskCreatedV1,
  TaskAssigned: TaskAssignedV1,
  TaskAccepted: TaskAcceptedV1,
  TaskProgressReported: TaskProgressReportedV1,
  TaskBlocked: TaskBlockedV1,
  TaskUnblocked: TaskUnblockedV1,
  TaskCompleted: TaskCompletedV1,
  TaskFailed: TaskFailedV1,
  TaskReleased: TaskReleasedV1,
  TaskCancelled: TaskCancelledV1,
} as const;

export const taskStreamId = (taskId: string): string => `task-${taskId}`;

/**
 * What an agent receives on its inbox (`baton.agent.<agentId>.inbox`, a JetStream subject, so
 * assignments made while the agent was offline wait for it). Plain JSON.
 */
export const AgentInboxAssignment = z.object({
  kind: z.literal('task.assigned'),
  taskId: Id,
  runId: Id.nullable(),
  stageId: Id.nullable(),
  action: z.string(),
  inputs: z.record(z.string(), z.unknown()),
  priority: TaskPriority,
  leaseEpoch: z.number().int().positive(),
  attempt: z.number().int().min(1),
  assignedAt: z.string(),
});
export type AgentInboxAssignment = z.infer<typeof AgentInboxAssignment>;

/** What an agent publishes on `baton.agent.<agentId>.heartbeat` (plain JSON, no reply). */
export const AgentHeartbeat = z.object({
  agentId: Id,
  /** Tasks the agent is working on now, as it sees them. */
  activeTasks: z.array(Id).max(1000).default([]),
  sentAt: z.string().optional(),
});
export type AgentHeartbeat = z.infer<typeof AgentHeartbeat>;
