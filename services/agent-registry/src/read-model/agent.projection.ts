import type { RecordedEvent } from '@baton/contracts';
import { occurredAtOf, patchRow, unhandledProjectionEvent, upsertRow } from '@baton/read-models';
import type { Transaction, Updateable } from 'kysely';
import { deleteAgent, deleteAllAgents } from './agent.queries';
import type { AgentRegistryDatabase, AgentsTable } from './agents.table';
import { armOnRegistration, disarmOnRemoval } from './heartbeat-timers.queries';
import { readAgentEvent, type AgentUpdatedData } from '../domain';

/** Name of the agents projection (its checkpoint row in `agent_registry.projection_checkpoints`). */
export const AGENTS_PROJECTION = 'agents';

/** Events the agents projection reads: every event of `agent-*` streams. */
export const AGENTS_PROJECTION_FILTER = { categories: ['agent'] } as const;

function profilePatch(changes: AgentUpdatedData['changes']): Updateable<AgentsTable> {
  return {
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.role !== undefined ? { role: changes.role } : {}),
    ...(changes.capabilities !== undefined ? { capabilities: [...changes.capabilities] } : {}),
    ...(changes.model !== undefined ? { model: changes.model } : {}),
    ...(changes.maxConcurrency !== undefined ? { max_concurrency: changes.maxConcurrency } : {}),
    ...(changes.peers !== undefined ? { peers: [...changes.peers] } : {}),
    ...(changes.lead !== undefined ? { lead: changes.lead } : {}),
  };
}

/**
 * The apply function of the agents projection: one agent event to `agent_registry.agents`
 * (called by the projection runner inside its transaction). Registration and removal also
 * arm and disarm the agent's durable heartbeat timer (`windowMs` after registration), in the
 * same transaction; the timer table is not reset by a rebuild, and replaying is harmless.
 */
export function agentProjection(options: { readonly heartbeatWindowMs: number }) {
  return async function applyAgentEvent(trx: Transaction<AgentRegistryDatabase>, recorded: RecordedEvent): Promise<void> {
    const event = readAgentEvent(recorded);
    const version = { revision: recorded.revision, at: occurredAtOf(recorded) };
    const patchAgent = (agentId: string, patch: Updateable<AgentsTable>) => patchRow(trx, 'agent_registry.agents', 'agent_id', agentId, patch, version);
    switch (event.type) {
      case 'AgentRegistered': {
        const d = event.data;
        await upsertRow(trx, 'agent_registry.agents', 'agent_id', {
          agent_id: d.agentId,
          name: d.name ?? null,
          role: d.role,
          capabilities: [...d.capabilities],
          model: d.model ?? null,
          max_concurrency: d.maxConcurrency,
          peers: [...d.peers],
          lead: d.lead ?? null,
          state: 'IDLE',
          state_task_id: null,
          online: true,
          registered_at: new Date(d.registeredAt),
          revision: version.revision,
          updated_at: version.at,
        });
        await armOnRegistration(trx, d.agentId, new Date(d.registeredAt), options.heartbeatWindowMs);
        return;
      }
      case 'AgentUpdated':
        await patchAgent(event.data.agentId, profilePatch(event.data.changes));
        return;
      case 'AgentRemoved':
        await deleteAgent(trx, event.data.agentId);
        await disarmOnRemoval(trx, event.data.agentId);
        return;
      case 'AgentStateChanged':
        await patchAgent(event.data.agentId, { state: event.data.to, state_task_id: event.data.taskId ?? null });
        return;
      case 'AgentWentOffline':
        await patchAgent(event.data.agentId, { online: false });
        return;
      case 'AgentCameOnline':
        await patchAgent(event.data.agentId, { online: true });
        return;
      default:
        return unhandledProjectionEvent('agents', event);
    }
  };
}

/** Empties the agents read model before a rebuild. */
export async function resetAgents(trx: Transaction<AgentRegistryDatabase>): Promise<void> {
  await deleteAllAgents(trx);
}
