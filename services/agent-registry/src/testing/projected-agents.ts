import { randomUUID } from 'node:crypto';
import { GetAgent, RegisterAgent, type AgentDetailView, type RegisterAgentData } from '@baton/contracts';
import type { BatonClient } from '@baton/messaging';
import { waitFor } from '@baton/testing';

/**
 * Waits until the registry's read model (which follows the store) shows `agentId` and `until`
 * holds for its view, and returns that view.
 *
 * @example
 * expect(await projectedAgent(client, agentId, (a) => a.status === 'offline')).toMatchObject({ state: 'EXECUTING' });
 */
export function projectedAgent(client: BatonClient, agentId: string, until: (a: AgentDetailView) => boolean = () => true, timeoutMs = 10_000): Promise<AgentDetailView> {
  return waitFor(
    async () => {
      const a = await client.query(GetAgent, { agentId });
      return until(a) ? a : undefined;
    },
    { what: `agent ${agentId} in the read model`, timeoutMs },
  );
}

/**
 * Registers `data` over NATS and waits until the read model shows the agent.
 *
 * @example
 * const a = await registerProjectedAgent(client, newAgent({ maxConcurrency: 1 }));
 */
export async function registerProjectedAgent(client: BatonClient, data: RegisterAgentData): Promise<RegisterAgentData> {
  await client.command(RegisterAgent, data, { commandId: randomUUID() });
  await projectedAgent(client, data.agentId);
  return data;
}
