import { errorCodeOf, GetAgent } from '@baton/contracts';
import { BatonClient, type MessagingLogger } from '@baton/messaging';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AgentDirectory } from '../app/ports';
import type { AgentContacts } from '../domain';

/**
 * Peers and lead of an agent from the agent registry (`baton.qry.agent-registry.get-agent`).
 * Anything but an answer (unknown agent, no registry listening, time-out) is undefined: the
 * ladder then assigns its stand-in, and the escalation is raised all the same.
 */
export class RegistryAgentDirectory implements AgentDirectory {
  private readonly client: BatonClient;

  constructor(
    nc: NatsConnection,
    private readonly logger: MessagingLogger,
    timeoutMs: number,
  ) {
    this.client = new BatonClient(nc, { timeoutMs });
  }

  async contactsOf(agentId: string): Promise<AgentContacts | undefined> {
    try {
      const agent = await this.client.query(GetAgent, { agentId });
      return { peers: agent.peers, lead: agent.lead };
    } catch (err) {
      const code = errorCodeOf(err) ?? 'INTERNAL';
      if (code !== 'NOT_FOUND') this.logger.warn(`agent registry did not name the peers of ${agentId} (${code}: ${(err as Error).message}); using the stand-in`);
      return undefined;
    }
  }
}
