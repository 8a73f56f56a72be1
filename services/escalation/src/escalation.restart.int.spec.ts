import { connect, type NatsConnection } from '@nats-io/transport-node';
import { manualClock } from '@baton/aggregate';
import { escalationStreamId, GetEscalation, taskStreamId, type EscalationView } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, publishRelayedEvent, serviceTestOptions, type TestDatabase, testNatsUrl, uniqueId, waitFor, testNatsAuth } from '@baton/testing';
import { sql } from 'kysely';
import { startEscalation, type EscalationApp, type StartEscalationOptions } from './adapters/escalation.app';
import { blockedEscalationId, handoffAckEscalationId } from './domain';
import { serveRegistry, stopEscalationTest, type RegistryAgent } from './testing/escalation-inputs';
import { HOUR, MIN } from './testing/timeline';

const T0 = new Date('2026-12-02T09:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('escalation across a restart (real NATS + Postgres): timers and accepted events survive', () => {
  let tdb: TestDatabase;
  let nc: NatsConnection;
  let client: BatonClient;
  let stopRegistry: () => void;
  let app: EscalationApp | undefined;
  const clock = manualClock(T0);
  const durable = uniqueId('escalation-restart-test');
  const agents = new Map<string, RegistryAgent>();

  const options = (pollIntervalMs: number): StartEscalationOptions => ({
    ...serviceTestOptions(tdb.url),
    clock,
    pollIntervalMs,
    inputs: { durable, deliverPolicy: 'new' },
  });

  beforeAll(async () => {
    tdb = await createTestDatabase('escalation_restart');
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
    client = new BatonClient(nc, { timeoutMs: 10_000 });
    stopRegistry = serveRegistry(nc, agents, T0);
  });

  afterAll(() => stopEscalationTest({ stopRegistry, app, nc, durable, tdb }));

  const block = async (taskId: string, agentId: string, blockedAt: Date) => {
    await publishRelayedEvent(nc, taskStreamId(taskId), 'TaskAssigned', { taskId, agentId, leaseEpoch: 1, assignedAt: T0.toISOString(), previousAgentId: null }, T0);
    await publishRelayedEvent(nc, taskStreamId(taskId), 'TaskBlocked', { taskId, agentId, leaseEpoch: 1, reason: 'waiting on review', blockedAt: blockedAt.toISOString() }, blockedAt);
  };
  const watched = (escalationId: string) =>
    waitFor(async () => {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM baton_escalation.watches WHERE escalation_id = ${escalationId} AND open`.execute(app!.db);
      return rows[0]!.n === 1;
    }, { what: `watch ${escalationId}` });
  const projected = (escalationId: string, until: (v: EscalationView) => boolean) =>
    waitFor(
      async () => {
        const v = await client.query(GetEscalation, { escalationId }).catch(() => undefined);
        return v && until(v) ? v : undefined;
      },
      { what: `escalation ${escalationId}`, timeoutMs: 20_000 },
    );
  const typesOf = async (escalationId: string) => (await app!.store.readStream(escalationStreamId(escalationId))).map((e) => e.type);

  it('a climb due while the service was down happens once on the new instance; events published while it was down are not lost', async () => {
    const agentId = uniqueId('MCT-PM');
    const lead = uniqueId('MCT-CPO');
    agents.set(agentId, { peers: [uniqueId('MCT-PM')], lead });

    app = await startEscalation(options(3_600_000));
    const first = uniqueId('task');
    await block(first, agentId, T0);
    const firstId = blockedEscalationId(first, T0);
    await watched(firstId);
    clock.set(at(31 * MIN));
    await app.timers.fireDueTimers();
    await projected(firstId, (v) => v.level === 1);

    const second = uniqueId('task');
    await block(second, agentId, at(10 * MIN));
    const secondId = blockedEscalationId(second, at(10 * MIN));
    await watched(secondId);

    // Stop; a task blocks while the service is down; the clock passes the L2 threshold of the first.
    await app.close();
    app = undefined;
    const third = uniqueId('task');
    await block(third, agentId, at(HOUR));
    const thirdId = blockedEscalationId(third, at(HOUR));
    clock.set(at(2 * HOUR + MIN));

    // A new instance on the same database; its own poller (every 100 ms) fires what fell due.
    app = await startEscalation(options(100));
    expect(await projected(firstId, (v) => v.level === 2)).toMatchObject({ assignee: { kind: 'agent', id: lead } });
    // Blocked 1 h 51 min and 1 h 1 min ago: raised straight at L1 (the second from before the stop, the third from while down).
    expect(await projected(secondId, () => true)).toMatchObject({ level: 1, issue: expect.stringContaining('blocked for 1 h 51 min') });
    expect(await projected(thirdId, () => true)).toMatchObject({ level: 1, issue: expect.stringContaining('blocked for 1 h 1 min') });

    // Firing again, from several pollers at once, changes nothing: the climb happened once.
    await Promise.all([app.timers.fireDueTimers(), app.timers.fireDueTimers(), app.timers.fireDueTimers()]);
    expect(await typesOf(firstId)).toEqual(['EscalationRaised', 'EscalationLevelRaised']);
    const [, climbed] = await app.store.readStream(escalationStreamId(firstId));
    expect(climbed!.data).toMatchObject({ from: 1, to: 2 });

    // A crash after the append but before the timer was settled would leave the timer at its old
    // due time: firing it again appends nothing and re-arms it for L3.
    await sql`UPDATE baton_escalation.timers SET due_at = ${at(2 * HOUR)} WHERE timer_id = ${`climb:${firstId}`}`.execute(app.db);
    await app.timers.fireDueTimers();
    expect(await typesOf(firstId)).toEqual(['EscalationRaised', 'EscalationLevelRaised']);
    const { rows } = await sql<{ due_at: Date }>`SELECT due_at FROM baton_escalation.timers WHERE timer_id = ${`climb:${firstId}`}`.execute(app.db);
    expect(rows[0]!.due_at.toISOString()).toBe(at(4 * HOUR).toISOString());

    clock.set(at(4 * HOUR + MIN));
    expect(await projected(firstId, (v) => v.level === 3)).toMatchObject({ assignee: { kind: 'human', id: 'human' } });
    expect(await typesOf(firstId)).toEqual(['EscalationRaised', 'EscalationLevelRaised', 'EscalationLevelRaised']);
  });

  it('a handoff SLA clock started before a stop raises its breach after the restart, once', async () => {
    await app?.close();
    app = await startEscalation(options(3_600_000));
    const agentId = uniqueId('MCT-ARCH');
    const peer = uniqueId('MCT-ARCH');
    agents.set(agentId, { peers: [peer], lead: null });
    const taskId = uniqueId('task');
    const assignedAt = at(10 * HOUR);
    clock.set(assignedAt);
    const handoffSla = { specIds: ['HO-PM-ARCH'], acknowledgmentMs: 30 * MIN, firstOutputMs: null };
    await publishRelayedEvent(
      nc,
      taskStreamId(taskId),
      'TaskCreated',
      { taskId, runId: null, stageId: null, action: 'design_architecture', requirement: { capabilities: [] }, priority: 'P1', inputs: { handoffSla }, createdAt: assignedAt.toISOString() },
      assignedAt,
    );
    await publishRelayedEvent(nc, taskStreamId(taskId), 'TaskAssigned', { taskId, agentId, leaseEpoch: 1, assignedAt: assignedAt.toISOString(), previousAgentId: null }, assignedAt);
    const id = handoffAckEscalationId(taskId);
    await watched(id);

    // Stopped before the SLA runs out; started again after it.
    await app.close();
    app = undefined;
    clock.set(new Date(assignedAt.getTime() + 31 * MIN));
    app = await startEscalation(options(100));
    expect(await projected(id, () => true)).toMatchObject({
      trigger: 'sla_breach',
      level: 1,
      assignee: { kind: 'agent', id: peer },
      issue: `Handoff HO-PM-ARCH: ${agentId} did not acknowledge task ${taskId} (design_architecture) within 30 min`,
      blocking: `Task ${taskId} (design_architecture)`,
    });
    await Promise.all([app.timers.fireDueTimers(), app.timers.fireDueTimers(), app.timers.fireDueTimers()]);
    expect(await typesOf(id)).toEqual(['EscalationRaised']);
  });
});
