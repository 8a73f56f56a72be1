import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { GetAgent, RegisterAgent, type AgentView, type CommandEnvelope, type DataOf, type QueryEnvelope } from '@baton/contracts';
import { BatonRpcContext, CommandHandler, QueryHandler } from '@baton/messaging';
import type { Kysely } from 'kysely';
import { getAgent } from '../app/get-agent.query';
import { RegisterAgentHandler, type RegisterAgentResult } from '../app/register-agent.handler';
import type { AgentRegistryDatabase } from './agents.table';
import { READ_DB } from './tokens';

/** `baton.cmd.agent-registry.*` and `baton.qry.agent-registry.*`; requests arrive validated by the transport. */
@Controller()
export class AgentRegistryNatsController {
  constructor(
    @Inject(RegisterAgentHandler) private readonly registerHandler: RegisterAgentHandler,
    @Inject(READ_DB) private readonly db: Kysely<AgentRegistryDatabase>,
  ) {}

  @CommandHandler(RegisterAgent)
  async registerAgent(
    @Payload() command: CommandEnvelope<DataOf<typeof RegisterAgent>>,
    @Ctx() ctx: BatonRpcContext,
  ): Promise<RegisterAgentResult> {
    const traceparent = ctx.getHeader('traceparent');
    const tracestate = ctx.getHeader('tracestate');
    return this.registerHandler.handle(command, {
      ...(traceparent ? { traceparent } : {}),
      ...(tracestate ? { tracestate } : {}),
    });
  }

  @QueryHandler(GetAgent)
  async getAgent(@Payload() query: QueryEnvelope<DataOf<typeof GetAgent>>): Promise<AgentView> {
    return getAgent(this.db, query.data.agentId);
  }
}
