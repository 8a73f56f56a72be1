import { NotFoundError, type AgentView } from '@baton/contracts';
import type { Kysely } from 'kysely';
import { findAgent, toAgentView } from '../adapters/agent.queries';
import type { AgentRegistryDatabase } from '../adapters/agents.table';

/** GetAgent: the projected row, or NOT_FOUND. */
export async function getAgent(db: Kysely<AgentRegistryDatabase>, agentId: string): Promise<AgentView> {
  const row = await findAgent(db, agentId);
  if (!row) throw new NotFoundError('agent', agentId);
  return toAgentView(row);
}
