import type { Migration } from '@baton/read-models';
import * as createAgents from './2026_11_22_0001_create_agents';
import * as agentLivenessAndLoad from './2026_11_22_0002_agent_liveness_and_load';

/** Every migration of schema `agent_registry`, by name (imported statically; no directory scanning). */
export const agentRegistryMigrations: Readonly<Record<string, Migration>> = {
  '2026_11_22_0001_create_agents': createAgents,
  '2026_11_22_0002_agent_liveness_and_load': agentLivenessAndLoad,
};
