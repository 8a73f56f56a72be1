import type { Command } from '@commander-js/extra-typings';
import { AgentStatus, GetAgent, ListAgents } from '@baton/contracts';
import { statusOption } from '../args';
import type { CliContext } from '../context';
import { formatAgentHealth, formatAgents, formatAgentsHealth } from '../format';

export function registerAgentCommands(program: Command, ctx: CliContext): void {
  const agents = program.command('agents').description('the agents registered with Baton');

  agents
    .command('list')
    .description('list agents with their status, state, load and last heartbeat')
    .addOption(statusOption('agents', AgentStatus.options))
    .option('--role <role>', 'only agents with this role')
    .option('--capability <name>', 'only agents with this capability')
    .action(async (opts) => {
      const { agents: list } = await (await ctx.client()).query(ListAgents, {
        status: opts.status,
        role: opts.role,
        capability: opts.capability,
      });
      ctx.emit({ agents: list }, () => formatAgents(list, ctx.now(), ctx.paint));
    });

  agents
    .command('health')
    .description('status, state, last heartbeat age, load and performance (of one agent, or all)')
    .argument('[agentId]', 'one agent')
    .action(async (agentId) => {
      const client = await ctx.client();
      if (agentId !== undefined) {
        const agent = await client.query(GetAgent, { agentId });
        ctx.emit(agent, () => formatAgentHealth(agent, ctx.now(), ctx.paint));
        return;
      }
      const { agents: list } = await client.query(ListAgents, {});
      ctx.emit({ agents: list }, () => formatAgentsHealth(list, ctx.now(), ctx.paint));
    });
}
