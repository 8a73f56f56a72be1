import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/transport-node';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AgentProfile } from '@baton/agent-sdk';
import { errorCodeOf } from '@baton/contracts';
import { AgentSession, type AgentSessionOptions } from './agent-session';
import { createBatonMcpServer } from './baton-mcp.server';

export interface McpHttpHandlerOptions extends Pick<AgentSessionOptions, 'heartbeatIntervalMs' | 'commands' | 'reservationTtlMs'> {
  /**
   * Who is calling: the agent id the request's credentials (e.g. its bearer token) belong to, or
   * null to answer 401. The only source of identity: no tool takes an agent id.
   */
  readonly authenticate: (req: IncomingMessage) => string | null | Promise<string | null>;
  /** The NATS connection to act on, shared, or one per agent (e.g. opened with that agent's own credentials). Not closed by the handler. */
  readonly connection: NatsConnection | ((agentId: string) => Promise<NatsConnection>);
  /** The profile an agent is registered with on its first request; null or absent: it must be registered already. */
  readonly profile?: (agentId: string) => AgentProfile | null;
  /**
   * An agent that makes no request for this long stops heartbeating (the registry then marks it
   * offline and its tasks go back to the queue); its next request opens it again. Default 10 minutes.
   */
  readonly idleMs?: number;
}

/** A Node request handler for MCP over Streamable HTTP, and the clean-up of the agents it keeps alive. */
export interface McpHttpHandler {
  (req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Stops every agent's heartbeats. */
  close(): Promise<void>;
}

interface Entry {
  readonly session: Promise<AgentSession>;
  lastUsed: number;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * MCP over Streamable HTTP, **stateless**: every POST is one JSON-RPC exchange answered as JSON,
 * with a fresh MCP server bound to the agent `authenticate` names. No MCP session id is kept, so
 * any replica behind a load balancer can answer any request; the state that matters (the task
 * leases) lives in Baton. What the handler keeps per agent is its presence: the agent is
 * registered (when `profile` gives one) and heartbeats from its first request until it has been
 * idle for `idleMs`. GET (a server-to-client stream) and DELETE (ending a session) answer 405.
 *
 * Mount it at `/mcp`; a body already parsed by a framework (`req.body`) is used as it is.
 *
 * @example
 * const handler = createMcpHttpHandler({ connection: nc, authenticate: (req) => agentForToken(req.headers.authorization) });
 * http.createServer((req, res) => void handler(req, res)).listen(7411);
 */
export function createMcpHttpHandler(options: McpHttpHandlerOptions): McpHttpHandler {
  const sessions = new Map<string, Entry>();
  const idleMs = options.idleMs ?? 600_000;

  const sessionOf = (agentId: string): Promise<AgentSession> => {
    const known = sessions.get(agentId);
    if (known) {
      known.lastUsed = Date.now();
      return known.session;
    }
    const opening = (async () => {
      const connection = typeof options.connection === 'function' ? await options.connection(agentId) : options.connection;
      const { heartbeatIntervalMs, commands, reservationTtlMs } = options;
      return AgentSession.open({ agentId, connection, profile: options.profile?.(agentId) ?? null, heartbeatIntervalMs, commands, reservationTtlMs });
    })();
    sessions.set(agentId, { session: opening, lastUsed: Date.now() });
    // A failed open is not kept: the next request tries again.
    opening.catch(() => sessions.delete(agentId));
    return opening;
  };

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [agentId, e] of sessions) {
      if (now - e.lastUsed < idleMs) continue;
      sessions.delete(agentId);
      void e.session.then((s) => s.close(), () => undefined);
    }
  }, Math.min(idleMs, 60_000));
  sweep.unref();

  const handler = (async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      sendJson(res, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP endpoint is stateless; send JSON-RPC requests with POST' }, id: null }, { allow: 'POST' });
      return;
    }
    let agentId: string | null;
    try {
      agentId = await options.authenticate(req);
    } catch {
      agentId = null;
    }
    if (agentId === null) {
      sendJson(res, 401, { jsonrpc: '2.0', error: { code: -32001, message: 'Unauthorized: send the agent\'s bearer token in the Authorization header' }, id: null }, { 'www-authenticate': 'Bearer realm="baton-mcp"' });
      return;
    }
    let session: AgentSession;
    try {
      session = await sessionOf(agentId);
    } catch (err) {
      // An id `authenticate` returned that is no agent id is the caller's mistake; anything else is Baton out of reach.
      if (errorCodeOf(err) === 'VALIDATION_FAILED') sendJson(res, 403, { jsonrpc: '2.0', error: { code: -32003, message: `Forbidden: ${(err as Error).message}` }, id: null });
      else sendJson(res, 503, { jsonrpc: '2.0', error: { code: -32002, message: `Baton is not reachable for agent ${agentId}: ${(err as Error).message}` }, id: null });
      return;
    }
    const server = createBatonMcpServer(session);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, (req as { body?: unknown }).body);
    } catch (err) {
      sendJson(res, 500, { jsonrpc: '2.0', error: { code: -32603, message: `Internal error: ${(err as Error).message}` }, id: null });
    }
  }) as McpHttpHandler;

  handler.close = async () => {
    clearInterval(sweep);
    const open = [...sessions.values()];
    sessions.clear();
    await Promise.all(open.map((e) => e.session.then((s) => s.close(), () => undefined)));
  };
  return handler;
}

export interface McpHttpServerOptions extends McpHttpHandlerOptions {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Where the endpoint is mounted. Default `/mcp`. */
  readonly path?: string;
}

export interface McpHttpServer {
  /** The endpoint, e.g. `http://127.0.0.1:7411/mcp`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A standalone HTTP server with the MCP endpoint at `path` (404 elsewhere), for `baton mcp --http`
 * and tests; the gateway mounts {@link createMcpHttpHandler} itself.
 *
 * @example
 * const srv = await startMcpHttpServer({ port: 7411, connection: nc, authenticate: (req) => (req.headers.authorization === `Bearer ${token}` ? 'cursor-1' : null) });
 */
export async function startMcpHttpServer(options: McpHttpServerOptions): Promise<McpHttpServer> {
  const handler = createMcpHttpHandler(options);
  const mount = options.path ?? '/mcp';
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== mount) {
      sendJson(res, 404, { error: `not found: the MCP endpoint is ${mount}` });
      return;
    }
    void handler(req, res);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${mount}`,
    port,
    close: async () => {
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The bearer token of a request's `Authorization` header, or null. */
export function bearerTokenOf(req: IncomingMessage): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1] ?? null;
}

/**
 * An `authenticate` for a fixed set of bearer tokens, each mapped to its agent (compared in
 * constant time). For a standalone server; the gateway maps tokens through its own identity.
 *
 * @example
 * authenticate: bearerTokens({ [process.env.BATON_MCP_TOKEN!]: 'cursor-1' })
 */
export function bearerTokens(tokens: Readonly<Record<string, string>>): (req: IncomingMessage) => string | null {
  const entries = Object.entries(tokens).map(([token, agentId]) => ({ digest: createHash('sha256').update(token).digest(), agentId }));
  return (req) => {
    const token = bearerTokenOf(req);
    if (token === null) return null;
    const digest = createHash('sha256').update(token).digest();
    return entries.find((e) => timingSafeEqual(e.digest, digest))?.agentId ?? null;
  };
}
