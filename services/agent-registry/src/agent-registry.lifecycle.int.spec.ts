import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import {
  agentStreamId,
  eventSubjectFor,
  EVENTS_STREAM,
  GetAgent,
  ListAgents,
  ReloadAgents,
  RemoveAgent,
  ReportAgentState,
  Subjects,
  taskStreamId,
  UpdateAgent,
  type AgentDetailView,
  type AgentWorkState,
  type RecordedEvent,
  type RegisterAgentData,
  type TaskEvent,
} from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, relayedEvent, serviceTestOptions, type TestDatabase, testNatsUrl, uniqueId, waitFor, testNatsAuth } from '@baton/testing';
import { newAgent } from './testing/new-agent';
import { projectedAgent, registerProjectedAgent } from './testing/projected-agents';
import { sql } from 'kysely';
import { startAgentRegistry, type AgentRegistryApp, type StartAgentRegistryOptions } from './adapters/agent-registry.app';
import type { Clock } from '@baton/aggregate';

/** The wall clock, which a test can freeze and move forward (never back). */
class TestClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | undefined;
  now(): Date {
    return new Date(this.frozenAt ?? Date.now() + this.offsetMs);
  }
  freeze(): void {
    this.frozenAt = this.now().getTime();
  }
  /** Resumes running, `ms` ahead of where it stood. */
  resumeAfter(ms: number): void {
    const target = (this.frozenAt ?? Date.now() + this.offsetMs) + ms;
    this.frozenAt = undefined;
    this.offsetMs = target - Date.now();
  }
}

/** An agents.yaml listing `agents` in this order, one line a field (lists in flow style), as an operator writes it. */
function agentsYaml(...agents: readonly ({ readonly id: string } & Readonly<Record<string, string | number | readonly string[]>>)[]): string {
  const value = (v: string | number | readonly string[]) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
  const lines = agents.flatMap(({ id, ...fields }) => [`  - id: ${id}`, ...Object.entries(fields).map(([key, v]) => `    ${key}: ${value(v)}`)]);
  return ['agents:', ...lines, ''].join('\n');
}

const WINDOW_MS = 1000;
/** The issue's bound: an agent is marked offline within 10 s of its heartbeat window ending. */
const OFFLINE_BOUND_MS = WINDOW_MS + 10_000;

