import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  CancelTask,
  CompleteTask,
  FailTask,
  GetTask,
  ListTasks,
  SubmitTask,
  taskStreamId,
  type AgentInboxAssignment,
  type SubmitTaskData,
  type TaskView,
} from '@baton/contracts';
import { createPostgresEventStore } from '@baton/event-store';
import { BatonClient } from '@baton/messaging';
import { createKysely, ProjectionRunner } from '@baton/read-models';
import { relayedEvent, testNatsUrl, uniqueId, waitFor } from '@baton/testing';
import type { SchedulerApp } from './adapters/scheduler.app';
import { resetConflicts, TASKS_AND_CONFLICTS_FILTER, withConflictEvents } from './read-model/conflict.projection';
import { SCHEDULER_SCHEMA, type SchedulerDatabase } from './read-model/scheduler.tables';
import { resetTasks, taskProjection, TASKS_PROJECTION } from './read-model/task.projection';
import { FakeAgentRegistry } from './testing/agent-events';
import { RawNatsAgent } from './testing/raw-nats-agent';
import { readUntil, startSchedulerHarness, type SchedulerHarness } from './testing/test-scheduler';

describe('scheduler task engine (real NATS + Postgres, in-process)', () => {
  let harness: SchedulerHarness;
  let scheduler: SchedulerApp;
  let nc: NatsConnection;
  let client: BatonClient;
  let registry: FakeAgentRegistry;
  const agents: RawNatsAgent[] = [];
  // Wall-clock start of this file, only to start reading JetStream from here.
  const startedAt = new Date(Date.now() - 1000);

  beforeAll(async () => {
    harness = await startSchedulerHarness('scheduler', { dispatchPollMs: 1000 });
    ({ scheduler, nc, client, registry } = harness);
  });

  afterAll(async () => {
    for (const a of agents) await a.close();
    await harness?.close();
  });

  const submit = (data: Partial<SubmitTaskData> & { requirement: SubmitTaskData['requirement'] }) =>
    client.command(SubmitTask, { action: 'implement', priority: 'P1', inputs: {}, ...data }, { commandId: randomUUID() });

  const task = (taskId: string) => client.query(GetTask, { taskId });

  const taskWhere = (taskId: string, ok: (t: TaskView) => boolean, what: string, timeoutMs = 15_000) =>
    readUntil(() => task(taskId), ok, { what: `task ${taskId} ${what}`, timeoutMs });

  async function agentKnown(agentId: string, online = true): Promise<void> {
    await waitFor(
      async () => {
        const row = await scheduler.db.selectFrom('scheduler.agents').select('online').where('agent_id', '=', agentId).executeTakeFirst();
        return row?.online === online;
      },
      { what: `agent ${agentId} ${online ? 'online' : 'offline'} in the scheduler` },
    );
  }

  async function registerAgent(capabilities: string[], maxConcurrency = 1, role = 'backend'): Promise<string> {
    const agentId = uniqueId('agent');
    await registry.register(agentId, { role, capabilities, maxConcurrency });
    await agentKnown(agentId);
    return agentId;
  }

  async function rawAgent(agentId: string, capabilities: string[]): Promise<RawNatsAgent> {
    const a = await RawNatsAgent.connect({ url: testNatsUrl(), agentId, role: 'backend', capabilities, retryForMs: 20_000 });
    agents.push(a);
    return a;
  }

  const eventTypes = async (taskId: string) => (await scheduler.store.readStream(taskStreamId(taskId))).map((e) => e.type);

  /** A new agent with one slot and a capability only it has, and a task (plain, `data` added) once assigned to it. */
  async function assignedTask(data: Partial<SubmitTaskData> = {}): Promise<{ cap: string; agentId: string; taskId: string }> {
    const cap = uniqueId('cap');
    const agentId = await registerAgent([cap], 1);
    const { taskId } = await submit({ requirement: { capabilities: [cap] }, ...data });
    await taskWhere(taskId, (t) => t.status === 'assigned' && t.agentId === agentId, `assigned to ${agentId}`);
    return { cap, agentId, taskId };
  }

  it('answers /health/live and /health/ready', async () => {
    expect((await fetch(`${scheduler.httpUrl}/health/live`)).status).toBe(200);
    await waitFor(async () => (await fetch(`${scheduler.httpUrl}/health/ready`)).status === 200, { what: 'ready' });
  });

  it('assigns a P0 submitted behind 50 queued P2 tasks first', async () => {
    const cap = uniqueId('cap');
    const p2 = [];
    for (let i = 0; i < 50; i++) p2.push((await submit({ requirement: { capabilities: [cap] }, priority: 'P2' })).taskId);
    const { taskId: p0 } = await submit({ requirement: { capabilities: [cap] }, priority: 'P0' });
    await taskWhere(p0, (t) => t.status === 'queued', 'queued');
    await taskWhere(p2[49]!, (t) => t.status === 'queued', 'queued');

    const agentId = await registerAgent([cap], 1);
    const assigned = await taskWhere(p0, (t) => t.status === 'assigned', 'assigned');
    expect(assigned.agentId).toBe(agentId);
    expect(assigned.leaseEpoch).toBe(1);
    const held = await client.query(ListTasks, { agentId, limit: 100 });
    expect(held.tasks.map((t) => t.taskId)).toEqual([p0]);
  });

  it('matches capabilities and prefers the least loaded agent', async () => {
    const cap = uniqueId('cap');
    const rare = uniqueId('rare');
    const generalist = await registerAgent([cap, rare], 3);
    const specialist = await registerAgent([cap], 3);

    const { taskId: needsRare } = await submit({ requirement: { capabilities: [cap, rare] } });
    expect((await taskWhere(needsRare, (t) => t.status === 'assigned', 'assigned')).agentId).toBe(generalist);

    // The generalist now holds one task; the next common task goes to the idle specialist.
    const { taskId: common } = await submit({ requirement: { capabilities: [cap] } });
    expect((await taskWhere(common, (t) => t.status === 'assigned', 'assigned')).agentId).toBe(specialist);
    const { taskId: common2 } = await submit({ requirement: { capabilities: [cap] }, priority: 'P0' });
    const third = await taskWhere(common2, (t) => t.status === 'assigned', 'assigned');
    expect([generalist, specialist]).toContain(third.agentId);
  });

  it('never gives an agent more than its max concurrency', async () => {
    const cap = uniqueId('cap');
    const agentId = await registerAgent([cap], 2);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await submit({ requirement: { capabilities: [cap] } })).taskId);
    await waitFor(async () => (await client.query(ListTasks, { agentId, limit: 10 })).tasks.length === 2, { what: 'two assigned' });
    // Another task and a wake-up make the dispatcher look again; still two.
    const { taskId: extra } = await submit({ requirement: { capabilities: [cap] } });
    await taskWhere(extra, (t) => t.status === 'queued', 'queued');
    scheduler.wakeDispatcher();
    await scheduler.projection.waitUntilCaughtUp();
    const views = await Promise.all([...ids, extra].map(task));
    expect(views.filter((v) => v.status === 'assigned')).toHaveLength(2);
    expect(views.filter((v) => v.status === 'queued')).toHaveLength(4);
  });

  it('creates a task already assigned, in one append, when nothing waits and an agent has a slot free; concurrent creations stay within max concurrency', async () => {
    const cap = uniqueId('cap');
    const agentId = await registerAgent([cap], 3);
    const events = (taskId: string) => scheduler.store.readStream(taskStreamId(taskId));
    // The dispatcher plans at creation from its last pass's read of the agents (at most a second
    // old, and only when no task left waiting could go to that agent): the first task may go
    // through a pass, one right after it is created assigned.
    let oneAppend: string | undefined;
    for (let attempt = 0; attempt < 5 && oneAppend === undefined; attempt++) {
      const { taskId } = await submit({ requirement: { capabilities: [cap] } });
      const e = await events(taskId);
      if (e.length === 2 && e[1]!.type === 'TaskAssigned' && e[0]!.position.commit === e[1]!.position.commit) oneAppend = taskId;
      const assigned = await taskWhere(taskId, (t) => t.status === 'assigned', 'assigned');
      await client.command(CompleteTask, { taskId, agentId, leaseEpoch: assigned.leaseEpoch, outputs: {} }, { commandId: randomUUID() });
    }
    expect(oneAppend).toBeDefined();
    expect((await events(oneAppend!)).slice(0, 2).map((e) => [e.type, e.revision])).toEqual([
      ['TaskCreated', 0],
      ['TaskAssigned', 1],
    ]);
    expect(await taskWhere(oneAppend!, (t) => t.status === 'completed', 'completed')).toMatchObject({ agentId, leaseEpoch: 1 });

    // Eight at once: whichever way each is planned (at creation or by a pass), three held at most.
    const ids = await Promise.all(Array.from({ length: 8 }, async () => (await submit({ requirement: { capabilities: [cap] } })).taskId));
    await waitFor(async () => (await client.query(ListTasks, { agentId, limit: 20 })).tasks.filter((t) => t.status === 'assigned').length === 3, { what: 'three assigned' });
    scheduler.wakeDispatcher();
    await scheduler.projection.waitUntilCaughtUp();
    const views = await Promise.all(ids.map(task));
    expect(views.filter((v) => v.status === 'assigned')).toHaveLength(3);
    expect(views.filter((v) => v.status === 'queued')).toHaveLength(5);
    const assignedInStore = (await Promise.all(ids.map(eventTypes))).filter((types) => types.includes('TaskAssigned'));
    expect(assignedInStore).toHaveLength(3);
  });

  it('lets go of the tasks it created assigned as soon as the tasks read model shows them, not at the next pass', async () => {
    const cap = uniqueId('cap');
    const agentId = await registerAgent([cap], 2);
    for (let i = 0; i < 30; i++) {
      const { taskId } = await submit({ requirement: { capabilities: [cap] } });
      const assigned = await taskWhere(taskId, (t) => t.status === 'assigned', 'assigned');
      await client.command(CompleteTask, { taskId, agentId, leaseEpoch: assigned.leaseEpoch, outputs: {} }, { commandId: randomUUID() });
    }
    // The read model's applying the last events is what lets go of them (passes are rare when
    // tasks are created assigned, and every creation plans against what is remembered). Events
    // it applies while a pass is under way (the idle poll's, every 500 ms here) are let go at
    // that pass's end, not before: its plan may rest on a read from before them (CI on
    // 9999936: 1 remembered, read during such a pass).
    await scheduler.projection.waitUntilCaughtUp();
    await scheduler.dispatcherPassEnded();
    expect(scheduler.dispatcherInFlight()).toBe(0);
  });

  it("frees an agent's slot when its completion commits, before the tasks read model shows it", async () => {
    const cap = uniqueId('cap');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await submit({ requirement: { capabilities: [cap] } })).taskId);
    await taskWhere(ids[1]!, (t) => t.status === 'queued', 'queued');
    const assigned = async () => (await Promise.all(ids.map(eventTypes))).filter((types) => types.includes('TaskAssigned')).length;
    await scheduler.projection.stop();
    try {
      const agentId = await registerAgent([cap], 1);
      await waitFor(async () => ((await assigned()) === 1 ? true : undefined), { what: 'one assigned in the store', timeoutMs: 5000 });
      const first = (await Promise.all(ids.map(async (id) => ((await eventTypes(id)).includes('TaskAssigned') ? id : undefined)))).find((id) => id !== undefined)!;
      await client.command(CompleteTask, { taskId: first, agentId, leaseEpoch: 1, outputs: {} }, { commandId: randomUUID() });
      // The read model still shows the first task held, yet the agent gets the second.
      await waitFor(async () => ((await assigned()) === 2 ? true : undefined), { what: 'the second assigned in the store', timeoutMs: 5000 });
      const second = ids.find((id) => id !== first)!;
      await scheduler.projection.start();
      await taskWhere(first, (t) => t.status === 'completed', 'completed in the read model');
      await taskWhere(second, (t) => t.status === 'assigned' && t.agentId === agentId, 'assigned in the read model');
    } finally {
      await scheduler.projection.start();
    }
  });

  it('assigns a task submitted here before the tasks read model shows it; one with constraints waits for the read model', async () => {
    const cap = uniqueId('cap');
    await registerAgent([cap], 5);
    let constrained: string | undefined;
    await scheduler.projection.stop();
    try {
      const { taskId: plain } = await submit({ requirement: { capabilities: [cap] } });
      await waitFor(async () => ((await eventTypes(plain)).includes('TaskAssigned') ? true : undefined), { what: 'assigned in the store while the read model is stopped', timeoutMs: 5000 });
      // Its files are read by the conflict check from the read model, so it is not planned from memory.
      ({ taskId: constrained } = await submit({ requirement: { capabilities: [cap] }, inputs: { files: [`src/${cap}.ts`] } }));
      scheduler.wakeDispatcher();
      await new Promise((r) => setTimeout(r, 300));
      expect(await eventTypes(constrained)).toEqual(['TaskCreated']);
    } finally {
      await scheduler.projection.start();
    }
    await taskWhere(constrained!, (t) => t.status === 'assigned', 'assigned once the read model shows it');
  });

  it('keeps dispatching while the tasks read model is behind, within max concurrency', async () => {
    const cap = uniqueId('cap');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit({ requirement: { capabilities: [cap] } })).taskId);
    await taskWhere(ids[4]!, (t) => t.status === 'queued', 'queued');
    const assignedInStore = async () => {
      const streams = await Promise.all(ids.map(eventTypes));
      return streams.filter((types) => types.includes('TaskAssigned')).length;
    };
    // The read model stops moving: every task still shows queued, every agent idle.
    await scheduler.projection.stop();
    try {
      await registerAgent([cap], 2);
      await waitFor(async () => ((await assignedInStore()) === 2 ? true : undefined), { what: 'two assigned in the store', timeoutMs: 5000 });
      // A second agent is served at once: the dispatcher does not wait for the read model.
      await registerAgent([cap], 2);
      await waitFor(async () => ((await assignedInStore()) === 4 ? true : undefined), { what: 'four assigned in the store', timeoutMs: 5000 });
      scheduler.wakeDispatcher();
      await new Promise((r) => setTimeout(r, 300));
      expect(await assignedInStore()).toBe(4);
    } finally {
      await scheduler.projection.start();
    }
    await scheduler.projection.waitUntilCaughtUp();
    const views = await Promise.all(ids.map(task));
    expect(views.filter((v) => v.status === 'assigned')).toHaveLength(4);
    expect(views.filter((v) => v.status === 'queued')).toHaveLength(1);
    // Each stream got at most one assignment (no conflicting re-decisions appended anything).
    for (const id of ids) expect((await eventTypes(id)).filter((t) => t === 'TaskAssigned').length).toBeLessThanOrEqual(1);
  });

  it('a raw-NATS agent gets its assignment from its inbox, accepts, reports progress, blocks, unblocks and completes', async () => {
    const cap = uniqueId('cap');
    const agentId = await registerAgent([cap], 1);
    const agent = await rawAgent(agentId, [cap]);
    agent.startHeartbeat();
    const received: AgentInboxAssignment[] = [];
    await agent.consumeInbox(async (a) => {
      received.push(a);
      await agent.accept(a);
      await agent.progress(a, 50, 'half way', 1200);
      await agent.blocked(a, 'waiting for a review');
      await agent.unblocked(a);
      await agent.complete(a, { pr: 'https://example.test/pr/1' });
    });

    const { taskId } = await submit({ requirement: { capabilities: [cap] }, action: 'write-code', inputs: { spec: 'S-1' }, runId: 'run-1', stageId: 'build' });
    const done = await taskWhere(taskId, (t) => t.status === 'completed', 'completed');
    expect(received).toEqual([
      {
        kind: 'task.assigned',
        taskId,
        runId: 'run-1',
        stageId: 'build',
        action: 'write-code',
        inputs: { spec: 'S-1' },
        priority: 'P1',
        leaseEpoch: 1,
        attempt: 1,
        assignedAt: expect.any(String),
      },
    ]);
    expect(done).toMatchObject({ agentId, outputs: { pr: 'https://example.test/pr/1' }, tokensUsed: 1200, progressMessage: 'half way', percent: 100 });
    expect(await eventTypes(taskId)).toEqual([
      'TaskCreated',
      'TaskAssigned',
      'TaskAccepted',
      'TaskProgressReported',
      'TaskBlocked',
      'TaskUnblocked',
      'TaskCompleted',
    ]);
    // The relay published the task's events to JetStream from the store (msgID = event id).
    const completed = (await scheduler.store.readStream(taskStreamId(taskId))).find((e) => e.type === 'TaskCompleted')!;
    const msg = await relayedEvent(nc, {
      subject: 'baton.evt.task.completed',
      since: startedAt,
      match: (m) => m.headers?.get('Nats-Msg-Id') === completed.eventId,
      what: 'TaskCompleted on baton.evt.task.completed',
    });
    expect(msg.json<{ type: string; data: { taskId: string } }>()).toMatchObject({ type: 'TaskCompleted', data: { taskId } });
    // Completing again is idempotent: no second TaskCompleted.
    const again = await client.command(CompleteTask, { taskId, agentId, leaseEpoch: 1, outputs: {} }, { commandId: randomUUID() });
    expect(again).toMatchObject({ status: 'completed', leaseEpoch: 1 });
    expect((await eventTypes(taskId)).filter((t) => t === 'TaskCompleted')).toHaveLength(1);
  });

  it('an agent that was offline when the task was assigned receives it when it connects', async () => {
    const { cap, agentId, taskId } = await assignedTask();

    const agent = await rawAgent(agentId, [cap]);
    const got = new Promise<AgentInboxAssignment>((resolve) => {
      void agent.consumeInbox(async (a) => resolve(a));
    });
    const assignment = await got;
    expect(assignment).toMatchObject({ taskId, leaseEpoch: 1 });
    await agent.accept(assignment);
    await agent.complete(assignment, { ok: true });
    await taskWhere(taskId, (t) => t.status === 'completed', 'completed');
  });

  it('two agents claiming one task: exactly one wins, the other gets CONFLICT', async () => {
    // Pull only: give up the dispatcher lease so nothing is pushed meanwhile.
    await scheduler.lease.stop();
    try {
      const role = uniqueId('claimer');
      const a1 = await registerAgent([], 1, role);
      const a2 = await registerAgent([], 1, role);
      const { taskId } = await submit({ requirement: { role, capabilities: [] } });
      await taskWhere(taskId, (t) => t.status === 'queued', 'queued');
      const [r1, r2] = await Promise.allSettled([
        (await rawAgent(a1, [])).claim(taskId),
        (await rawAgent(a2, [])).claim(taskId),
      ]);
      const results = [r1, r2];
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
      expect((won[0] as PromiseFulfilledResult<AgentInboxAssignment>).value).toMatchObject({ taskId, leaseEpoch: 1 });
      expect((await eventTypes(taskId)).filter((t) => t === 'TaskAssigned')).toHaveLength(1);
    } finally {
      await scheduler.lease.start();
    }
  });

  it('reassigns the task of an agent that went offline mid-task; the presumed-dead agent is refused with STALE_LEASE', async () => {
    const { cap, agentId: first, taskId } = await assignedTask();
    const dead = await rawAgent(first, [cap]);
    await dead.accept({ taskId, leaseEpoch: 1 });
    await dead.progress({ taskId, leaseEpoch: 1 }, 30, 'started', 100);

    // A second capable agent with a raw-NATS worker that completes what it gets.
    const second = await registerAgent([cap], 1);
    const worker = await rawAgent(second, [cap]);
    await worker.consumeInbox(async (a) => {
      await worker.accept(a);
      await worker.complete(a, { by: second });
    });

    await registry.wentOffline(first);
    const done = await taskWhere(taskId, (t) => t.status === 'completed', 'completed by the second agent');
    expect(done).toMatchObject({ agentId: second, leaseEpoch: 2, outputs: { by: second } });
    const stream = await scheduler.store.readStream(taskStreamId(taskId));
    expect(stream.find((e) => e.type === 'TaskReleased')?.data).toMatchObject({ agentId: first, leaseEpoch: 1, reason: 'agent_offline' });
    expect(stream.filter((e) => e.type === 'TaskAssigned').map((e) => e.data)).toMatchObject([
      { agentId: first, leaseEpoch: 1 },
      { agentId: second, leaseEpoch: 2, previousAgentId: first },
    ]);

    // The first agent comes back and reports as if nothing happened.
    await registry.cameOnline(first);
    await expect(dead.complete({ taskId, leaseEpoch: 1 }, { late: true })).rejects.toMatchObject({ code: 'STALE_LEASE' });
    await expect(dead.progress({ taskId, leaseEpoch: 1 }, 90, 'still here', 500)).rejects.toMatchObject({ code: 'STALE_LEASE' });
    expect((await eventTypes(taskId)).filter((t) => t === 'TaskCompleted')).toHaveLength(1);
    expect((await task(taskId)).outputs).toEqual({ by: second });
  });

  it('retries a retryable failure after its back-off, then completes', async () => {
    const { agentId, taskId } = await assignedTask({ maxAttempts: 3, retry: { kind: 'linear', baseMs: 400, maxMs: 400 } });
    await client.command(FailTask, { taskId, agentId, leaseEpoch: 1, error: { message: 'rate limited', code: 'E_RATE' }, retryable: true }, { commandId: randomUUID() });

    const retried = await taskWhere(taskId, (t) => t.status === 'assigned' && t.leaseEpoch === 2, 'assigned again');
    expect(retried).toMatchObject({ attempt: 2, agentId });
    const stream = await scheduler.store.readStream(taskStreamId(taskId));
    const failed = stream.find((e) => e.type === 'TaskFailed')!.data as { failedAt: string; retryAt: string; final: boolean };
    const reassigned = stream.filter((e) => e.type === 'TaskAssigned')[1]!.data as { assignedAt: string };
    expect(failed.final).toBe(false);
    expect(Date.parse(failed.retryAt) - Date.parse(failed.failedAt)).toBe(400);
    expect(Date.parse(reassigned.assignedAt)).toBeGreaterThanOrEqual(Date.parse(failed.retryAt));

    await client.command(CompleteTask, { taskId, agentId, leaseEpoch: 2, outputs: { attempt: 2 } }, { commandId: randomUUID() });
    await taskWhere(taskId, (t) => t.status === 'completed', 'completed');
  });

  it('releases a task whose attempt timed out (durable timer) and gives it out again', async () => {
    const { agentId, taskId } = await assignedTask({ timeoutMs: 300, maxAttempts: 2 });
    const again = await taskWhere(taskId, (t) => t.status === 'assigned' && t.leaseEpoch === 2, 'assigned again after the time-out');
    expect(again).toMatchObject({ agentId, attempt: 2 });
    const stream = await scheduler.store.readStream(taskStreamId(taskId));
    expect(stream.find((e) => e.type === 'TaskReleased')?.data).toMatchObject({ reason: 'timed_out', leaseEpoch: 1 });
    // The second attempt is the last one: its time-out fails the task for good.
    const failed = await taskWhere(taskId, (t) => t.status === 'failed', 'failed');
    expect(failed.error).toEqual({ message: 'attempt 2 timed out', code: 'TIMEOUT' });
  });

  it('lists tasks by run, claims the first task an agent can take, and cancels', async () => {
    await scheduler.lease.stop();
    try {
      const role = uniqueId('puller');
      const runId = uniqueId('run');
      const agentId = await registerAgent([], 1, role);
      const { taskId: low } = await submit({ requirement: { role, capabilities: [] }, priority: 'P2', runId, stageId: 's1' });
      const { taskId: high } = await submit({ requirement: { role, capabilities: [] }, priority: 'P0', runId, stageId: 's2' });
      await taskWhere(high, (t) => t.status === 'queued', 'queued');
      const listed = await client.query(ListTasks, { runId, limit: 10 });
      expect(listed.tasks.map((t) => t.taskId).sort()).toEqual([low, high].sort());

      const claimed = await (await rawAgent(agentId, [])).claim();
      expect(claimed).toMatchObject({ taskId: high, runId, stageId: 's2', leaseEpoch: 1 });

      const cancelled = await client.command(CancelTask, { taskId: high, reason: 'run aborted' }, { commandId: randomUUID() });
      expect(cancelled).toMatchObject({ taskId: high, status: 'cancelled' });
      await expect(
        client.command(CompleteTask, { taskId: high, agentId, leaseEpoch: 1, outputs: {} }, { commandId: randomUUID() }),
      ).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
      await taskWhere(high, (t) => t.status === 'cancelled', 'cancelled');
      expect((await client.query(ListTasks, { runId, status: 'queued', limit: 10 })).tasks.map((t) => t.taskId)).toEqual([low]);
    } finally {
      await scheduler.lease.start();
    }
  });

  it('refuses bad commands with a code and changes nothing', async () => {
    await expect(client.command(SubmitTask, { action: '', requirement: { capabilities: [] }, priority: 'P1', inputs: {} }, { commandId: randomUUID() })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(client.query(GetTask, { taskId: uniqueId('nope') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const commandId = randomUUID();
    const submitted = { action: 'x', requirement: { capabilities: [uniqueId('c')] }, priority: 'P2' as const, inputs: {} };
    const first = await client.command(SubmitTask, submitted, { commandId });
    const second = await client.command(SubmitTask, submitted, { commandId });
    expect(second).toEqual(first);
    // The same command id asking for something else is refused, not answered with the first outcome.
    await expect(client.command(SubmitTask, { ...submitted, requirement: { capabilities: [uniqueId('c')] } }, { commandId })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect(await eventTypes(first.taskId)).toEqual(['TaskCreated']);
  });

  it('rebuilding the tasks read model in pages of many events gives the rows the live projection wrote', async () => {
    // Runs last: the tests above left tasks in every state (completed, failed and retried, timed
    // out and released, cancelled). Live, the projection applied them in small pages as they
    // happened; the rebuild applies the whole history in pages of up to 200 events. The scheduler
    // stops first, so no new event (a time-out, a retry) moves the rows between the two reads;
    // a projection of the same kind takes over its checkpoint. Timers are left out: the timer
    // poller deletes those it fired, and a rebuild writes them again until the events clear them.
    await scheduler.close();
    const store = await createPostgresEventStore({ connectionString: harness.tdb.url, poolSize: 4 });
    const db = createKysely<SchedulerDatabase>({ connectionString: harness.tdb.url });
    const tasksProjection = new ProjectionRunner<SchedulerDatabase>({
      name: TASKS_PROJECTION,
      schema: SCHEDULER_SCHEMA,
      db,
      store,
      filter: TASKS_AND_CONFLICTS_FILTER,
      applyBatch: withConflictEvents(taskProjection({ agingIntervalMs: 60_000 })),
      reset: async (trx) => {
        await resetTasks(trx);
        await resetConflicts(trx);
      },
    });
    const snapshot = async () => ({
      tasks: await db.selectFrom('scheduler.tasks').selectAll().orderBy('task_id').execute(),
      assignments: await db.selectFrom('scheduler.agent_assignments').selectAll().orderBy('agent_id').execute(),
    });
    try {
      await tasksProjection.start();
      await tasksProjection.waitUntilCaughtUp();
      const live = await snapshot();
      expect(live.tasks.length).toBeGreaterThan(50);
      expect(new Set(live.tasks.map((t) => t.status))).toEqual(new Set(['assigned', 'cancelled', 'completed', 'failed', 'queued']));
      await tasksProjection.rebuild();
      await tasksProjection.waitUntilCaughtUp();
      expect(await snapshot()).toEqual(live);
    } finally {
      await tasksProjection.stop();
      await db.destroy();
      await store.close();
    }
  });
});

describe('scheduler at idle: tasks created assigned wake no dispatcher pass (own scheduler: nothing else waits)', () => {
  let harness: SchedulerHarness;

  beforeAll(async () => {
    harness = await startSchedulerHarness('scheduler_idle', { dispatchPollMs: 1000 });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('30 tasks submitted one at a time, each created assigned and completed: no pass for their events as the read model applies them', async () => {
    const { scheduler, client, registry } = harness;
    const cap = uniqueId('cap');
    const agentId = uniqueId('agent');
    await registry.register(agentId, { role: 'backend', capabilities: [cap], maxConcurrency: 2 });
    await waitFor(async () => (await scheduler.db.selectFrom('scheduler.agents').select('online').where('agent_id', '=', agentId).executeTakeFirst())?.online === true, { what: 'the agent online' });
    // The first task may go through a pass (the agents were read before this one registered).
    const first = await client.command(SubmitTask, { action: 'implement', priority: 'P1', inputs: {}, requirement: { capabilities: [cap] } }, { commandId: randomUUID() });
    const firstAssigned = await readUntil(() => client.query(GetTask, { taskId: first.taskId }), (t) => t.status === 'assigned', { what: 'the first task assigned', timeoutMs: 15_000 });
    await client.command(CompleteTask, { taskId: first.taskId, agentId, leaseEpoch: firstAssigned.leaseEpoch, outputs: {} }, { commandId: randomUUID() });
    await scheduler.projection.waitUntilCaughtUp();
    const before = scheduler.dispatcherCounts();
    for (let i = 0; i < 30; i++) {
      const { taskId } = await client.command(SubmitTask, { action: 'implement', priority: 'P1', inputs: {}, requirement: { capabilities: [cap] } }, { commandId: randomUUID() });
      const assigned = await readUntil(() => client.query(GetTask, { taskId }), (t) => t.status === 'assigned', { what: `task ${taskId} assigned`, timeoutMs: 15_000 });
      await client.command(CompleteTask, { taskId, agentId, leaseEpoch: assigned.leaseEpoch, outputs: {} }, { commandId: randomUUID() });
    }
    await scheduler.projection.waitUntilCaughtUp();
    // The read model's pages of these tasks' events are known as this dispatcher's own (created
    // assigned here) and wake no pass. Before (the memory of them was let go before asking), each
    // page woke one: 30 tasks, 30 passes, and a submit that came during one was created queued.
    // Passes are counted by what woke them: the idle poll (every second here) runs passes of its
    // own whenever the loop takes longer than that, as it may on a loaded machine, and a submit
    // that comes during one is created queued and wakes another; neither is the read model's.
    expect(scheduler.dispatcherCounts().readModelWakes - before.readModelWakes).toBe(0);
  });
});
