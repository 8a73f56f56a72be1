import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { AgentSession, type AgentSessionOptions } from './agent-session';
import { createBatonMcpServer } from './baton-mcp.server';

/** The session's options (`--agent`, the connection with its credentials, the profile to register), and the streams. */
export interface McpStdioOptions extends AgentSessionOptions {
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
  const { stdin: input, stdout: output, ...sessionOptions } = options;
  const session = await AgentSession.open(sessionOptions);
  const server = createBatonMcpServer(session);
  const stdio = await serveOnStdio(server, { stdin: input, stdout: output }, () => session.close());
  return { session, ...stdio };
}

/**
 * Connects an MCP server to stdio (the process's own by default) and tells `onClose` when the
 * client goes away or {@link close} is called: the engine's server and the file mode's share it.
 */
export async function serveOnStdio(
  server: McpServer,
  streams: { readonly stdin?: NodeJS.ReadableStream | undefined; readonly stdout?: NodeJS.WritableStream | undefined },
  onClose: () => void,
): Promise<{ readonly closed: Promise<void>; close(): Promise<void> }> {
  const stdin = streams.stdin ?? process.stdin;
  const transport = new StdioServerTransport(stdin as typeof process.stdin, (streams.stdout ?? process.stdout) as typeof process.stdout);
  let done: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (done = resolve));
  transport.onclose = () => {
    onClose();
    done();
  };
  // The SDK's stdio transport does not notice the end of its input by itself.
  stdin.once('end', () => void server.close());
  await server.connect(transport);
  return {
    closed,
    close: async () => {
      await server.close();
      onClose();
      done();
    },
  };
}
