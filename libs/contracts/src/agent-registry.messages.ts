import { z } from 'zod';
import { messagesOf, type EventsOf } from './messages';
import { NameId } from './shared-fields';

const agentRegistryMessages = messagesOf('agent-registry');

const Name = z.string().min(1).max(200);
const Role = z.string().min(1).max(100);
const Capabilities = z.array(z.string().min(1).max(100)).max(100);
const Model = z.string().min(1).max(200);
const MaxConcurrency = z.number().int().min(1).max(1000);
const Peers = z.array(NameId).max(100);

/** The profile fields `update-agent` may change and `AgentUpdated` reports; `null` clears name, model or lead. */
const AgentChangeFields = {
  name: Name.nullable().optional(),
  role: Role.optional(),
  capabilities: Capabilities.optional(),
  model: Model.nullable().optional(),
  maxConcurrency: MaxConcurrency.optional(),
  peers: Peers.optional(),
  lead: NameId.nullable().optional(),
};

/** Data of the `RegisterAgent` command, version 1. */
export const RegisterAgentV1 = z.strictObject({
  agentId: NameId,
  name: Name.optional(),
  role: Role,
  capabilities: Capabilities.default([]),
  model: Model.optional(),
  maxConcurrency: MaxConcurrency.default(1),
  peers: Peers.default([]),
  lead: NameId.optional(),
});
export type RegisterAgentData = z.infer<typeof RegisterAgentV1>;

export const RegisterAgentReply = z.object({
  agentId: z.string(),
  revision: z.number().int().nonnegative(),
});

export const RegisterAgent = agentRegistryMessages.agentCommand('register-agent', 'agentId', RegisterAgentV1, RegisterAgentReply);

/**
 * The agent state machine (000 seed, "AGENT STATE MACHINE"):
 * IDLE → ANALYZING → EXECUTING ⇄ BLOCKED, EXECUTING → HANDOFF → IDLE.
 * `ERROR` is what an agent reports when it cannot go on; it may be entered from any state and
 * left only to IDLE. Any state may go back to IDLE on reset (`reset: true`, or after the agent
 * was offline).
 */
export const AgentWorkState = z.enum(['IDLE', 'ANALYZING', 'EXECUTING', 'BLOCKED', 'HANDOFF', 'ERROR']);
export type AgentWorkState = z.infer<typeof AgentWorkState>;

/** Availability derived by the registry: offline > error > busy > available. */
export const AgentStatus = z.enum(['available', 'busy', 'error', 'offline']);
export type AgentStatus = z.infer<typeof AgentStatus>;

/** Reply of every agent command: the agent and the revision of its stream after the command. */
export const AgentCommandReply = RegisterAgentReply;
export type AgentCommandReply = z.infer<typeof AgentCommandReply>;

/**
 * Data of the `UpdateAgent` command, version 1: only the fields given change. `null` clears an
 * optional field (name, model, lead). Sending the current values appends nothing.
 */
export const UpdateAgentV1 = z.strictObject({ agentId: NameId, ...AgentChangeFields });
export type UpdateAgentData = z.infer<typeof UpdateAgentV1>;

export const UpdateAgent = agentRegistryMessages.agentCommand('update-agent', 'agentId', UpdateAgentV1, AgentCommandReply);

/** Data of the `RemoveAgent` command, version 1. */
export const RemoveAgentV1 = z.strictObject({ agentId: NameId });
export type RemoveAgentData = z.infer<typeof RemoveAgentV1>;

export const RemoveAgent = agentRegistryMessages.command('remove-agent', RemoveAgentV1, AgentCommandReply);

/**
 * Data of the `ReportAgentState` command, version 1: the agent moves to `state`. An illegal
 * move is refused with ILLEGAL_TRANSITION (details: agentId, from, to, allowed). `reset: true`
 * allows any state → IDLE.
 */
export const ReportAgentStateV1 = z.strictObject({
  agentId: NameId,
  state: AgentWorkState,
  taskId: z.string().min(1).max(200).optional(),
  reset: z.boolean().optional(),
});
export type ReportAgentStateData = z.infer<typeof ReportAgentStateV1>;

export const ReportAgentState = agentRegistryMessages.agentCommand('report-agent-state', 'agentId', ReportAgentStateV1, AgentCommandReply);

/** Data of the `ReloadAgents` command: re-reads the service's `AGENTS_FILE` (no path from the wire). */
export const ReloadAgentsV1 = z.strictObject({});

/** What a sync of agents.yaml did, by agent id. */
export const ReloadAgentsReply = z.object({
  file: z.string(),
  registered: z.array(z.string()),
  updated: z.array(z.string()),
  removed: z.array(z.string()),
  unchanged: z.array(z.string()),
});
export type ReloadAgentsReply = z.infer<typeof ReloadAgentsReply>;

export const ReloadAgents = agentRegistryMessages.command('reload-agents', ReloadAgentsV1, ReloadAgentsReply);

