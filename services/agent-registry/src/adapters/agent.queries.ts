import type { AgentView } from '@baton/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { AgentRegistryDatabase, AgentRow, NewAgentRow } from './agents.table';

type Db = Kysely<AgentRegistryDatabase> | Transaction<AgentRegistryDatabase>;

/** Inserts or replaces an agent's row. */
export async function upsertAgent(db: Db, row: NewAgentRow): Promise<void> {
  const { agent_id: _id, ...rest } = row;
  await db
    .insertInto('agent_registry.agents')
    .values(row)
    .onConflict((oc) => oc.column('agent_id').doUpdateSet(rest))
    .execute();
}

/** Empties the read model (projection reset before a rebuild). */
export async function deleteAllAgents(db: Db): Promise<void> {
  await db.deleteFrom('agent_registry.agents').execute();
}

export async function findAgent(db: Db, agentId: string): Promise<AgentRow | undefined> {
  return db.selectFrom('agent_registry.agents').selectAll().where('agent_id', '=', agentId).executeTakeFirst();
}

/** The row as the GetAgent reply shape. */
export function toAgentView(row: AgentRow): AgentView {
  return {
    agentId: row.agent_id,
    name: row.name,
    role: row.role,
    capabilities: row.capabilities,
    model: row.model,
    maxConcurrency: row.max_concurrency,
    peers: row.peers,
    lead: row.lead,
    status: row.status,
    registeredAt: row.registered_at.toISOString(),
    revision: row.revision,
  };
}
