import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { GetTask, ListTasks, SubmitTask, errorCodeOf, taskStreamId } from '@baton/contracts';
import { createPostgresEventStore, type PostgresEventStore } from '@baton/event-store';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, testNatsUrl, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import { FakeAgentRegistry } from './testing/agent-events';
import { RawNatsAgent } from './testing/raw-nats-agent';
import { connectTestClient, readUntil, schedulerProcessEnv, startSchedulerProcess, stopSchedulerProcess, waitForSchedulerProcess, type SchedulerProcess } from './testing/test-scheduler';

describe('scheduler killed with SIGKILL mid-work and restarted (child process)', () => {
  let tdb: TestDatabase;
  let store: PostgresEventStore;
  let nc: NatsConnection;
  let client: BatonClient;
  let child: SchedulerProcess | undefined;
  const agents: RawNatsAgent[] = [];
  const env = (): Record<string, string> => schedulerProcessEnv({ databaseUrl: tdb.url, consumerName, pollMs: 500 });
  const consumerName = uniqueId('sched-restart');

  async function up(): Promise<SchedulerProcess> {
    const c = startSchedulerProcess(env());
    // Up when it answers a query (NOT_FOUND for a task that does not exist).
    await waitForSchedulerProcess(
      c,
      async () => {
        try {
          await client.query(GetTask, { taskId: 'probe' }, { timeoutMs: 1000 });
          return false;
        } catch (err) {
          return errorCodeOf(err) === 'NOT_FOUND';
        }
      },
      'the scheduler process to answer',
    );
    return c;
  }

  beforeAll(async () => {
    tdb = await createTestDatabase('scheduler_restart');
    store = await createPostgresEventStore({ connectionString: tdb.url });
    ({ nc, client } = await connectTestClient(5000));
  });

  afterAll(async () => {
    for (const a of agents) await a.close();
    await stopSchedulerProcess(child);
    await nc?.close();
    await store?.close();
    await tdb?.drop();
  });

  it('finishes every submitted task exactly once: none lost, none completed twice', async () => {
    child = await up();
    const cap = uniqueId('cap');
    const registry = new FakeAgentRegistry(jetstream(nc));
    const completedBy = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      const agentId = uniqueId('worker');
      await registry.register(agentId, { role: 'backend', capabilities: [cap], maxConcurrency: 3 });
      const agent = await RawNatsAgent.connect({ url: testNatsUrl(), agentId, role: 'backend', capabilities: [cap], retryForMs: 60_000 });
      agents.push(agent);
      await agent.consumeInbox(async (a) => {
        try {
          await agent.accept(a);
          await agent.progress(a, 50, 'working', 10);
          await agent.complete(a, { by: agentId });
          completedBy.set(a.taskId, (completedBy.get(a.taskId) ?? 0) + 1);
        } catch (err) {
          // An assignment that was taken back meanwhile is simply dropped.
          if (errorCodeOf(err) !== 'STALE_LEASE') throw err;
        }
      });
    }

    // A task whose agent never answers: its time-out timer is durable and fires even across the kill.
    const silentCap = uniqueId('silent');
    await registry.register(uniqueId('silent-agent'), { role: 'backend', capabilities: [silentCap], maxConcurrency: 1 });
    const { taskId: timesOut } = await client.command(
      SubmitTask,
      { action: 'never-done', requirement: { capabilities: [silentCap] }, priority: 'P0', inputs: {}, timeoutMs: 1500, maxAttempts: 1 },
      { commandId: randomUUID() },
    );
    await waitFor(async () => (await client.query(GetTask, { taskId: timesOut })).status === 'assigned', { what: 'the silent task assigned' });

    const submitted: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { taskId } = await client.command(SubmitTask, { action: 'work', requirement: { capabilities: [cap] }, priority: i % 3 === 0 ? 'P0' : 'P2', inputs: { i } }, { commandId: randomUUID() });
      submitted.push(taskId);
    }
    // Kill it hard as soon as work is under way.
    await waitFor(() => completedBy.size >= 1, { timeoutMs: 30_000, what: 'the first completion' });
    child.proc.kill('SIGKILL');
    await child.exited;
    // Mid-work: tasks were still queued or in hand when it died.
    expect(completedBy.size).toBeLessThan(submitted.length);

    child = await up();
    for (let i = 0; i < 10; i++) {
      const { taskId } = await client.command(SubmitTask, { action: 'work', requirement: { capabilities: [cap] }, priority: 'P1', inputs: { after: i } }, { commandId: randomUUID() });
      submitted.push(taskId);
    }

    await waitFor(
      async () => (await client.query(ListTasks, { status: 'completed', limit: 1000 })).tasks.length === submitted.length,
      { timeoutMs: 90_000, intervalMs: 200, what: `all ${submitted.length} tasks completed` },
    );
    const timedOut = await readUntil(() => client.query(GetTask, { taskId: timesOut }), (t) => t.status === 'failed', { timeoutMs: 30_000, what: 'the silent task to time out' });
    expect(timedOut.error).toEqual({ message: 'attempt 1 timed out', code: 'TIMEOUT' });
    for (const taskId of submitted) {
      const types = (await store.readStream(taskStreamId(taskId))).map((e) => e.type);
      expect({ taskId, completed: types.filter((t) => t === 'TaskCompleted').length }).toEqual({ taskId, completed: 1 });
    }
  }, 180_000);
});