/** Performance figures of one agent, from the task events it took part in. */
export const AgentPerformance = z.object({
  tasksCompleted: z.number().int().nonnegative(),
  tasksFailed: z.number().int().nonnegative(),
  /** Mean of `durationMs` of completed tasks; null before the first completion. */
  meanCompletionMs: z.number().nonnegative().nullable(),
  /** failed / (completed + failed); 0 before the first outcome. */
  errorRate: z.number().min(0).max(1),
});
export type AgentPerformance = z.infer<typeof AgentPerformance>;

export const AgentView = z.object({
  agentId: z.string(),
  name: z.string().nullable(),
  role: z.string(),
  capabilities: z.array(z.string()),
  model: z.string().nullable(),
  maxConcurrency: z.number().int(),
  peers: z.array(z.string()),
  lead: z.string().nullable(),
  status: AgentStatus,
  registeredAt: z.string(),
  revision: z.number().int(),
});
export type AgentView = z.infer<typeof AgentView>;

/** An agent as `get-agent` and `list-agents` return it: the profile and status, plus state, load, heartbeat and performance. */
export const AgentDetailView = AgentView.extend({
  /** Where the agent is in its state machine. */
  state: AgentWorkState,
  /** Active tasks (assigned and not yet completed, failed, released or cancelled). */
  load: z.number().int().nonnegative(),
  /** Last heartbeat received; null when none since registration. */
  lastHeartbeatAt: z.string().nullable(),
  performance: AgentPerformance,
});
export type AgentDetailView = z.infer<typeof AgentDetailView>;

export const GetAgent = agentRegistryMessages.query('get-agent', z.strictObject({ agentId: NameId }), AgentDetailView);

/** Filters of `list-agents`; all given filters must match. */
export const ListAgentsV1 = z.strictObject({
  status: AgentStatus.optional(),
  role: Role.optional(),
  capability: z.string().min(1).max(100).optional(),
});
export type ListAgentsData = z.infer<typeof ListAgentsV1>;

export const ListAgentsReply = z.object({ agents: z.array(AgentDetailView) });

export const ListAgents = agentRegistryMessages.query('list-agents', ListAgentsV1, ListAgentsReply);

/** Events of the `agent-<id>` stream, relayed to `eventSubjectFor('agent', type)`. */
export const AgentRegisteredV1 = RegisterAgentV1.required({ capabilities: true, maxConcurrency: true, peers: true }).extend({
  registeredAt: z.string(),
});
export type AgentRegisteredData = z.infer<typeof AgentRegisteredV1>;

/** `baton.evt.agent.updated`: the fields that changed, with their new values (`null` = cleared). */
export const AgentUpdatedV1 = z.object({
  agentId: NameId,
  changes: z.object(AgentChangeFields),
  updatedAt: z.string(),
});
export type AgentUpdatedData = z.infer<typeof AgentUpdatedV1>;

/** `baton.evt.agent.removed`. */
export const AgentRemovedV1 = z.object({ agentId: NameId, removedAt: z.string() });
export type AgentRemovedData = z.infer<typeof AgentRemovedV1>;

/** `baton.evt.agent.state-changed`. */
export const AgentStateChangedV1 = z.object({
  agentId: NameId,
  from: AgentWorkState,
  to: AgentWorkState,
  taskId: z.string().min(1).max(200).optional(),
  at: z.string(),
});
export type AgentStateChangedData = z.infer<typeof AgentStateChangedV1>;

/**
 * `baton.evt.agent.went-offline`: no heartbeat for the configured window. `lastHeartbeatAt` is
 * the last sign of life (the registration time when the agent never sent a heartbeat).
 * The scheduler releases the agent's tasks to other capable agents when it sees this.
 */
export const AgentWentOfflineV1 = z.object({ agentId: NameId, lastHeartbeatAt: z.string(), at: z.string() });
export type AgentWentOfflineData = z.infer<typeof AgentWentOfflineV1>;

/** `baton.evt.agent.came-online`: a heartbeat from an agent that was offline. */
export const AgentCameOnlineV1 = z.object({ agentId: NameId, at: z.string() });
export type AgentCameOnlineData = z.infer<typeof AgentCameOnlineV1>;

/** Schemas (version 1) by event type, for consumers that validate what they receive. */
export const AgentEventSchemas = {
  AgentRegistered: AgentRegisteredV1,
  AgentUpdated: AgentUpdatedV1,
  AgentRemoved: AgentRemovedV1,
  AgentStateChanged: AgentStateChangedV1,
  AgentWentOffline: AgentWentOfflineV1,
  AgentCameOnline: AgentCameOnlineV1,
} as const;

/** Every event of the `agent-<id>` stream. */
export type AgentEvent = EventsOf<typeof AgentEventSchemas>;

export const agentStreamId = (agentId: string): string => `agent-${agentId}`;
