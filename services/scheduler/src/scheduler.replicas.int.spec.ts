import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { GetTask, SubmitTask, taskStreamId } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import type { SchedulerApp } from './adapters/scheduler.app';
import { FakeAgentRegistry } from './testing/agent-events';
import { connectTestClient, startTestScheduler } from './testing/test-scheduler';

describe('two scheduler replicas (one dispatcher at a time)', () => {
  let tdb: TestDatabase;
  let nc: NatsConnection;
  let client: BatonClient;
  const replicas: SchedulerApp[] = [];
  const consumerName = uniqueId('sched-replicas');

  const start = async () => {
    const r = await startTestScheduler(tdb.url, { leaseTtlMs: 1000, consumerName });
    replicas.push(r);
    return r;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase('scheduler_replicas');
    ({ nc, client } = await connectTestClient());
  });

  afterAll(async () => {
    for (const r of replicas) await r.close().catch(() => undefined);
    await nc?.close();
    await tdb?.drop();
  });

  it('only the lease holder dispatches; when it goes away the other takes over and keeps assigning', async () => {
    const first = await start();
    const second = await start();
    await waitFor(() => first.lease.isHeld() !== second.lease.isHeld(), { what: 'exactly one lease holder' });
    const [leader, follower] = first.lease.isHeld() ? [first, second] : [second, first];

    const cap = uniqueId('cap');
    const agentId = uniqueId('agent');
    await new FakeAgentRegistry(jetstream(nc)).register(agentId, { role: 'backend', capabilities: [cap], maxConcurrency: 10 });
    const submit = () => client.command(SubmitTask, { action: 'a', requirement: { capabilities: [cap] }, priority: 'P1', inputs: {} }, { commandId: randomUUID() });
    const assigned = (taskId: string) =>
      waitFor(async () => (await client.query(GetTask, { taskId })).status === 'assigned', { what: `task ${taskId} assigned`, timeoutMs: 15_000 });

    const { taskId: t1 } = await submit();
    await assigned(t1);

    await leader.close();
    await waitFor(() => follower.lease.isHeld(), { what: 'the follower to take the lease', timeoutMs: 15_000 });
    const { taskId: t2 } = await submit();
    await assigned(t2);

    for (const taskId of [t1, t2]) {
      const assignedEvents = (await follower.store.readStream(taskStreamId(taskId))).filter((e) => e.type === 'TaskAssigned');
      expect(assignedEvents).toHaveLength(1);
    }
  });
});
