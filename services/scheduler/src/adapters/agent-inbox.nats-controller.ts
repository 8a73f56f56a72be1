import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { JetStreamManager } from '@nats-io/jetstream';
import { AwaitAssignment, OpenInbox, type CommandEnvelope, type DataOf, type ReplyOf } from '@baton/contracts';
import { CommandHandler } from '@baton/messaging';
import { openAgentInbox } from './agent-inbox.publisher';
import type { AssignmentWaiters } from './assignment-waiters';

/** Nest token of the scheduler's JetStream manager (for agents' inbox consumers). */
export const INBOX_JSM = Symbol.for('baton.scheduler.InboxJetStreamManager');
/** Nest token of the agents waiting for their next assignment. */
export const ASSIGNMENT_WAITERS = Symbol.for('baton.scheduler.AssignmentWaiters');

/**
 * `open-inbox`: agents' durable inbox consumers are made here, with the scheduler's JetStream
 * rights. `await-assignment`: an agent waits here for its next assignment (a long poll).
 */
@Controller()
export class AgentInboxNatsController {
  constructor(
    @Inject(INBOX_JSM) private readonly jsm: JetStreamManager,
    @Inject(ASSIGNMENT_WAITERS) private readonly waiters: AssignmentWaiters,
  ) {}

  @CommandHandler(OpenInbox)
  open(@Payload() cmd: CommandEnvelope<DataOf<typeof OpenInbox>>): Promise<ReplyOf<typeof OpenInbox>> {
    return openAgentInbox(this.jsm, cmd.data.agentId, { ackWaitMs: cmd.data.ackWaitMs, maxAckPending: cmd.data.maxAckPending });
  }

  @CommandHandler(AwaitAssignment)
  await(@Payload() cmd: CommandEnvelope<DataOf<typeof AwaitAssignment>>): Promise<ReplyOf<typeof AwaitAssignment>> {
    return this.waiters.wait(cmd.data.agentId, cmd.data.waitMs);
  }
}
