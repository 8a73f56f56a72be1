import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GetTask, SubmitTask, taskStreamId, ValidateHandoff, type TaskView } from '@baton/contracts';
import { createTestDatabase, testNatsUrl, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import type { SchedulerApp } from './adapters/scheduler.app';
import { RawNatsAgent } from './testing/raw-nats-agent';
import { connectTestClient, readUntil, startTestScheduler, type TestClient } from './testing/test-scheduler';

const MESSAGING_DOC = path.resolve(__dirname, '../../../docs/messaging.md');

/**
 * The subject docs/messaging.md's subject table gives for agent progress, with `<agentId>` filled
 * in. A relative entry (`.progress` after `baton.agent.<agentId>.heartbeat`) is read against the
 * subject before it, as a reader of the table would.
 */
function documentedProgressSubject(agentId: string): string {
  const row = readFileSync(MESSAGING_DOC, 'utf8')
    .split('\n')
    .find((line) => /^\|[^|]*progress[^|]*\|/.test(line));
  if (!row) throw new Error('docs/messaging.md has no subject row for agent progress');
  const subjects = [...row.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  let previous = '';
  for (const s of subjects) {
    const full = s.startsWith('.') ? previous.slice(0, previous.lastIndexOf('.')) + s : s;
    if (full.includes('progress')) return full.replace('<agentId>', agentId);
    previous = full;
  }
  throw new Error(`the progress row of docs/messaging.md names no progress subject: ${row}`);
}

describe('agent protocol: the documented progress subject, and accepting as an option (real NATS + Postgres)', () => {
  let tdb: TestDatabase;
  let scheduler: SchedulerApp;
  // The test's own connection: `nc` for raw requests, `client` for typed ones, `registry` to publish agent events.
  let test: TestClient;
  const agents: RawNatsAgent[] = [];
  /** The task of every validate-handoff the scheduler sent. */
  const validations: string[] = [];

  beforeAll(async () => {
    [tdb, test] = await Promise.all([createTestDatabase('scheduler_protocol'), connectTestClient()]);
    scheduler = await startTestScheduler(tdb.url);
    // A real NATS responder stands in for the handoff-validator: it counts the validations the scheduler asks for, and accepts each.
    test.nc.subscribe(ValidateHandoff.subject, {
      queue: 'baton-handoff-validator',
      callback: (_err, msg) => {
        const d = (JSON.parse(new TextDecoder().decode(msg.data)) as { data: { handoffId: string; taskId: string } }).data;
        validations.push(d.taskId);
        msg.respond(JSON.stringify({ ok: true, data: { handoffId: d.handoffId, status: 'accepted', failures: [], specIds: [], artifacts: [], rulesChecked: 0 } }));
      },
    });
    await waitFor(() => scheduler.lease.isHeld(), { what: 'the dispatcher lease' });
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await test?.nc.close();
    await scheduler?.close();
    await tdb?.drop();
  });

  /** The task's read-model view once `ready` holds (the projection runs behind the append). */
  const projected = (taskId: string, ready: (t: TaskView) => boolean, timeoutMs = 10_000) =>
    readUntil(() => test.client.query(GetTask, { taskId }), ready, { what: `task ${taskId} in the read model`, timeoutMs });

  /** A task assigned to a fresh agent (by the dispatcher), and that agent speaking raw NATS. */
  async function assignedTask(): Promise<{ agent: RawNatsAgent; task: TaskView }> {
    const cap = uniqueId('cap');
    const agentId = uniqueId('agent');
    await test.registry.register(agentId, { role: 'backend', capabilities: [cap], maxConcurrency: 1 });
    const agent = await RawNatsAgent.connect({ url: testNatsUrl(), agentId, role: 'backend', capabilities: [cap], retryForMs: 10_000 });
    agents.push(agent);
    const { taskId } = await test.client.command(SubmitTask, { action: 'implement', priority: 'P1', requirement: { capabilities: [cap] }, inputs: {} }, { commandId: randomUUID() });
    const task = await projected(taskId, (t) => t.status === 'assigned' && t.agentId === agentId, 20_000);
    return { agent, task };
  }

  const eventTypes = async (taskId: string) => (await scheduler.store.readStream(taskStreamId(taskId))).map((e) => e.type);

  it('the progress subject docs/messaging.md names is answered, and progress with no accept records the acceptance first', async () => {
    const { agent, task } = await assignedTask();
    const subject = documentedProgressSubject(agent.agentId);
    const body = { commandId: randomUUID(), data: { taskId: task.taskId, agentId: agent.agentId, leaseEpoch: task.leaseEpoch, percent: 30, message: 'reading' } };
    const msg = await test.nc.request(subject, JSON.stringify(body), { timeout: 5000 });
    expect(msg.json()).toMatchObject({ ok: true, data: { taskId: task.taskId, status: 'accepted' } });
    expect(await eventTypes(task.taskId)).toEqual(['TaskCreated', 'TaskAssigned', 'TaskAccepted', 'TaskProgressReported']);
    const view = await projected(task.taskId, (t) => t.percent === 30);
    expect(view).toMatchObject({ status: 'accepted', percent: 30 });
  });

  it('submit-task with inputs nested 1,000 levels deep gets VALIDATION_FAILED and appends nothing', async () => {
    let inputs: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) inputs = { a: inputs };
    const taskId = uniqueId('deep');
    const body = { commandId: randomUUID(), data: { taskId, action: 'implement', inputs } };
    const msg = await test.nc.request(SubmitTask.subject, JSON.stringify(body), { timeout: 5000 });
    expect(msg.json()).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', details: { maxDepth: 32 } } });
    expect(await scheduler.store.readStream(taskStreamId(taskId))).toEqual([]);
  });

  it('a completion handing over artifacts under another lease epoch is STALE_LEASE without a validation; from the lease holder, validated once and completed', async () => {
    const { agent, task } = await assignedTask();
    const complete = (leaseEpoch: number) =>
      agent.command('complete-task', { taskId: task.taskId, agentId: agent.agentId, leaseEpoch, outputs: {}, artifacts: [{ name: 'notes.md', content: '# done' }] });
    await expect(complete(task.leaseEpoch + 1)).rejects.toMatchObject({ code: 'STALE_LEASE' });
    expect(validations.filter((t) => t === task.taskId)).toHaveLength(0);
    expect(await complete(task.leaseEpoch)).toMatchObject({ taskId: task.taskId, status: 'completed', handoff: { status: 'accepted' } });
    expect(validations.filter((t) => t === task.taskId)).toHaveLength(1);
    expect(await eventTypes(task.taskId)).toEqual(['TaskCreated', 'TaskAssigned', 'TaskAccepted', 'TaskCompleted']);
  });

  it('complete-task straight after the assignment records TaskAccepted then TaskCompleted; a late accept changes nothing', async () => {
    const { agent, task } = await assignedTask();
    const reply = await agent.complete(task, { pr: 42 });
    expect(reply).toMatchObject({ taskId: task.taskId, status: 'completed' });
    const events = await scheduler.store.readStream(taskStreamId(task.taskId));
    expect(events.map((e) => e.type)).toEqual(['TaskCreated', 'TaskAssigned', 'TaskAccepted', 'TaskCompleted']);
    expect(events[2]!.data).toEqual({ taskId: task.taskId, agentId: agent.agentId, leaseEpoch: task.leaseEpoch, acceptedAt: (events[3]!.data as { completedAt: string }).completedAt });

    expect(await agent.accept(task)).toMatchObject({ status: 'completed' });
    expect(await eventTypes(task.taskId)).toHaveLength(4);
    expect(await projected(task.taskId, (t) => t.status === 'completed')).toMatchObject({ status: 'completed', outputs: { pr: 42 } });
  });
});
