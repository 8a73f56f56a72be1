import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { agentStreamId, EVENTS_STREAM, GetAgent, RegisterAgent, Subjects } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, testNatsUrl, uniqueId, waitFor, type TestDatabase, testNatsAuth } from '@baton/testing';
import { startAgentRegistry, type AgentRegistryApp, type StartAgentRegistryOptions } from './adapters/agent-registry.app';
import { readAgentRegistryConfig } from './config';

const WINDOW_MS = 1000;

describe('agent-registry restarted after a downtime longer than the heartbeat window (real NATS + Postgres)', () => {
  let tdb: TestDatabase;
  let registry: AgentRegistryApp | undefined;
  let nc: NatsConnection;
  let client: BatonClient;
  const durable = uniqueId('agent-registry-restart-load');
  const beating = new Set<string>();
  let beat: NodeJS.Timeout | undefined;

  // The service's own configuration path, with a short window for the test.
  const options = (): StartAgentRegistryOptions => ({
    ...readAgentRegistryConfig({ DATABASE_URL: tdb.url, NATS_URL: testNatsUrl(), HTTP_PORT: '0', HEARTBEAT_WINDOW_MS: String(WINDOW_MS) }),
    httpHost: '127.0.0.1',
    logger: false,
    timerPollIntervalMs: 100,
    taskEvents: { durable, deliverPolicy: 'new' },
  });

  beforeAll(async () => {
    tdb = await createTestDatabase('agent_registry_restart');
    registry = await startAgentRegistry(options());
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
    client = new BatonClient(nc, { timeoutMs: 10_000 });
    // Agents heartbeat every 150 ms whether or not a registry is listening, as real ones do.
    beat = setInterval(() => {
      for (const agentId of beating) nc.publish(Subjects.agentHeartbeat(agentId), JSON.stringify({ agentId, activeTasks: [] }));
    }, 150);
  });

  afterAll(async () => {
    if (beat) clearInterval(beat);
    await registry?.close();
    if (nc) {
      await (await jetstreamManager(nc)).consumers.delete(EVENTS_STREAM, durable).catch(() => undefined);
      await nc.close();
    }
    await tdb?.drop();
  });

  async function register(): Promise<string> {
    const agentId = uniqueId('MCT-BE');
    await client.command(RegisterAgent, { agentId, role: 'backend', capabilities: ['node'], maxConcurrency: 1, peers: [] }, { commandId: randomUUID() });
    return agentId;
  }

  const events = async (agentId: string) => (await registry!.store.readStream(agentStreamId(agentId))).map((e) => ({ type: e.type, at: e.metadata.occurredAt }));

  it('marks nobody offline for the downtime; an agent silent for a whole window after the restart still goes offline', async () => {
    const healthy = [await register(), await register()];
    const silent = await register();
    for (const id of [...healthy, silent]) beating.add(id);
    for (const id of [...healthy, silent]) {
      await waitFor(async () => (await client.query(GetAgent, { agentId: id })).lastHeartbeatAt !== null, { what: `a heartbeat of ${id} recorded` });
    }

    // The silent agent dies with the registry; the healthy ones keep heartbeating into the void.
    beating.delete(silent);
    await registry!.close();
    registry = undefined;
    // The downtime under test: more than two windows with no registry listening.
    await sleep(2.5 * WINDOW_MS);
    const restartedAt = Date.now();
    registry = await startAgentRegistry(options());

    const offline = await waitFor(
      async () => (await events(silent)).find((e) => e.type === 'AgentWentOffline'),
      { what: `the silent agent ${silent} marked offline after the restart`, timeoutMs: WINDOW_MS + 10_000 },
    );
    // The healthy agents' timers were due as early as the silent one's: had they fired, it shows by now.
    for (const id of healthy) {
      expect((await events(id)).map((e) => e.type)).toEqual(['AgentRegistered']);
      expect(await client.query(GetAgent, { agentId: id })).toMatchObject({ status: expect.not.stringMatching(/offline/) });
    }
    // A fresh window from the restart, not from its last heartbeat before the downtime.
    expect(Date.parse(offline.at) - restartedAt).toBeGreaterThanOrEqual(WINDOW_MS);
  });
});