describe('agent-registry lifecycle: agents.yaml, state machine, heartbeats, load (real NATS + Postgres)', () => {
  let tdb: TestDatabase;
  let registry: AgentRegistryApp;
  let nc: NatsConnection;
  let client: BatonClient;
  let dir: string;
  let agentsFile: string;
  const clock = new TestClock();
  const durable = uniqueId('agent-registry-task-load-test');
  const startedAt = new Date(Date.now() - 1000);
  const runTag = uniqueId('r').slice(2);

  const options = (): StartAgentRegistryOptions => ({
    ...serviceTestOptions(tdb.url),
    clock,
    heartbeatWindowMs: WINDOW_MS,
    timerPollIntervalMs: 100,
    agentsFile,
    taskEvents: { durable, deliverPolicy: 'new' },
  });

  const fileAgent = (n: number) => `file-${runTag}-${n}`;
  const secondFile = () =>
    agentsYaml(
      { id: fileAgent(1), name: 'Principal Software Engineer', role: 'lead', capabilities: ['triage', 'coordination', 'review'], max_concurrency: 3, peers: [fileAgent(3)] },
      { id: fileAgent(3), role: 'qa', capabilities: ['e2e'] },
    );

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'agent-registry-'));
    agentsFile = path.join(dir, 'agents.yaml');
    await writeFile(
      agentsFile,
      agentsYaml(
        { id: fileAgent(1), name: 'Principal Software Engineer', role: 'lead', capabilities: ['triage', 'coordination'], model: 'sonnet', max_concurrency: 2, peers: [fileAgent(2)] },
        { id: fileAgent(2), role: 'architect', capabilities: ['api-design'], lead: fileAgent(1) },
      ),
    );
    tdb = await createTestDatabase('agent_registry_life');
    registry = await startAgentRegistry(options());
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
    client = new BatonClient(nc, { timeoutMs: 10_000 });
  });

  afterAll(async () => {
    await registry?.close();
    if (nc) {
      const jsm = await jetstreamManager(nc);
      await jsm.consumers.delete(EVENTS_STREAM, durable).catch(() => undefined);
      await nc.close();
    }
    await tdb?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const register = (overrides: Partial<RegisterAgentData> = {}) => registerProjectedAgent(client, newAgent(overrides));
  const projected = (agentId: string, until?: (a: AgentDetailView) => boolean, timeoutMs?: number) => projectedAgent(client, agentId, until, timeoutMs);

  async function eventTypes(agentId: string): Promise<string[]> {
    return (await registry.store.readStream(agentStreamId(agentId))).map((e) => e.type);
  }

  /** Reads `subject` from this file's start until an event of `streamId` shows up. */
  function relayed(subject: string, streamId: string, timeoutMs = 15_000): Promise<JsMsg> {
    const match = (m: JsMsg) => m.headers?.get('Baton-Stream-Id') === streamId;
    return relayedEvent(nc, { subject, since: startedAt, match, what: `${streamId} on ${subject}`, timeoutMs });
  }

  function heartbeat(agentId: string, body?: unknown): void {
    nc.publish(Subjects.agentHeartbeat(agentId), JSON.stringify(body ?? { agentId, activeTasks: [] }));
  }

  /** Plays an agent that sends a heartbeat every `everyMs` until stopped. */
  function keepAlive(agentIds: readonly string[], everyMs = 150): () => void {
    const beat = () => agentIds.forEach((id) => heartbeat(id));
    beat();
    const timer = setInterval(beat, everyMs);
    return () => clearInterval(timer);
  }

  async function report(agentId: string, state: AgentWorkState, extra: { taskId?: string; reset?: boolean } = {}) {
    return client.command(ReportAgentState, { agentId, state, ...extra }, { commandId: randomUUID() });
  }

  describe('agents.yaml', () => {
    it('loads AGENTS_FILE at start', async () => {
      const lead = await projected(fileAgent(1));
      expect(lead).toMatchObject({
        agentId: fileAgent(1),
        name: 'Principal Software Engineer',
        role: 'lead',
        capabilities: ['triage', 'coordination'],
        model: 'sonnet',
        maxConcurrency: 2,
        peers: [fileAgent(2)],
        lead: null,
        state: 'IDLE',
        load: 0,
        performance: { tasksCompleted: 0, tasksFailed: 0, meanCompletionMs: null, errorRate: 0 },
      });
      expect(await projected(fileAgent(2))).toMatchObject({ role: 'architect', lead: fileAgent(1) });
      const [registered] = await registry.store.readStream(agentStreamId(fileAgent(1)));
      expect(registered!.metadata).toMatchObject({ actor: { kind: 'system', id: 'agents-file' } });
    });

    it('reload-agents adds, changes and removes agents with no restart, and a re-run changes nothing', async () => {
      const runtime = await register();
      await writeFile(agentsFile, secondFile());
      const reply = await client.command(ReloadAgents, {}, { commandId: randomUUID() });
      expect(reply).toEqual({ file: agentsFile, registered: [fileAgent(3)], updated: [fileAgent(1)], removed: [fileAgent(2)], unchanged: [] });

      expect(await projected(fileAgent(1), (a) => a.maxConcurrency === 3)).toMatchObject({
        capabilities: ['triage', 'coordination', 'review'],
        model: null,
        peers: [fileAgent(3)],
      });
      expect(await projected(fileAgent(3))).toMatchObject({ role: 'qa', capabilities: ['e2e'] });
      await waitFor(async () => client.query(GetAgent, { agentId: fileAgent(2) }).then(() => false, (err: { code?: string }) => err.code === 'NOT_FOUND'), {
        what: `${fileAgent(2)} removed from the read model`,
      });
      expect(await eventTypes(fileAgent(1))).toEqual(expect.arrayContaining(['AgentRegistered', 'AgentUpdated']));
      const updated = (await registry.store.readStream(agentStreamId(fileAgent(1)))).find((e) => e.type === 'AgentUpdated');
      expect(updated!.data).toMatchObject({ changes: { capabilities: ['triage', 'coordination', 'review'], maxConcurrency: 3, model: null, peers: [fileAgent(3)] } });
      expect(await eventTypes(fileAgent(2))).toEqual(expect.arrayContaining(['AgentRegistered', 'AgentRemoved']));
      // An agent registered at run time is not the file's to remove.
      expect(await client.query(GetAgent, { agentId: runtime.agentId })).toMatchObject({ agentId: runtime.agentId });

      const before = await Promise.all([fileAgent(1), fileAgent(2), fileAgent(3)].map(eventTypes));
      const again = await client.command(ReloadAgents, {}, { commandId: randomUUID() });
      expect(again).toEqual({ file: agentsFile, registered: [], updated: [], removed: [], unchanged: [fileAgent(1), fileAgent(3)] });
      const after = await Promise.all([fileAgent(1), fileAgent(2), fileAgent(3)].map(eventTypes));
      // Only liveness may have moved in between (no heartbeats here): no profile events.
      const profile = (types: string[]) => types.filter((t) => !['AgentWentOffline', 'AgentCameOnline'].includes(t));
      expect(after.map(profile)).toEqual(before.map(profile));
    });

    it('an invalid file is refused with the line of each problem, and changes nothing', async () => {
      await writeFile(agentsFile, agentsYaml({ id: fileAgent(1), role: 'lead' }, { id: fileAgent(4), max_concurrency: 0 }));
      const reply = await client.requestRaw(ReloadAgents.subject, JSON.stringify({ commandId: randomUUID(), data: {} }));
      expect(reply).toMatchObject({
        ok: false,
        error: {
          code: 'VALIDATION_FAILED',
          details: {
            file: agentsFile,
            issues: expect.arrayContaining([
              expect.objectContaining({ line: 4, path: 'agents.1.role' }),
              expect.objectContaining({ line: 5, col: 22, path: 'agents.1.max_concurrency' }),
            ]),
          },
        },
      });
      expect(await eventTypes(fileAgent(4))).toEqual([]);
      expect(await client.query(GetAgent, { agentId: fileAgent(3) })).toMatchObject({ agentId: fileAgent(3) });
      // Leave a valid file for the restart below (an invalid AGENTS_FILE stops start-up).
      await writeFile(agentsFile, secondFile());
    });
  });

  describe('run-time changes over NATS', () => {
    it('update-agent changes the profile, and the same values again append nothing', async () => {
      const a = await register();
      const r1 = await client.command(UpdateAgent, { agentId: a.agentId, capabilities: ['node', 'go'], lead: 'MCT-ARCH-001' }, { commandId: randomUUID() });
      expect(r1).toEqual({ agentId: a.agentId, revision: 1 });
      const r2 = await client.command(UpdateAgent, { agentId: a.agentId, capabilities: ['go', 'node'], lead: 'MCT-ARCH-001' }, { commandId: randomUUID() });
      expect(r2).toEqual({ agentId: a.agentId, revision: 1 });
      expect(await projected(a.agentId, (v) => v.revision >= 1)).toMatchObject({ capabilities: ['node', 'go'], lead: 'MCT-ARCH-001' });
      await expect(client.command(UpdateAgent, { agentId: uniqueId('nobody'), role: 'qa' }, { commandId: randomUUID() })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('remove-agent removes it at once, drops its heartbeats, and it may be registered again', async () => {
      const a = await register();
      await client.command(RemoveAgent, { agentId: a.agentId }, { commandId: randomUUID() });
      await waitFor(async () => client.query(GetAgent, { agentId: a.agentId }).then(() => false, (err: { code?: string }) => err.code === 'NOT_FOUND'), {
        what: 'agent removed from the read model',
      });
      await expect(client.command(RemoveAgent, { agentId: a.agentId }, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await registry.heartbeats.recordHeartbeat(a.agentId)).toBe('unknown-agent');
      const msg = await relayed(eventSubjectFor('agent', 'AgentRemoved'), agentStreamId(a.agentId));
      expect(msg.subject).toBe('baton.evt.agent.removed');

      await registerProjectedAgent(client, { ...a, role: 'qa' });
      expect(await projected(a.agentId)).toMatchObject({ role: 'qa', revision: 2 });
    });
  });

  describe('state machine', () => {
    it('walks the legal path over NATS and relays each change', async () => {
      const a = await register();
      const stop = keepAlive([a.agentId]);
      try {
        const path: AgentWorkState[] = ['ANALYZING', 'EXECUTING', 'BLOCKED', 'EXECUTING', 'HANDOFF', 'IDLE'];
        for (const state of path) await report(a.agentId, state, { taskId: 'task-1' });
        expect((await registry.store.readStream(agentStreamId(a.agentId))).filter((e) => e.type === 'AgentStateChanged').map((e) => e.data)).toEqual(
          path.map((to, i) => expect.objectContaining({ from: i === 0 ? 'IDLE' : path[i - 1], to, taskId: 'task-1' })),
        );
        const msg = await relayed(eventSubjectFor('agent', 'AgentStateChanged'), agentStreamId(a.agentId));
        expect(msg.subject).toBe('baton.evt.agent.state-changed');
        await report(a.agentId, 'ANALYZING');
        expect(await projected(a.agentId, (v) => v.state === 'ANALYZING')).toMatchObject({ status: 'available' });
      } finally {
        stop();
      }
    });

    it('refuses an illegal transition with ILLEGAL_TRANSITION naming from and to, and appends nothing', async () => {
      const a = await register();
      const before = await eventTypes(a.agentId);
      const reply = await client.requestRaw(
        ReportAgentState.subject,
        JSON.stringify({ commandId: randomUUID(), data: { agentId: a.agentId, state: 'HANDOFF' } }),
      );
      expect(reply).toEqual({
        ok: false,
        error: {
          code: 'ILLEGAL_TRANSITION',
          message: expect.stringContaining('IDLE to HANDOFF'),
          details: { agentId: a.agentId, from: 'IDLE', to: 'HANDOFF', allowed: ['ANALYZING', 'ERROR'] },
        },
      });
      const after = await eventTypes(a.agentId);
      expect(after.filter((t) => t === 'AgentStateChanged')).toEqual(before.filter((t) => t === 'AgentStateChanged'));
      await expect(report(a.agentId, 'IDLE', { reset: true })).resolves.toMatchObject({ agentId: a.agentId });
    });
  });

  describe('heartbeats', () => {
    it('heartbeats keep an agent online; bad heartbeats are dropped without harm', async () => {
      const a = await register();
      heartbeat(a.agentId, { nonsense: true });
      heartbeat(a.agentId, { agentId: 'someone-else' });
      nc.publish(Subjects.agentHeartbeat(a.agentId), '{not json');
      const stop = keepAlive([a.agentId]);
      try {
        const first = await projected(a.agentId, (v) => v.lastHeartbeatAt !== null);
        // Three windows of heartbeats, measured on the registry's own clock.
        await projected(a.agentId, (v) => Date.parse(v.lastHeartbeatAt!) >= Date.parse(first.lastHeartbeatAt!) + 3 * WINDOW_MS, 15_000);
        expect(await eventTypes(a.agentId)).toEqual(['AgentRegistered']);
        expect(await client.query(GetAgent, { agentId: a.agentId })).toMatchObject({ status: 'available' });
      } finally {
        stop();
      }
    });

    it('heartbeats stop: AgentWentOffline is appended and relayed within the window + 10 s; a heartbeat brings it back', async () => {
      const a = await register();
      const stop = keepAlive([a.agentId]);
      await projected(a.agentId, (v) => v.lastHeartbeatAt !== null);
      await report(a.agentId, 'ANALYZING', { taskId: 't-9' });
      await report(a.agentId, 'EXECUTING', { taskId: 't-9' });
      stop();
      const stoppedAt = Date.now();

      const msg = await relayed(eventSubjectFor('agent', 'AgentWentOffline'), agentStreamId(a.agentId), OFFLINE_BOUND_MS);
      expect(msg.subject).toBe('baton.evt.agent.went-offline');
      expect(Date.now() - stoppedAt).toBeLessThanOrEqual(OFFLINE_BOUND_MS);
      const event = msg.json<RecordedEvent<'AgentWentOffline', { agentId: string; lastHeartbeatAt: string; at: string }>>();
      expect(event.data.agentId).toBe(a.agentId);
      expect(Date.parse(event.data.at) - Date.parse(event.data.lastHeartbeatAt)).toBeGreaterThanOrEqual(WINDOW_MS);
      expect(await projected(a.agentId, (v) => v.status === 'offline')).toMatchObject({ state: 'EXECUTING' });
      expect(await client.query(ListAgents, { status: 'offline', role: 'backend' })).toMatchObject({
        agents: expect.arrayContaining([expect.objectContaining({ agentId: a.agentId })]),
      });

      heartbeat(a.agentId);
      const back = await relayed(eventSubjectFor('agent', 'AgentCameOnline'), agentStreamId(a.agentId));
      expect(back.subject).toBe('baton.evt.agent.came-online');
      const keep = keepAlive([a.agentId]);
      try {
        expect(await projected(a.agentId, (v) => v.status === 'available')).toMatchObject({ state: 'EXECUTING' });
        // Back from offline: the agent may reset to IDLE from any state.
        await report(a.agentId, 'IDLE');
        expect(await projected(a.agentId, (v) => v.state === 'IDLE')).toMatchObject({ status: 'available' });
        expect((await eventTypes(a.agentId)).filter((t) => t === 'AgentWentOffline')).toHaveLength(1);
      } finally {
        keep();
      }
    });

    it('a timer that fell due while the service was stopped fires after the restart', async () => {
      const a = await register();
      clock.freeze();
      let restartedAt: Date;
      try {
        heartbeat(a.agentId);
        await projected(a.agentId, (v) => v.lastHeartbeatAt !== null);
        await registry.close();
        const { rows } = await tdb.pool.query<{ type: string }>('SELECT type FROM baton_es.events WHERE stream_id = $1', [agentStreamId(a.agentId)]);
        expect(rows.map((r) => r.type)).toEqual(['AgentRegistered']);
      } finally {
        clock.resumeAfter(5 * WINDOW_MS);
        restartedAt = clock.now();
      }
      registry = await startAgentRegistry(options());
      const wentOffline = await waitFor(
        async () => (await registry.store.readStream(agentStreamId(a.agentId))).find((e) => e.type === 'AgentWentOffline'),
        { what: 'AgentWentOffline after the restart', timeoutMs: OFFLINE_BOUND_MS },
      );
      expect(Date.parse(wentOffline.metadata.occurredAt)).toBeGreaterThanOrEqual(restartedAt.getTime());
      await relayed(eventSubjectFor('agent', 'AgentWentOffline'), agentStreamId(a.agentId));
    });

    it('an agent that never sends a heartbeat goes offline a window after registration', async () => {
      const a = await register();
      await relayed(eventSubjectFor('agent', 'AgentWentOffline'), agentStreamId(a.agentId), OFFLINE_BOUND_MS);
      const [registered, offline] = await registry.store.readStream(agentStreamId(a.agentId));
      expect(offline!.data).toMatchObject({ lastHeartbeatAt: (registered!.data as { registeredAt: string }).registeredAt });
    });
  });

  describe('load and performance from task events', () => {
    let seq = 0;
    async function publishTask(event: TaskEvent, options: { eventId?: string; msgId?: string } = {}): Promise<{ eventId: string; duplicate: boolean }> {
      const eventId = options.eventId ?? randomUUID();
      const taskId = (event.data as { taskId: string }).taskId;
      const recorded: RecordedEvent = {
        eventId,
        type: event.type,
        schemaVersion: 1,
        streamId: taskStreamId(taskId),
        revision: seq,
        position: { commit: 1_000_000 + seq, prepare: seq },
        data: event.data,
        metadata: { occurredAt: new Date().toISOString() },
        prevHash: '0'.repeat(64),
        hash: 'f'.repeat(64),
      };
      seq++;
      const h = natsHeaders();
      h.set('Baton-Event-Type', event.type);
      h.set('Baton-Stream-Id', recorded.streamId);
      const ack = await jetstream(nc).publish(eventSubjectFor('task', event.type), JSON.stringify(recorded), { msgID: options.msgId ?? eventId, headers: h });
      return { eventId, duplicate: ack.duplicate };
    }
    const now = () => new Date().toISOString();
    const assigned = (taskId: string, agentId: string, leaseEpoch = 1): TaskEvent => ({
      type: 'TaskAssigned',
      data: { taskId, agentId, leaseEpoch, assignedAt: now(), previousAgentId: null },
    });
    const completed = (taskId: string, agentId: string, durationMs: number): TaskEvent => ({
      type: 'TaskCompleted',
      data: { taskId, agentId, leaseEpoch: 1, outputs: {}, completedAt: now(), durationMs },
    });
    const failed = (taskId: string, agentId: string): TaskEvent => ({
      type: 'TaskFailed',
      data: { taskId, agentId, leaseEpoch: 1, error: { message: 'boom', code: null }, final: false, failedAt: now() },
    });

    it('counts active tasks as load, marks the agent busy at its max concurrency, and tracks completions and failures once each', async () => {
      const a = await register({ maxConcurrency: 2 });
      const stop = keepAlive([a.agentId]);
      try {
        const [t1, t2, t3, t4] = [uniqueId('task'), uniqueId('task'), uniqueId('task'), uniqueId('task')];
        await publishTask(assigned(t1, a.agentId));
        await publishTask(assigned(t2, a.agentId));
        expect(await projected(a.agentId, (v) => v.load === 2)).toMatchObject({ status: 'busy' });
        expect(await client.query(ListAgents, { status: 'busy', role: 'backend' })).toMatchObject({
          agents: expect.arrayContaining([expect.objectContaining({ agentId: a.agentId })]),
        });

        // The same event twice with the same Nats-Msg-Id (JetStream drops it), and once more
        // under another msg id, as a relay republishing after the duplicate window would (the inbox drops it).
        const done = await publishTask(completed(t1, a.agentId, 1000));
        expect((await publishTask(completed(t1, a.agentId, 1000), { eventId: done.eventId })).duplicate).toBe(true);
        const duplicatesBefore = registry.taskEvents.stats.duplicates;
        await publishTask(completed(t1, a.agentId, 1000), { eventId: done.eventId, msgId: `${done.eventId}:republished` });
        await publishTask({ type: 'TaskReleased', data: { taskId: t2, agentId: a.agentId, leaseEpoch: 1, reason: 'released', releasedAt: now() } });
        await publishTask(assigned(t3, a.agentId));
        await publishTask(completed(t3, a.agentId, 3000));
        await waitFor(() => registry.taskEvents.stats.duplicates > duplicatesBefore, { what: 'the republished event dropped by the inbox' });

        expect(await projected(a.agentId, (v) => v.performance.tasksCompleted === 2 && v.load === 0)).toMatchObject({
          status: 'available',
          performance: { tasksCompleted: 2, tasksFailed: 0, meanCompletionMs: 2000, errorRate: 0 },
        });

        await publishTask(assigned(t4, a.agentId));
        await publishTask(failed(t4, a.agentId));
        expect(await projected(a.agentId, (v) => v.performance.tasksFailed === 1)).toMatchObject({
          status: 'available',
          load: 0,
          performance: { tasksCompleted: 2, tasksFailed: 1, meanCompletionMs: 2000, errorRate: 1 / 3 },
        });

        // Three failures in a row: error; a completion clears it.
        for (let i = 0; i < 2; i++) await publishTask(failed(uniqueId('task'), a.agentId));
        expect(await projected(a.agentId, (v) => v.performance.tasksFailed === 3)).toMatchObject({ status: 'error' });
        await publishTask(completed(uniqueId('task'), a.agentId, 500));
        expect(await projected(a.agentId, (v) => v.performance.tasksCompleted === 3)).toMatchObject({ status: 'available' });

        const cancelled = uniqueId('task');
        await publishTask(assigned(cancelled, a.agentId));
        await projected(a.agentId, (v) => v.load === 1);
        await publishTask({ type: 'TaskCancelled', data: { taskId: cancelled, reason: 'run cancelled', cancelledAt: now() } });
        await projected(a.agentId, (v) => v.load === 0);

        const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM agent_registry.consumer_inbox WHERE event_id = ${done.eventId}`.execute(registry.db);
        expect(rows[0]!.n).toBe(1);
      } finally {
        stop();
      }
    });
  });

  describe('list-agents', () => {
    it('filters by role, capability and status', async () => {
      const role = uniqueId('role');
      const cap = uniqueId('cap');
      const a = await register({ role, capabilities: [cap, 'shared'] });
      const b = await register({ role, capabilities: ['shared'] });
      const c = await register({ role, capabilities: [cap] });
      const stop = keepAlive([a.agentId, b.agentId, c.agentId]);
      try {
        await report(c.agentId, 'ERROR');
        await projected(c.agentId, (v) => v.status === 'error');
        const ids = async (filter: Parameters<typeof client.query<typeof ListAgents>>[1]) =>
          (await client.query(ListAgents, filter)).agents.map((x) => x.agentId);
        const sorted = (...xs: string[]) => [...xs].sort();
        expect(await ids({ role })).toEqual(sorted(a.agentId, b.agentId, c.agentId));
        expect(await ids({ role, capability: cap })).toEqual(sorted(a.agentId, c.agentId));
        expect(await ids({ role, status: 'error' })).toEqual([c.agentId]);
        expect(await ids({ role, status: 'available' })).toEqual(sorted(a.agentId, b.agentId));
        expect(await ids({ capability: cap, status: 'available' })).toEqual([a.agentId]);
        expect(await ids({ role: uniqueId('nobody') })).toEqual([]);
        await expect(client.query(ListAgents, { status: 'sleeping' } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      } finally {
        stop();
      }
    });
  });
});
