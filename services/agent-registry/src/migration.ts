import type { ServiceMigration } from '@baton/messaging';
import { agentRegistryMigrations } from './read-model/migrations';
import { AGENT_REGISTRY_SCHEMA } from './read-model/agents.table';

/** What the one-shot migration (`npm run migrate`, docker compose's `migrate`) brings up to date for the agent-registry; start-up repeats it. */
export const migration: ServiceMigration = { service: 'agent-registry', schema: AGENT_REGISTRY_SCHEMA, migrations: agentRegistryMigrations };
