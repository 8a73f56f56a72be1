import { commandContextOf } from '@baton/aggregate';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  GetAgent,
  ListAgents,
  RegisterAgent,
  ReloadAgents,
  RemoveAgent,
  ReportAgentState,
  UpdateAgent,
  type AgentCommandReply,
  type AgentDetailView,
  type CommandEnvelope,
  type DataOf,
  type QueryEnvelope,
  type ReloadAgentsReply,
} from '@baton/contracts';
import { BatonRpcContext, CommandHandler, QueryHandler } from '@baton/messaging';
import type { Kysely } from 'kysely';
import { getAgent, listAgents } from '../app/get-agent.query';
import type { AgentCommands } from '../app/ports';
import type { AgentCommand, CommandMetadata } from '../domain';
import type { AgentRegistryDatabase } from '../read-model/agents.table';
import { AGENT_COMMANDS, READ_DB, RELOAD_AGENTS } from './tokens';

/** `baton.cmd.agent-registry.*` and `baton.qry.agent-registry.*`; requests arrive validated by the transport. */
@Controller()
export class AgentRegistryNatsController {
  constructor(
    @Inject(AGENT_COMMANDS) private readonly commands: AgentCommands,
    @Inject(READ_DB) private readonly db: Kysely<AgentRegistryDatabase>,
    @Inject(RELOAD_AGENTS) private readonly reload: () => Promise<ReloadAgentsReply>,
  ) {}

  private async run(agentId: string, build: (m: CommandMetadata) => AgentCommand, command: CommandEnvelope, ctx: BatonRpcContext): Promise<AgentCommandReply> {
    const r = await this.commands.execute(agentId, build, commandContextOf(command, ctx, ctx.getSubject()));
    return { agentId, revision: r.revision };
  }

  @CommandHandler(RegisterAgent)
  registerAgent(@Payload() command: CommandEnvelope<DataOf<typeof RegisterAgent>>, @Ctx() ctx: BatonRpcContext): Promise<AgentCommandReply> {
    return this.run(command.data.agentId, (metadata) => ({ type: 'RegisterAgent', data: command.data, metadata }), command, ctx);
  }

  @CommandHandler(UpdateAgent)
  updateAgent(@Payload() command: CommandEnvelope<DataOf<typeof UpdateAgent>>, @Ctx() ctx: BatonRpcContext): Promise<AgentCommandReply> {
    return this.run(command.data.agentId, (metadata) => ({ type: 'UpdateAgent', data: command.data, metadata }), command, ctx);
  }

  @CommandHandler(RemoveAgent)
  removeAgent(@Payload() command: CommandEnvelope<DataOf<typeof RemoveAgent>>, @Ctx() ctx: BatonRpcContext): Promise<AgentCommandReply> {
    return this.run(command.data.agentId, (metadata) => ({ type: 'RemoveAgent', data: command.data, metadata }), command, ctx);
  }

  @CommandHandler(ReportAgentState)
  reportAgentState(@Payload() command: CommandEnvelope<DataOf<typeof ReportAgentState>>, @Ctx() ctx: BatonRpcContext): Promise<AgentCommandReply> {
    return this.run(command.data.agentId, (metadata) => ({ type: 'ReportAgentState', data: command.data, metadata }), command, ctx);
  }

  @CommandHandler(ReloadAgents)
  reloadAgents(): Promise<ReloadAgentsReply> {
    return this.reload();
  }

  @QueryHandler(GetAgent)
  getAgent(@Payload() query: QueryEnvelope<DataOf<typeof GetAgent>>): Promise<AgentDetailView> {
    return getAgent(this.db, query.data.agentId);
  }

  @QueryHandler(ListAgents)
  async listAgents(@Payload() query: QueryEnvelope<DataOf<typeof ListAgents>>): Promise<{ agents: AgentDetailView[] }> {
    return { agents: await listAgents(this.db, query.data) };
  }
}
