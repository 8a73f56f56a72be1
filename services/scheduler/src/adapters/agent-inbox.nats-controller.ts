import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { JetStreamManager } from '@nats-io/jetstream';
import { OpenInbox, type CommandEnvelope, type DataOf, type ReplyOf } from '@baton/contracts';
import { CommandHandler } from '@baton/messaging';
import { openAgentInbox } from './agent-inbox.publisher';

/** Nest token of the scheduler's JetStream manager (for agents' inbox consumers). */
export const INBOX_JSM = Symbol.for('baton.scheduler.InboxJetStreamManager');

/** `open-inbox`: agents' durable inbox consumers are made here, with the scheduler's JetStream rights. */
@Controller()
export class AgentInboxNatsController {
  constructor(@Inject(INBOX_JSM) private readonly jsm: JetStreamManager) {}

  @CommandHandler(OpenInbox)
  open(@Payload() cmd: CommandEnvelope<DataOf<typeof OpenInbox>>): Promise<ReplyOf<typeof OpenInbox>> {
    return openAgentInbox(this.jsm, cmd.data.agentId, { ackWaitMs: cmd.data.ackWaitMs, maxAckPending: cmd.data.maxAckPending });
  }
}
