import { randomUUID } from 'node:crypto';
import { BatonAgent, type AgentActivity } from '@baton/agent-sdk';
import { SubmitTask, taskStreamId, type AgentInboxAssignment } from '@baton/contracts';
import { createTestDatabase, testNatsUrl, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import type { SchedulerApp } from './adapters/scheduler.app';
import { RawNatsAgent } from './testing/raw-nats-agent';
import { connectTestClient, startTestScheduler, type TestClient } from './testing/test-scheduler';

type Awaited = { assignment: AgentInboxAssignment | null; traceparent?: string };

/**
 * `await-assignment` (docs/messaging.md): an agent waiting on the scheduler gets its assignment
 * as the reply, not through its JetStream inbox; one it never reports on reaches the inbox after
 * the confirmation window, and after a restart of the scheduler. Real NATS and Postgres.
 */
describe('agents waiting for their next assignment (real NATS + Postgres)', () => {
  let tdb: TestDatabase;
  let scheduler: SchedulerApp | undefined;
  let test: TestClient;
  const agents: RawNatsAgent[] = [];
  const CONFIRM_MS = 1500;

  beforeAll(async () => {
    [tdb, test] = await Promise.all([createTestDatabase('scheduler_await'), connectTestClient()]);
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await test?.nc.close();
    await scheduler?.close();
    await tdb?.drop();
  });

  async function leadingScheduler(confirmMs: number): Promise<SchedulerApp> {
    const s = await startTestScheduler(tdb.url, { directConfirmMs: confirmMs, consumerName: 'sched-await' });
    await waitFor(() => s.lease.isHeld(), { what: 'the dispatcher lease' });
    return s;
  }

  /** A registered agent with one slot, its inbox consumed into `inbox`. */
  async function agentWithInbox(): Promise<{ agent: RawNatsAgent; cap: string; inbox: AgentInboxAssignment[] }> {
    const cap = uniqueId('cap');
    const agentId = uniqueId('agent');
    await test.registry.register(agentId, { role: 'backend', capabilities: [cap], maxConcurrency: 1 });
    const agent = await RawNatsAgent.connect({ url: testNatsUrl(), agentId, role: 'backend', capabilities: [cap], retryForMs: 10_000 });
    agents.push(agent);
    const inbox: AgentInboxAssignment[] = [];
    await agent.consumeInbox(async (a) => {
      inbox.push(a);
    });
    return { agent, cap, inbox };
  }

  const submit = async (cap: string): Promise<string> =>
    (await test.client.command(SubmitTask, { action: 'implement', priority: 'P1', requirement: { capabilities: [cap] }, inputs: { n: 1 } }, { commandId: randomUUID() })).taskId;

  /** Waits (up to 4 s, within the raw agent's 5 s request time-out) for an assignment on the agent's own subject, as an agent's credentials allow. */
  const awaitAssignment = (agent: RawNatsAgent, waitMs = 4000): Promise<Awaited> => agent.command<Awaited>('await-assignment', { agentId: agent.agentId, waitMs });

  /** Waits until the agent is online in the scheduler's read model, so the dispatcher may plan it at a submit. */
  async function online(agentId: string, s: SchedulerApp): Promise<void> {
    await waitFor(async () => (await s.db.selectFrom('scheduler.agents').select('online').where('agent_id', '=', agentId).executeTakeFirst())?.online === true, {
      what: `agent ${agentId} online in the scheduler`,
      timeoutMs: 15_000,
    });
  }

  it('a waiting agent gets the assignment as the reply; once it reports, nothing reaches its inbox', async () => {
    scheduler = await leadingScheduler(CONFIRM_MS);
    const { agent, cap, inbox } = await agentWithInbox();
    await online(agent.agentId, scheduler);
    const waiting = awaitAssignment(agent);
    await waitFor(() => scheduler!.assignmentWaiters() === 1, { what: 'the request waiting at the scheduler' });
    const taskId = await submit(cap);
    const { assignment } = await waiting;
    expect(assignment).toMatchObject({ kind: 'task.assigned', taskId, leaseEpoch: 1, attempt: 1, inputs: { n: 1 } });
    expect(await agent.complete(assignment!, { ok: true })).toMatchObject({ taskId, status: 'completed' });
    // Past the confirmation window: the completion confirmed the delivery, the inbox stays empty.
    await new Promise((r) => setTimeout(r, CONFIRM_MS * 2));
    expect(inbox).toEqual([]);
    expect((await scheduler.store.readStream(taskStreamId(taskId))).map((e) => e.type)).toEqual(['TaskCreated', 'TaskAssigned', 'TaskAccepted', 'TaskCompleted']);
  });

  it("an agent naming another agent is FORBIDDEN and waits for nothing: it cannot take the other's assignment", async () => {
    const { agent: thief } = await agentWithInbox();
    const { agent: owner, cap, inbox } = await agentWithInbox();
    await online(owner.agentId, scheduler!);
    await expect(thief.command('await-assignment', { agentId: owner.agentId, waitMs: 4000 })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'AGENT_MISMATCH', agentId: thief.agentId, named: owner.agentId },
    });
    expect(scheduler!.assignmentWaiters()).toBe(0);
    // The owner's task goes to the owner's inbox, not to the thief.
    const taskId = await submit(cap);
    await waitFor(() => inbox.length === 1, { what: "the assignment in the owner's inbox", timeoutMs: 10_000 });
    expect(inbox[0]).toMatchObject({ taskId });
  });

  it('refuses a bad request with VALIDATION_FAILED and holds nothing', async () => {
    const { agent } = await agentWithInbox();
    for (const data of [
      { agentId: agent.agentId, waitMs: 60_001 },
      { agentId: agent.agentId, waitMs: -1 },
      { agentId: agent.agentId, waitMs: 1.5 },
      { agentId: agent.agentId, waitMs: '100' },
      { agentId: agent.agentId, waitMs: 100, extra: true },
    ]) {
      await expect(agent.command('await-assignment', data)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(scheduler!.assignmentWaiters()).toBe(0);
  });

  it('answers with no assignment after waitMs when nothing comes', async () => {
    const { agent } = await agentWithInbox();
    const t0 = Date.now();
    expect(await awaitAssignment(agent, 300)).toEqual({ assignment: null });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('an assignment the waiting agent never reports on reaches its inbox after the confirmation window', async () => {
    const { agent, cap, inbox } = await agentWithInbox();
    await online(agent.agentId, scheduler!);
    const waiting = awaitAssignment(agent);
    await waitFor(() => scheduler!.assignmentWaiters() === 1, { what: 'the request waiting at the scheduler' });
    const taskId = await submit(cap);
    expect((await waiting).assignment).toMatchObject({ taskId, leaseEpoch: 1 });
    await waitFor(() => inbox.length === 1, { what: 'the assignment in the inbox', timeoutMs: CONFIRM_MS * 6 });
    expect(inbox[0]).toMatchObject({ taskId, leaseEpoch: 1 });
  });

  it("after an agent process restarts, its assignment goes to the new process's request, not to the request the old one left", async () => {
    const { agent: old, cap } = await agentWithInbox();
    await online(old.agentId, scheduler!);
    // The old process's request stays at the scheduler after its connection closes (its own retries end with the closed connection's error).
    void awaitAssignment(old).catch(() => undefined);
    await waitFor(() => scheduler!.assignmentWaiters() === 1, { what: "the old process's request waiting" });
    await old.close();
    const restarted = await RawNatsAgent.connect({ url: testNatsUrl(), agentId: old.agentId, role: 'backend', capabilities: [cap], retryForMs: 10_000 });
    agents.push(restarted);
    const waiting = awaitAssignment(restarted);
    await waitFor(() => scheduler!.assignmentWaiters() === 2, { what: 'both requests waiting' });
    const taskId = await submit(cap);
    expect((await waiting).assignment).toMatchObject({ taskId, leaseEpoch: 1 });
  });

  it('one handed out just before the scheduler stops reaches the inbox from the next scheduler', async () => {
    await scheduler!.close();
    // A window longer than the test: only the restart can deliver it to the inbox.
    scheduler = await leadingScheduler(600_000);
    const { agent, cap, inbox } = await agentWithInbox();
    await online(agent.agentId, scheduler);
    const waiting = awaitAssignment(agent);
    await waitFor(() => scheduler!.assignmentWaiters() === 1, { what: 'the request waiting at the scheduler' });
    const taskId = await submit(cap);
    expect((await waiting).assignment).toMatchObject({ taskId, leaseEpoch: 1 });
    await scheduler.close();
    expect(inbox).toEqual([]);
    scheduler = await leadingScheduler(600_000);
    await waitFor(() => inbox.length === 1, { what: 'the assignment in the inbox after the restart', timeoutMs: 15_000 });
    expect(inbox[0]).toMatchObject({ taskId, leaseEpoch: 1 });
  });

  it('an SDK agent whose completion found no scheduler works the task again when it comes back, not taking it for one it finished', async () => {
    await scheduler?.close();
    scheduler = await leadingScheduler(600_000);
    const cap = uniqueId('cap');
    const agentId = uniqueId('sdk');
    await test.registry.register(agentId, { role: 'backend', capabilities: [cap], maxConcurrency: 1 });
    const activity: AgentActivity[] = [];
    // Reports give up after 300 ms without a scheduler (the default keeps retrying for 30 s).
    const sdk = await BatonAgent.connect({ agentId, servers: testNatsUrl(), tracing: false, commands: { retryForMs: 300 }, onActivity: (a) => activity.push(a) });
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    let finish!: () => void;
    const firstMayFinish = new Promise<void>((r) => (finish = r));
    const calls: number[] = [];
    try {
      await sdk.start(async (task) => {
        calls.push(task.leaseEpoch);
        if (calls.length === 1) {
          started();
          await firstMayFinish;
        }
        return { ok: true };
      });
      await online(agentId, scheduler);
      const taskId = await submit(cap);
      await firstStarted;
      // No scheduler when the handler returns: the completion is given back (task.deferred).
      await scheduler.close();
      finish();
      await waitFor(() => activity.some((a) => a.type === 'task.deferred'), { what: 'the completion given back', timeoutMs: 10_000 });
      // The next scheduler publishes the assignment to the inbox (its lease has not ended); the agent works it again.
      scheduler = await leadingScheduler(600_000);
      await waitFor(async () => ((await scheduler!.store.readStream(taskStreamId(taskId))).some((e) => e.type === 'TaskCompleted') ? true : undefined), {
        what: 'the task completed after the restart',
        timeoutMs: 20_000,
      });
      expect(calls).toEqual([1, 1]);
    } finally {
      await sdk.stop({ timeoutMs: 2000 });
    }
  });
});
