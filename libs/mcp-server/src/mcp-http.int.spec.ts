import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Subjects, type AgentHeartbeat } from '@baton/contracts';
import { testNatsUrl, uniqueId, waitFor, testNatsAuth } from '@baton/testing';
import { bearerTokens, startMcpHttpServer, type McpHttpServer } from './mcp-http';

// The HTTP side on its own, against a real NATS server and no Baton services: who may call, the
// agent's presence (heartbeats from the first request until it has been idle), and how a
// refusal reaches the agent. The lifecycle against the services is e2e/mcp-server.e2e.spec.ts.

describe('MCP over Streamable HTTP: identity and presence (int, real NATS)', () => {
  let nc: NatsConnection;
  let http: McpHttpServer;
  let beats: Subscription;
  const token = uniqueId('token');
  const agentId = uniqueId('mcp-presence');
  const received: { at: number; body: AgentHeartbeat }[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
    beats = nc.subscribe(Subjects.agentHeartbeat(agentId), {
      callback: (_err, msg) => {
        received.push({ at: Date.now(), body: msg.json<AgentHeartbeat>() });
      },
    });
    http = await startMcpHttpServer({
      port: 0,
      connection: nc,
      authenticate: bearerTokens({ [token]: agentId }),
      heartbeatIntervalMs: 100,
      idleMs: 500,
      commands: { requestTimeoutMs: 300, retryForMs: 600 },
    });
  });

  afterAll(async () => {
    await http?.close();
    beats?.unsubscribe();
    await nc?.close();
  });

  const connectClient = async (): Promise<Client> => {
    const client = new Client({ name: 'mcp-presence', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client;
  };

  it('refuses a request without the token and keeps no presence for it; answers 405 to GET and 404 off the endpoint', async () => {
    const res = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(received).toEqual([]);
    expect((await fetch(http.url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
    expect((await fetch(new URL('/other', http.url), { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });

  it('answers 403 when authenticate names something that is no agent id', async () => {
    const odd = await startMcpHttpServer({ port: 0, connection: nc, authenticate: () => 'not an id' });
    try {
      const res = await fetch(odd.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/must be one NATS subject token/);
    } finally {
      await odd.close();
    }
  });

  it('heartbeats as the token\'s agent from its first request, stops once it is idle, and starts again on its next request', async () => {
    const client = await connectClient();
    try {
      await waitFor(() => received.length >= 3, { what: 'heartbeats of the agent', timeoutMs: 10_000 });
      expect(received[0]?.body).toMatchObject({ agentId, activeTasks: [] });

      // Idle past idleMs: the heartbeats stop, so the registry will mark the agent offline.
      await waitFor(() => Date.now() - (received[received.length - 1]?.at ?? 0) > 1000, { what: 'the heartbeats to stop', timeoutMs: 10_000 });
      const before = received.length;

      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThan(0);
      await waitFor(() => received.length > before, { what: 'heartbeats again after a request', timeoutMs: 10_000 });
    } finally {
      await client.close();
    }
  });

  it('answers a tool whose service does not respond with an error result carrying the code', async () => {
    const client = await connectClient();
    try {
      const r = (await client.callTool({ name: 'claim_task', arguments: { taskId: 'task-1' } })) as CallToolResult;
      expect(r.isError).toBe(true);
      const text = (r.content[0] as { text: string }).text;
      expect(text).toMatch(/^UNAVAILABLE: /);
      expect(JSON.parse(text.slice(text.indexOf('\n') + 1))).toMatchObject({ error: { code: 'UNAVAILABLE', retryable: true } });
      // Input is checked before anything is sent: a task id that is no id is refused by the schema.
      const bad = (await client.callTool({ name: 'claim_task', arguments: { taskId: '../x' } })) as CallToolResult;
      expect(bad.isError).toBe(true);
      expect((bad.content[0] as { text: string }).text).toMatch(/taskId/);
    } finally {
      await client.close();
    }
  });
});
