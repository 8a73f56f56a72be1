import { NotFoundError, type AgentDetailView, type ListAgentsData } from '@baton/contracts';
import type { Kysely } from 'kysely';
import { selectAgentDetails, toAgentView } from '../read-model/agent.queries';
import type { AgentRegistryDatabase } from '../read-model/agents.table';

/** GetAgent: the projected agent with its status, load, heartbeat and performance, or NOT_FOUND. */
export async function getAgent(db: Kysely<AgentRegistryDatabase>, agentId: string): Promise<AgentDetailView> {
  const [row] = await selectAgentDetails(db, { agentId });
  if (!row) throw new NotFoundError('agent', agentId);
  return toAgentView(row);
}

/**
 * ListAgents: registered agents matching every given filter, by id. Role and capability are
 * filtered in SQL; status is derived (liveness, state, failures, load), so it is filtered here.
 */
export async function listAgents(db: Kysely<AgentRegistryDatabase>, filter: ListAgentsData): Promise<AgentDetailView[]> {
  const rows = await selectAgentDetails(db, {
    ...(filter.role !== undefined ? { role: filter.role } : {}),
    ...(filter.capability !== undefined ? { capability: filter.capability } : {}),
  });
  const views = rows.map(toAgentView);
  return filter.status === undefined ? views : views.filter((v) => v.status === filter.status);
}
