import type { Command } from '@commander-js/extra-typings';
import { AgentStatus, BatonError, GetAgent, ListAgents } from '@baton/contracts';
import { describePermissions, natsAuthDir, NatsAuthStore, pushAccount } from '@baton/nats-auth';
import type { CliContext } from '../context';
import { formatAgentHealth, formatAgents, formatAgentsHealth } from '../format';
import { listCommand } from './command-builders';

export function registerAgentCommands(program: Command, ctx: CliContext): void {
  const agents = program.command('agents').description('the agents registered with Baton');

  listCommand(agents, 'agents', 'list agents with their status, state, load and last heartbeat', AgentStatus.options)
    .option('--role <role>', 'only agents with this role')
    .option('--capability <name>', 'only agents with this capability')
    .action(async (opts) => {
      await ctx.printList(ListAgents, { status: opts.status, role: opts.role, capability: opts.capability }, 'agents', formatAgents);
    });

  agents
    .command('health')
    .description('status, state, last heartbeat age, load and performance (of one agent, or all)')
    .argument('[agentId]', 'one agent')
    .action(async (agentId) => {
      if (agentId !== undefined) await ctx.printOne(GetAgent, { agentId }, formatAgentHealth);
      else await ctx.printList(ListAgents, {}, 'agents', formatAgentsHealth);
    });

  agents
    .command('credentials')
    .description("issue an agent's NATS credentials (a .creds file: it may act only as itself), or --revoke them; keys from BATON_NATS_AUTH_DIR (default .baton/nats-auth)")
    .argument('<agentId>', 'the agent (one subject token: letters, digits, dash, underscore)')
    .option('--out <file>', 'where the .creds file goes (default <keys dir>/creds/agent-<id>.creds)')
    .option('--reader', 'a reader credential instead: follows baton.evt.> through its own durable consumer named <agentId>')
    .option('--revoke', "revoke every credential issued to the agent and push the account to the server: its live connections are closed, its next ones refused")
    .action(async (agentId, opts) => {
      const kind = opts.reader === true ? 'reader' : 'agent';
      const store = await NatsAuthStore.open(natsAuthDir(ctx.deps.env));
      if (opts.revoke === true) {
        if (opts.out !== undefined) throw new BatonError('VALIDATION_FAILED', '--out and --revoke do not go together');
        const { publicKeys } = await store.revoke(kind, agentId);
        const pushed = await pushAccount(store, ctx.natsUrl);
        ctx.emit({ revoked: agentId, kind, publicKeys, server: pushed.server, message: pushed.message }, () =>
          [`revoked ${publicKeys.length} ${kind} credential(s) of ${agentId}`, `account update pushed to ${pushed.server}: ${pushed.message}`].join('\n'),
        );
        return;
      }
      const issued = await store.issue(kind, agentId, opts.out === undefined ? {} : { file: opts.out });
      ctx.emit({ agentId, kind, file: issued.file, publicKey: issued.publicKey, permissions: issued.permissions }, () =>
        [`${kind} credentials for ${agentId} written to ${issued.file} (owner-only)`, `connect with NATS_CREDS=${issued.file}`, describePermissions(issued.permissions)].join('\n'),
      );
    });
}
