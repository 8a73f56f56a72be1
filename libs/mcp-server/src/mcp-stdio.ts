import type { NatsConnection } from '@nats-io/transport-node';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { AgentProfile, CommandClientOptions } from '@baton/agent-sdk';
import { AgentSession } from './agent-session';
import { createBatonMcpServer } from './baton-mcp.server';

export interface McpStdioOptions {
  /** The agent the server acts as (`baton mcp --agent <id>`; the connection carries its credentials). */
  readonly agentId: string;
  /** Open connection (not closed here). */
  readonly connection: NatsConnection;
  /** Registered (or updated) at start; null: the agent must be registered already. */
  readonly profile: AgentProfile | null;
  readonly heartbeatIntervalMs?: number;
  readonly commands?: CommandClientOptions;
  readonly reservationTtlMs?: number;
  /** Streams to speak MCP on. Default the process's stdin and stdout (so nothing else may write to stdout). */
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout?: NodeJS.WritableStream;
}

export interface McpStdioServer {
  readonly session: AgentSession;
  /** Resolves when the client closes the stream (stdin ends) or {@link close} is called. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves one agent's MCP server on stdio: registers the agent, heartbeats until the client
 * disconnects, then stops (the registry marks the agent offline after its window).
 *
 * @example
 * const nc = await connect({ servers: process.env.NATS_URL, ...natsAuthFromEnv(process.env) });
 * const srv = await serveMcpStdio({ agentId: 'claude-1', connection: nc, profile: { role: 'developer', capabilities: ['code'] } });
 * await srv.closed;
 */
export async function serveMcpStdio(options: McpStdioOptions): Promise<McpStdioServer> {
  const session = await AgentSession.open({
    agentId: options.agentId,
    connection: options.connection,
    profile: options.profile,
    ...(options.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
    ...(options.commands !== undefined ? { commands: options.commands } : {}),
    ...(options.reservationTtlMs !== undefined ? { reservationTtlMs: options.reservationTtlMs } : {}),
  });
  const server = createBatonMcpServer(session);
  const stdin = options.stdin ?? process.stdin;
  const transport = new StdioServerTransport(stdin as typeof process.stdin, (options.stdout ?? process.stdout) as typeof process.stdout);
  let done: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (done = resolve));
  transport.onclose = () => {
    session.close();
    done();
  };
  // The SDK's stdio transport does not notice the end of its input by itself.
  stdin.once('end', () => void server.close());
  await server.connect(transport);
  return {
    session,
    closed,
    close: async () => {
      await server.close();
      session.close();
      done();
    },
  };
}
