import type { AgentWorkState } from '@baton/contracts';
import type { Insertable, Selectable } from 'kysely';

export const AGENT_REGISTRY_SCHEMA = 'agent_registry';

/** `agent_registry.agents`: one row per registered agent (the registry read model, rebuilt from the store). */
export interface AgentsTable {
  agent_id: string;
  name: string | null;
  role: string;
  capabilities: string[];
  model: string | null;
  max_concurrency: number;
  peers: string[];
  lead: string | null;
  /** Where the agent is in its state machine (AgentStateChanged). */
  state: AgentWorkState;
  /** The task named by the last state report. */
  state_task_id: string | null;
  /** False between AgentWentOffline and AgentCameOnline. */
  online: boolean;
  registered_at: Date;
  /** Revision of the last event of `agent-<id>` applied to this row. */
  revision: number;
  /** `occurredAt` of that event (not the wall clock), so a rebuild gives identical rows. */
  updated_at: Date;
}

/**
 * `agent_registry.heartbeat_timers`: the durable heartbeat timer of each agent ever registered.
 * Heartbeats update it in place (no event per heartbeat); the timer poller fires rows whose
 * `offline_due_at` has passed. Not part of the rebuildable read model.
 */
export interface HeartbeatTimersTable {
  agent_id: string;
  /** False once the agent is removed: its heartbeats are dropped and its timer stays disarmed. */
  registered: boolean;
  /** Last heartbeat received (registry clock); null when none since the first registration. */
  last_heartbeat_at: Date | null;
  /** When the agent counts as offline unless a heartbeat comes first; null = disarmed. */
  offline_due_at: Date | null;
  /** True once the timer fired and AgentWentOffline was appended, until a heartbeat brings it back. */
  offline: boolean;
}

/** `agent_registry.agent_active_tasks`: the task each agent holds now, from task events (the load). */
export interface AgentActiveTasksTable {
  task_id: string;
  agent_id: string;
  lease_epoch: number;
  assigned_at: Date;
}

/** `agent_registry.agent_task_stats`: performance figures per agent, from task events. */
export interface AgentTaskStatsTable {
  agent_id: string;
  tasks_completed: number;
  tasks_failed: number;
  /** Sum of `durationMs` of completed tasks (bigint; read as string by pg). */
  total_completion_ms: string;
  /** Failures since the last completion (drives the `error` status). */
  consecutive_failures: number;
}

/** `agent_registry.file_agents`: the agents the last sync of agents.yaml listed (only these are removed by a later sync). */
export interface FileAgentsTable {
  agent_id: string;
  synced_at: Date;
}

export type AgentRow = Selectable<AgentsTable>;
export type NewAgentRow = Insertable<AgentsTable>;
export type HeartbeatTimerRow = Selectable<HeartbeatTimersTable>;

/** The service's Kysely database type: every table it owns, schema-qualified. */
export interface AgentRegistryDatabase {
  'agent_registry.agents': AgentsTable;
  'agent_registry.heartbeat_timers': HeartbeatTimersTable;
  'agent_registry.agent_active_tasks': AgentActiveTasksTable;
  'agent_registry.agent_task_stats': AgentTaskStatsTable;
  'agent_registry.file_agents': FileAgentsTable;
}
