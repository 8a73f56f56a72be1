import { BatonError, type RecordedEvent } from '@baton/contracts';
import type { Transaction } from 'kysely';
import { deleteAllAgents, upsertAgent } from '../adapters/agent.queries';
import type { AgentRegistryDatabase } from '../adapters/agents.table';
import { toAgentEvent } from '../domain';

/** Name of the agents projection (its checkpoint row in `agent_registry.projection_checkpoints`). */
export const AGENTS_PROJECTION = 'agents';

/** Events the agents projection reads: every event of `agent-*` streams. */
export const AGENTS_PROJECTION_FILTER = { categories: ['agent'] } as const;

function occurredAt(event: RecordedEvent): Date {
  const t = new Date(event.metadata.occurredAt);
  if (Number.isNaN(t.getTime())) {
    throw new BatonError('INTERNAL', `event ${event.eventId} of ${event.streamId} has no valid occurredAt`, { eventId: event.eventId });
  }
  return t;
}

/** Applies one agent event to `agent_registry.agents` (called by the projection runner inside its transaction). */
export async function applyAgentEvent(trx: Transaction<AgentRegistryDatabase>, recorded: RecordedEvent): Promise<void> {
  const event = toAgentEvent(recorded);
  switch (event.type) {
    case 'AgentRegistered': {
      const d = event.data;
      await upsertAgent(trx, {
        agent_id: d.agentId,
        name: d.name ?? null,
        role: d.role,
        capabilities: [...d.capabilities],
        model: d.model ?? null,
        max_concurrency: d.maxConcurrency,
        peers: [...d.peers],
        lead: d.lead ?? null,
        status: 'available',
        registered_at: new Date(d.registeredAt),
        revision: recorded.revision,
        updated_at: occurredAt(recorded),
      });
      return;
    }
    default: {
      const unhandled: never = event.type;
      throw new BatonError('INTERNAL', `agents projection does not handle ${String(unhandled)}`);
    }
  }
}

/** Empties the agents read model before a rebuild. */
export async function resetAgents(trx: Transaction<AgentRegistryDatabase>): Promise<void> {
  await deleteAllAgents(trx);
}
