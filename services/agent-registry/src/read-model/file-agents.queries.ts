import type { Kysely } from 'kysely';
import type { AgentRegistryDatabase } from './agents.table';

/** Ids the last agents.yaml sync listed. */
export async function listFileAgentIds(db: Kysely<AgentRegistryDatabase>): Promise<string[]> {
  const rows = await db.selectFrom('agent_registry.file_agents').select('agent_id').orderBy('agent_id').execute();
  return rows.map((r) => r.agent_id);
}

/** Replaces the set of ids the file lists (safe when two replicas sync at once: no delete-then-insert race on the key). */
export async function replaceFileAgentIds(db: Kysely<AgentRegistryDatabase>, ids: readonly string[], at: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    let gone = trx.deleteFrom('agent_registry.file_agents');
    if (ids.length > 0) gone = gone.where('agent_id', 'not in', [...ids]);
    await gone.execute();
    if (ids.length > 0) {
      await trx
        .insertInto('agent_registry.file_agents')
        .values(ids.map((agent_id) => ({ agent_id, synced_at: at })))
        .onConflict((oc) => oc.column('agent_id').doUpdateSet({ synced_at: at }))
        .execute();
    }
  });
}
