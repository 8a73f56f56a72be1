import { Option, type Command } from '@commander-js/extra-typings';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { BatonError, Subjects } from '@baton/contracts';
import { parseName, parsePositiveInt } from '../args';
import type { CliContext } from '../context';
import { connectFailureReason, NatsUnreachableError } from '../rpc';

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];

/**
 * `baton mcp --agent <id>`: Baton as an MCP server for one agent. On stdio (the default) the
 * protocol owns stdout, so this command prints nothing there; notices go to stderr. With
 * `--http <port>` it serves Streamable HTTP at /mcp for bearer `BATON_MCP_TOKEN`, acting as the
 * same agent. The NATS credentials come from the environment (NATS_CREDS, NATS_TOKEN or
 * NATS_USER/NATS_PASSWORD). See docs/mcp.md.
 */
export function registerMcpCommand(program: Command, ctx: CliContext): void {
  program
    .command('mcp')
    .description('serve Baton to a coding agent over MCP (stdio by default; --http for Streamable HTTP) as agent <id>; see docs/mcp.md')
    .requiredOption('--agent <id>', 'the agent id (its NATS credentials come from NATS_CREDS, NATS_TOKEN or NATS_USER/NATS_PASSWORD)', parseName)
    .option('--role <role>', 'role to register the agent with', 'developer')
    .option('--capability <names>', 'capability to register (repeat or comma-separate)', collect)
    .addOption(new Option('--max-concurrency <n>', 'tasks held at once, path reservations included').argParser(parsePositiveInt).default(1))
    .option('--name <name>', 'display name to register')
    .option('--model <model>', 'model to register')
    .option('--no-register', 'do not register or update the agent (it must exist, e.g. from agents.yaml); only heartbeat')
    .addOption(new Option('--heartbeat-ms <ms>', 'heartbeat period').argParser(parsePositiveInt).default(5000))
    .addOption(new Option('--http <port>', 'serve Streamable HTTP on this port instead of stdio (bearer token: $BATON_MCP_TOKEN)').argParser(parsePositiveInt))
    .option('--host <host>', 'address to listen on with --http', '127.0.0.1')
    .option('--files <repo>', "serve the task files of this repository (.mcp/tasks, the file mode) instead of Baton's tasks: no server, stdio only")
    .action(async (opts) => {
      const env = ctx.deps.env;
      if (opts.files !== undefined) {
        if (opts.http !== undefined) throw new BatonError('VALIDATION_FAILED', 'baton mcp --files serves stdio only; leave out --http');
        const { serveFileModeMcpStdio } = await import('@baton/mcp-server');
        const srv = await serveFileModeMcpStdio({ agentId: opts.agent, repo: opts.files });
        ctx.warn(`baton mcp: agent ${opts.agent} on stdio, task files of ${srv.root}`);
        await Promise.race([srv.closed, untilSignal()]);
        await srv.close();
        return;
      }
      const token = env['BATON_MCP_TOKEN']?.trim();
      if (opts.http !== undefined && (token === undefined || token === '')) {
        throw new BatonError('VALIDATION_FAILED', 'baton mcp --http needs BATON_MCP_TOKEN: the bearer token a client must send to act as this agent');
      }
      // Loaded here, not at the top: the MCP SDK would add to the start-up of every other command.
      const { bearerTokens, natsAuthFromEnv, serveMcpStdio, startMcpHttpServer } = await import('@baton/mcp-server');
      const nc = await connectAgent(ctx.natsUrl, opts.agent, natsAuthFromEnv(env));
      const profile = opts.register
        ? {
            role: opts.role,
            capabilities: opts.capability ?? [],
            maxConcurrency: opts.maxConcurrency,
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            ...(opts.model !== undefined ? { model: opts.model } : {}),
          }
        : null;
      try {
        if (opts.http !== undefined) {
          const srv = await startMcpHttpServer({
            port: opts.http,
            host: opts.host,
            connection: nc,
            authenticate: bearerTokens({ [token as string]: opts.agent }),
            profile: () => profile,
            heartbeatIntervalMs: opts.heartbeatMs,
          });
          ctx.warn(`baton mcp: agent ${opts.agent} on ${srv.url} (Streamable HTTP, stateless)`);
          await untilSignal();
          await srv.close();
        } else {
          const srv = await serveMcpStdio({ agentId: opts.agent, connection: nc, profile, heartbeatIntervalMs: opts.heartbeatMs });
          ctx.warn(`baton mcp: agent ${opts.agent} on stdio`);
          await Promise.race([srv.closed, untilSignal()]);
          await srv.close();
        }
      } finally {
        if (!nc.isClosed()) await nc.drain().catch(() => undefined);
      }
    });
}

/** The agent's own connection, with its credentials; reconnects while the server runs (a long-lived process, unlike other commands). */
async function connectAgent(natsUrl: string, agentId: string, auth: Partial<ConnectionOptions>): Promise<NatsConnection> {
  const servers = natsUrl.split(',').map((s) => s.trim()).filter((s) => s !== '');
  try {
    // Replies under the agent's own prefix: an agent's credentials may subscribe nowhere else.
    return await connect({ servers, name: `baton-mcp-${agentId}`, timeout: 3000, maxReconnectAttempts: -1, inboxPrefix: Subjects.agentReplies(agentId), ...auth });
  } catch (err) {
    throw new NatsUnreachableError(natsUrl, connectFailureReason(err), { cause: err });
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
