import type { Insertable, Selectable } from 'kysely';

export const AGENT_REGISTRY_SCHEMA = 'agent_registry';

/** `agent_registry.agents`: one row per registered agent (the registry read model). */
export interface AgentsTable {
  agent_id: string;
  name: string | null;
  role: string;
  capabilities: string[];
  model: string | null;
  max_concurrency: number;
  peers: string[];
  lead: string | null;
  status: 'available' | 'busy' | 'error' | 'offline';
  registered_at: Date;
  /** Revision of the last event of `agent-<id>` applied to this row. */
  revision: number;
  /** `occurredAt` of that event (not the wall clock), so a rebuild gives identical rows. */
  updated_at: Date;
}

export type AgentRow = Selectable<AgentsTable>;
export type NewAgentRow = Insertable<AgentsTable>;

/** The service's Kysely database type: every table it owns, schema-qualified. */
export interface AgentRegistryDatabase {
  'agent_registry.agents': AgentsTable;
}
