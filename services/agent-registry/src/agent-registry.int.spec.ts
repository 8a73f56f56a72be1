import { randomUUID } from 'node:crypto';
import { jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { agentStreamId, EVENTS_STREAM, GetAgent, RegisterAgent, Subjects } from '@baton/contracts';
import { createPostgresEventStore } from '@baton/event-store';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, relayedEvent, serviceTestOptions, type TestDatabase, testNatsUrl, uniqueId, waitFor, testNatsAuth } from '@baton/testing';
import { newAgent } from './testing/new-agent';
import { projectedAgent } from './testing/projected-agents';
import { sql } from 'kysely';
import { startAgentRegistry, type AgentRegistryApp } from './adapters/agent-registry.app';

const NOW = new Date('2026-11-22T08:30:00.000Z');

describe('agent-registry (real NATS + Postgres, in-process Nest app)', () => {
  let tdb: TestDatabase;
  let registry: AgentRegistryApp;
  let nc: NatsConnection;
  let client: BatonClient;
  // Wall-clock start of this file, only to start reading JetStream from here.
  const startedAt = new Date(Date.now() - 1000);
  // This file's own task-events consumer (the NATS server is shared with other test files).
  const taskEvents = { durable: uniqueId('agent-registry-task-load-test'), deliverPolicy: 'new' as const };

  beforeAll(async () => {
    tdb = await createTestDatabase('agent_registry');
    registry = await startAgentRegistry({
      ...serviceTestOptions(tdb.url),
      clock: { now: () => NOW },
      taskEvents,
    });
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
    client = new BatonClient(nc, { timeoutMs: 10_000 });
  });

  afterAll(async () => {
    await registry?.close();
    if (nc) await (await jetstreamManager(nc)).consumers.delete(EVENTS_STREAM, taskEvents.durable).catch(() => undefined);
    await nc?.close();
    await tdb?.drop();
  });

  async function eventCount(): Promise<number> {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM baton_es.events`.execute(registry.db);
    return rows[0]!.n;
  }

  async function rawRegister(body: unknown): Promise<unknown> {
    return client.requestRaw(RegisterAgent.subject, JSON.stringify(body));
  }

  /** Reads `baton.evt.agent.registered` from this file's start until the event of `streamId` shows up. */
  function relayed(streamId: string): Promise<JsMsg> {
    const match = (m: JsMsg) => m.headers?.get('Baton-Stream-Id') === streamId;
    return relayedEvent(nc, { subject: Subjects.event('agent', 'registered'), since: startedAt, match, what: `${streamId} on JetStream` });
  }

  const projected = (agentId: string) => projectedAgent(client, agentId);

  it('registers an agent, appends AgentRegistered, and serves it from the read model', async () => {
    const data = newAgent({ name: 'Backend Dev', model: 'claude', lead: 'MCT-ARCH-001', peers: ['MCT-FE-001'] });
    const reply = await client.command(RegisterAgent, data, { commandId: randomUUID() });
    expect(reply).toEqual({ agentId: data.agentId, revision: 0 });

    const stream = await registry.store.readStream(agentStreamId(data.agentId));
    expect(stream.map((e) => e.type)).toEqual(['AgentRegistered']);
    expect(stream[0]!.metadata.occurredAt).toBe(NOW.toISOString());

    const msg = await relayed(agentStreamId(data.agentId));
    expect(msg.subject).toBe('baton.evt.agent.registered');
    expect(msg.headers?.get('Nats-Msg-Id')).toBe(stream[0]!.eventId);
    expect(msg.json<{ type: string; data: { agentId: string } }>()).toMatchObject({
      type: 'AgentRegistered',
      data: { agentId: data.agentId },
    });

    expect(await projected(data.agentId)).toEqual({
      agentId: data.agentId,
      name: 'Backend Dev',
      role: 'backend',
      capabilities: ['node', 'postgres'],
      model: 'claude',
      maxConcurrency: 2,
      peers: ['MCT-FE-001'],
      lead: 'MCT-ARCH-001',
      status: 'available',
      registeredAt: NOW.toISOString(),
      revision: 0,
      state: 'IDLE',
      load: 0,
      lastHeartbeatAt: null,
      performance: { tasksCompleted: 0, tasksFailed: 0, meanCompletionMs: null, errorRate: 0 },
    });
  });

  it('answers NOT_FOUND for an unknown agent', async () => {
    await expect(client.query(GetAgent, { agentId: uniqueId('nobody') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  describe('bad commands get an error reply with a code and append nothing', () => {
    const good = () => ({ commandId: randomUUID(), schemaVersion: 1, data: newAgent() });
    const cases: [string, () => string | Uint8Array, string][] = [
      ['missing data fields', () => JSON.stringify({ ...good(), data: { agentId: uniqueId('a') } }), 'VALIDATION_FAILED'],
      ['missing commandId', () => JSON.stringify({ data: newAgent() }), 'VALIDATION_FAILED'],
      ['wrong types', () => JSON.stringify({ ...good(), data: { ...newAgent(), maxConcurrency: 'two', capabilities: 'node' } }), 'VALIDATION_FAILED'],
      ['unknown fields', () => JSON.stringify({ ...good(), data: { ...newAgent(), admin: true } }), 'VALIDATION_FAILED'],
      ['a 2 MB payload', () => JSON.stringify({ ...good(), data: { ...newAgent(), name: 'x'.repeat(2 * 1024 * 1024) } }), 'PAYLOAD_TOO_LARGE'],
      ['invalid JSON', () => '{"commandId": "c-1", "data": {', 'INVALID_JSON'],
      ['an empty body', () => '', 'INVALID_JSON'],
      ['an unknown schema version', () => JSON.stringify({ ...good(), schemaVersion: 99 }), 'UNKNOWN_SCHEMA_VERSION'],
      ['an agent that leads itself', () => {
        const data = newAgent();
        return JSON.stringify({ ...good(), data: { ...data, lead: data.agentId } });
      }, 'VALIDATION_FAILED'],
    ];

    it.each(cases)('%s', async (_label, body, code) => {
      const before = await eventCount();
      const reply = await client.requestRaw(RegisterAgent.subject, body());
      expect(reply).toMatchObject({ ok: false, error: { code, message: expect.any(String) } });
      expect(await eventCount()).toBe(before);
    });
  });

  it('the same command id twice appends once and returns the same reply', async () => {
    const body = { commandId: randomUUID(), schemaVersion: 1, data: newAgent() };
    const first = await rawRegister(body);
    const second = await rawRegister(body);
    expect(first).toEqual({ ok: true, data: { agentId: body.data.agentId, revision: 0 } });
    expect(second).toEqual(first);
    expect(await registry.store.readStream(agentStreamId(body.data.agentId))).toHaveLength(1);
  });

  it('the same command id with a different body is IDEMPOTENCY_CONFLICT and appends nothing', async () => {
    const body = { commandId: randomUUID(), schemaVersion: 1, data: newAgent() };
    expect(await rawRegister(body)).toEqual({ ok: true, data: { agentId: body.data.agentId, revision: 0 } });
    const before = await eventCount();
    const reused = await rawRegister({ ...body, data: { ...body.data, role: 'frontend' } });
    expect(reused).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_CONFLICT' } });
    expect(await eventCount()).toBe(before);
    expect(await registry.store.readStream(agentStreamId(body.data.agentId))).toHaveLength(1);
  });

  it('registering an existing agent id with another command id is a CONFLICT and appends nothing', async () => {
    const data = newAgent();
    await client.command(RegisterAgent, data, { commandId: randomUUID() });
    await expect(client.command(RegisterAgent, { ...data, role: 'frontend' }, { commandId: randomUUID() })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { agentId: data.agentId },
    });
    expect(await registry.store.readStream(agentStreamId(data.agentId))).toHaveLength(1);
  });

  it('two concurrent registrations of the same new agent id append exactly one event', async () => {
    const data = newAgent();
    const replies = await Promise.all(
      [randomUUID(), randomUUID()].map((commandId) => rawRegister({ commandId, schemaVersion: 1, data })),
    );
    const oks = replies.filter((r) => (r as { ok: boolean }).ok);
    const conflicts = replies.filter((r) => !(r as { ok: boolean }).ok);
    expect(oks).toEqual([{ ok: true, data: { agentId: data.agentId, revision: 0 } }]);
    expect(conflicts).toMatchObject([{ ok: false, error: { code: 'CONFLICT' } }]);
    expect(await registry.store.readStream(agentStreamId(data.agentId))).toHaveLength(1);
  });

  it('the same command sent concurrently appends one event and both get the same reply', async () => {
    const body = { commandId: randomUUID(), schemaVersion: 1, data: newAgent() };
    const replies = await Promise.all([rawRegister(body), rawRegister(body), rawRegister(body)]);
    for (const r of replies) expect(r).toEqual({ ok: true, data: { agentId: body.data.agentId, revision: 0 } });
    expect(await registry.store.readStream(agentStreamId(body.data.agentId))).toHaveLength(1);
  });

  it('rebuilding the read model from the store gives identical rows', async () => {
    const agents = Array.from({ length: 40 }, (_, i) => newAgent({ role: `role-${i % 5}`, capabilities: [`cap-${i}`], peers: i % 2 ? ['MCT-QA-001'] : [] }));
    for (const data of agents) await client.command(RegisterAgent, data, { commandId: randomUUID() });
    const ids = agents.map((a) => a.agentId);
    await waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM agent_registry.agents WHERE agent_id = ANY(${ids})`.execute(registry.db);
        return rows[0]!.n === ids.length;
      },
      { what: 'all agents projected' },
    );
    const { checkpoint } = await registry.projection.lag();

    const checksum = async (): Promise<{ n: number; md5: string }> => {
      const { rows } = await sql<{ n: number; md5: string }>`
        SELECT count(*)::int AS n, md5(coalesce(string_agg(a::text, '|' ORDER BY agent_id), '')) AS md5
          FROM agent_registry.agents a`.execute(registry.db);
      return rows[0]!;
    };
    const before = await checksum();
    expect(before.n).toBeGreaterThanOrEqual(agents.length);

    // Damage the read model, then drop and rebuild it from the store.
    await sql`UPDATE agent_registry.agents SET online = false, state = 'ERROR', capabilities = '{}'`.execute(registry.db);
    expect((await checksum()).md5).not.toBe(before.md5);
    await registry.projection.rebuild();
    await registry.projection.waitUntilCaughtUp(checkpoint ? { until: checkpoint } : {});

    expect(await checksum()).toEqual(before);
    const lag = await registry.projection.lag();
    expect(lag).toMatchObject({ eventsBehind: 0, live: true });
  });

  it('answers /health/live and /health/ready', async () => {
    const live = await fetch(`${registry.httpUrl}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok', uptimeSeconds: expect.any(Number) });

    await registry.projection.waitUntilCaughtUp();
    const ready = await fetch(`${registry.httpUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { nats: 'up', postgres: 'up', 'projection:agents': 'up', relay: 'up' }, failing: [] });
  });

  it('/health/ready is 503 while the projection is stopped', async () => {
    await registry.projection.stop();
    try {
      const ready = await fetch(`${registry.httpUrl}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'unavailable', checks: { 'projection:agents': 'down' }, failing: ['projection:agents'] });
    } finally {
      await registry.projection.start();
    }
  });

  it('after a restart, projects what was appended while it was down, each event exactly once', async () => {
    await registry.close();
    const offline = newAgent();
    const store = await createPostgresEventStore({ connectionString: tdb.url });
    let appended;
    try {
      appended = await store.append(
        agentStreamId(offline.agentId),
        [{ type: 'AgentRegistered', data: { ...offline, registeredAt: NOW.toISOString() }, metadata: { occurredAt: NOW.toISOString() } }],
        { expectedRevision: 'no_stream' },
      );
    } finally {
      await store.close();
    }

    registry = await startAgentRegistry({
      ...serviceTestOptions(tdb.url),
      clock: { now: () => NOW },
      taskEvents,
    });
    await registry.projection.waitUntilCaughtUp({ until: appended.position });
    expect(await client.query(GetAgent, { agentId: offline.agentId })).toMatchObject({ agentId: offline.agentId, revision: 0 });

    const { rows } = await sql<{ applied: number; events: number }>`
      SELECT (SELECT events_applied::int FROM agent_registry.projection_checkpoints WHERE name = 'agents') AS applied,
             (SELECT count(*)::int FROM baton_es.events WHERE stream_id LIKE 'agent-%') AS events`.execute(registry.db);
    // Since the rebuild above, every agent event was applied once: no repeats after the restart.
    expect(rows[0]!.applied).toBe(rows[0]!.events);
    await relayed(agentStreamId(offline.agentId));
  });
});
