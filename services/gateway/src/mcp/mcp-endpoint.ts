import type { IncomingMessage } from 'node:http';
import type { NatsConnection } from '@nats-io/transport-node';
import { createMcpHttpHandler, type McpHttpHandler } from '@baton/mcp-server';
import type { Authenticator } from '../auth/authenticator';
import { mayAccess } from '../auth/principal';

/** Agent ids as the registry takes them: what a principal's id must look like to act as an agent. */
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * MCP over Streamable HTTP at the gateway's `/mcp`: a coding agent (Claude Code, Cursor, Codex)
 * takes part with the gateway's own identity. The caller's bearer token or API key names the
 * agent it acts as (the principal's id); it must hold a role that may operate (operator or admin),
 * since an agent claims and completes work. No tool argument can name another agent.
 */
export function mcpEndpoint(options: { readonly nc: NatsConnection; readonly authenticator: Authenticator }): McpHttpHandler {
  return createMcpHttpHandler({
    connection: options.nc,
    authenticate: async (req: IncomingMessage) => {
      const header = (name: string): string | undefined => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      try {
        const principal = await options.authenticator.authenticate(header('authorization'), header('x-api-key'));
        return mayAccess(principal, 'operate') && AGENT_ID.test(principal.id) ? principal.id : null;
      } catch {
        return null;
      }
    },
  });
}
