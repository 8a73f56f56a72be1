import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { CommandClient, type AgentActivity, type BatonAgent } from '@baton/agent-sdk';
import {
  AGENT_INBOX_STREAM,
  agentInboxConsumer,
  agentStreamId,
  CancelTask,
  CompleteTask,
  GetAgent,
  GetTask,
  ReportProgress,
  SubmitTask,
  taskStreamId,
  type SubmitTaskData,
  type TaskView,
} from '@baton/contracts';
import { uniqueId, waitFor } from '@baton/testing';
import { E2eStack } from './support/e2e-stack';
import { EventLog, startSimAgents } from './support/stack';

// The agent protocol across real processes: the agent-registry and the scheduler as services
// (one fresh database, separate schemas), agents through @baton/agent-sdk in this process and
// through tools/sim-agents as processes that get SIGKILLed.

const HEARTBEAT_WINDOW_MS = 2000;
/** The requirement: a dead agent's task is with another capable agent within 10 s after its heartbeat window. */
const REASSIGNMENT_LIMIT_MS = 10_000;

describe('agent protocol across processes (e2e)', () => {
  const stack = new E2eStack({ database: 'e2e_agent_protocol' });
  let client: CommandClient;
  let log: EventLog;
  let tmp: string;

  beforeAll(async () => {
    await stack.start();
    client = new CommandClient(stack.nc, { retryForMs: 20_000 });
    tmp = await stack.tempDir('baton-e2e-agents-');
    await stack.service('agent-registry', { HEARTBEAT_WINDOW_MS: String(HEARTBEAT_WINDOW_MS) });
    await stack.scheduler(uniqueId('e2e-scheduler'), { SCHEDULER_DISPATCH_POLL_MS: '500' });
    log = stack.track(await EventLog.start(stack.nc));
  });

  afterAll(() => stack.stop());

  async function sdkAgent(agentId: string, activities: AgentActivity[] = []): Promise<BatonAgent> {
    return stack.agent({ agentId, heartbeatIntervalMs: 300, inboxAckWaitMs: 2000, onActivity: (a) => activities.push(a) });
  }

  function submit(data: Partial<SubmitTaskData> & Pick<SubmitTaskData, 'action'>): Promise<{ taskId: string }> {
    return client.command(SubmitTask, { requirement: { capabilities: [] }, priority: 'P1', inputs: {}, ...data });
  }

  function taskIn(taskId: string, status: TaskView['status']): Promise<TaskView> {
    return waitFor(
      async () => {
        const task = await client.query(GetTask, { taskId });
        return task.status === status ? task : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `task ${taskId} ${status}` },
    );
  }

  it('an SDK agent registers, gets a submitted task, reports progress and completes it with outputs', async () => {
    const agentId = uniqueId('e2e-sdk');
    const activities: AgentActivity[] = [];
    const agent = await sdkAgent(agentId, activities);
    const profile = { role: 'product_manager', capabilities: ['write_prd'], maxConcurrency: 1 };

    expect(await agent.register(profile)).toMatchObject({ agentId, created: true });
    // Registering again is idempotent: the profile is kept, nothing fails.
    expect(await agent.register(profile)).toMatchObject({ agentId, created: false });

    await agent.start(async (task, ctx) => {
      await ctx.progress(50, 'half way', 1234);
      return { 'prd.md': `# PRD: ${String(task.inputs['title'])}` };
    });

    const { taskId } = await submit({ action: 'write_prd', requirement: { agentId, capabilities: ['write_prd'] }, inputs: { title: 'Search' } });
    const done = await taskIn(taskId, 'completed');
    expect(done).toMatchObject({ agentId, outputs: { 'prd.md': '# PRD: Search' }, tokensUsed: 1234, error: null });
    expect(activities.filter((a) => 'taskId' in a && a.taskId === taskId).map((a) => a.type)).toEqual([
      'task.received',
      'task.progress',
      'task.completed',
    ]);
    expect(log.of(taskStreamId(taskId), 'TaskProgressReported').map((e) => e.data)).toEqual([
      expect.objectContaining({ agentId, leaseEpoch: done.leaseEpoch, percent: 50, message: 'half way', tokensUsed: 1234 }),
    ]);

    const registryView = await waitFor(
      async () => {
        const view = await client.query(GetAgent, { agentId });
        return view.performance.tasksCompleted === 1 ? view : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'tasksCompleted 1 in the registry' },
    );
    expect(registryView).toMatchObject({ agentId, role: 'product_manager', capabilities: ['write_prd'], performance: { tasksCompleted: 1, tasksFailed: 0 } });

    // The assignment came as the reply of the agent's await-assignment or by the inbox (then acknowledged once the completion was recorded): nothing waits in the inbox.
    const jsm = await jetstreamManager(stack.nc);
    const inbox = await waitFor(
      async () => {
        const info = await jsm.consumers.info(AGENT_INBOX_STREAM, agentInboxConsumer(agentId));
        return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
      },
      { what: 'inbox consumer drained' },
    );
    expect(inbox.num_redelivered).toBe(0);

    // Refusals come back as typed errors with the service's code.
    await expect(agent.command(CompleteTask, { taskId, agentId, leaseEpoch: done.leaseEpoch + 1, outputs: {} })).rejects.toMatchObject({
      name: 'BatonError',
      code: 'STALE_LEASE',
      retryable: false,
    });
    await expect(agent.command(ReportProgress, { taskId, agentId, leaseEpoch: done.leaseEpoch, percent: 60 })).rejects.toMatchObject({
      name: 'BatonError',
      code: 'ILLEGAL_TRANSITION',
    });
  });

  it('reassigns the task of an agent killed mid-task within 10 s after its heartbeat window; its late report gets STALE_LEASE', async () => {
    const capability = uniqueId('cap');
    const first = uniqueId('e2e-sim-a');
    const second = uniqueId('e2e-sdk-b');
    const agentsFile = path.join(tmp, `${first}.yaml`);
    await writeFile(agentsFile, `agents:\n  - { id: ${first}, role: worker, capabilities: [${capability}], max_concurrency: 1 }\n`);
    // By the inbox alone, so the restarted agent gets its unacknowledged assignment again (one handed to a waiting agent whose task was reassigned meanwhile is not sent again).
    const simArgs = ['--agents', agentsFile, '--only', first, '--duration-ms', '60000', '--steps', '30', '--heartbeat-ms', '300', '--ack-wait-ms', '2000', '--seed', '1', '--inbox-only'];

    const simA = await startSimAgents('sim-agents A', simArgs, stack.natsUrl);
    stack.track(simA, { together: 'sims' });
    const { taskId } = await submit({ action: 'analyze', requirement: { capabilities: [capability] }, inputs: { outputs: ['report.md'] } });
    const stream = taskStreamId(taskId);
    const assignedA = await log.waitFor(stream, 'TaskAssigned', (d) => d['agentId'] === first);
    const epochA = assignedA.data['leaseEpoch'] as number;
    await simA.waitForLine((l) => l.type === 'task.progress' && l.taskId === taskId, 'progress of the task (mid-task)');

    // The replacement: capable, online, idle.
    const activitiesB: AgentActivity[] = [];
    const agentB = await sdkAgent(second, activitiesB);
    await agentB.register({ role: 'worker', capabilities: [capability], maxConcurrency: 1 });
    await agentB.start(async (task, ctx) => {
      await ctx.progress(50, 'picked up after a crash');
      return { 'report.md': `# Report by ${ctx.agentId} for ${task.taskId}` };
    });

    await simA.kill();

    const offline = await log.waitFor(agentStreamId(first), 'AgentWentOffline', () => true, 30_000);
    const assignedB = await log.waitFor(stream, 'TaskAssigned', (d) => d['agentId'] === second, 30_000);
    const windowEndedAt = Date.parse(offline.data['lastHeartbeatAt'] as string) + HEARTBEAT_WINDOW_MS;
    const reassignedAfterMs = Date.parse(assignedB.data['assignedAt'] as string) - windowEndedAt;
    process.stderr.write(`[e2e] task ${taskId}: reassigned ${reassignedAfterMs} ms after ${first}'s heartbeat window ended\n`);
    expect(reassignedAfterMs).toBeLessThanOrEqual(REASSIGNMENT_LIMIT_MS);
    expect(assignedB.data).toMatchObject({ previousAgentId: first, leaseEpoch: epochA + 1 });
    expect(log.of(stream, 'TaskReleased').map((e) => e.data)).toEqual([expect.objectContaining({ agentId: first, leaseEpoch: epochA, reason: 'agent_offline' })]);

    const done = await taskIn(taskId, 'completed');
    expect(done).toMatchObject({ agentId: second, leaseEpoch: epochA + 1, outputs: { 'report.md': `# Report by ${second} for ${taskId}` } });

    // A late report of the first agent, with the epoch it had: refused, nothing changes.
    await expect(client.command(CompleteTask, { taskId, agentId: first, leaseEpoch: epochA, outputs: { late: true } })).rejects.toMatchObject({ code: 'STALE_LEASE' });

    // The first agent comes back: its unacknowledged assignment is delivered again, its report is
    // refused with STALE_LEASE, and it lets the task go quietly.
    const simAgain = await startSimAgents('sim-agents A (restarted)', simArgs, stack.natsUrl);
    stack.track(simAgain, { together: 'sims' });
    const lost = await simAgain.waitForLine((l) => l.type === 'task.lost' && l.taskId === taskId, 'STALE_LEASE on the old assignment');
    expect(lost).toMatchObject({ agentId: first, leaseEpoch: epochA });
    expect(await client.query(GetTask, { taskId })).toMatchObject({ status: 'completed', agentId: second, outputs: done.outputs });
    expect(log.of(stream, 'TaskCompleted')).toHaveLength(1);
    await simAgain.stop();
    expect(simAgain.events.at(-1)).toMatchObject({ type: 'sim.stopped', signal: 'SIGTERM' });
    expect(simAgain.proc.exitCode).toBe(0);
  });

  it('a frozen agent that wakes up after its task was reassigned gets STALE_LEASE on its next progress and lets the task go', async () => {
    const capability = uniqueId('cap');
    const frozen = uniqueId('e2e-sim-frozen');
    const agentsFile = path.join(tmp, `${frozen}.yaml`);
    await writeFile(agentsFile, `agents:\n  - { id: ${frozen}, role: worker, capabilities: [${capability}], max_concurrency: 1 }\n`);
    const sim = await startSimAgents('sim-agents frozen', ['--agents', agentsFile, '--duration-ms', '20000', '--steps', '40', '--heartbeat-ms', '300', '--seed', '2'], stack.natsUrl);
    stack.track(sim, { together: 'sims' });

    const { taskId } = await submit({ action: 'analyze', requirement: { capabilities: [capability] } });
    await sim.waitForLine((l) => l.type === 'task.progress' && l.taskId === taskId, 'progress of the task');
    const replacement = uniqueId('e2e-sdk-r');
    const agent = await sdkAgent(replacement);
    await agent.register({ role: 'worker', capabilities: [capability] });
    await agent.start(async () => ({ summary: 'done by the replacement' }));

    sim.proc.kill('SIGSTOP');
    try {
      await taskIn(taskId, 'completed');
    } finally {
      sim.proc.kill('SIGCONT');
    }
    const lost = await sim.waitForLine((l) => l.type === 'task.lost' && l.taskId === taskId, 'STALE_LEASE on the next progress');
    expect(lost).toMatchObject({ agentId: frozen, leaseEpoch: 1 });
    // It reported no completion or failure after losing the task, and it is still running.
    expect(sim.events.filter((l) => l.taskId === taskId && (l.type === 'task.completed' || l.type === 'task.failed'))).toEqual([]);
    sim.assertRunning();
    expect(await client.query(GetTask, { taskId })).toMatchObject({ status: 'completed', agentId: replacement, outputs: { summary: 'done by the replacement' } });
  });

  it('a report refused mid-task (the task was cancelled) ends the handling with a typed error, and the assignment is dropped', async () => {
    const agentId = uniqueId('e2e-cancel');
    const activities: AgentActivity[] = [];
    const agent = await sdkAgent(agentId, activities);
    await agent.register({ role: 'worker' });
    let cancelled!: () => void;
    const cancelledNow = new Promise<void>((r) => (cancelled = r));
    const refusals: unknown[] = [];
    await agent.start(async (_task, ctx) => {
      await ctx.progress(10, 'started');
      await cancelledNow;
      try {
        await ctx.progress(60, 'after the cancel');
      } catch (err) {
        refusals.push(err);
        throw err;
      }
      return { never: true };
    });

    const { taskId } = await submit({ action: 'long-job', requirement: { agentId, capabilities: [] } });
    await waitFor(() => activities.some((a) => a.type === 'task.progress' && a.taskId === taskId), { what: 'first progress' });
    await client.command(CancelTask, { taskId, reason: 'no longer needed' });
    cancelled();

    const rejected = await waitFor(() => activities.find((a) => a.type === 'task.rejected' && a.taskId === taskId), { what: 'task.rejected' });
    expect(rejected).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    expect(refusals).toEqual([expect.objectContaining({ name: 'BatonError', code: 'ILLEGAL_TRANSITION' })]);
    expect(await taskIn(taskId, 'cancelled')).toMatchObject({ outputs: null });
    const jsm = await jetstreamManager(stack.nc);
    await waitFor(
      async () => {
        const info = await jsm.consumers.info(AGENT_INBOX_STREAM, agentInboxConsumer(agentId));
        return info.num_ack_pending === 0 && info.num_pending === 0;
      },
      { what: 'the assignment acknowledged' },
    );
  });

  it('an agent that is not running when its task is assigned gets the task when it starts', async () => {
    const agentId = uniqueId('e2e-late');
    const activities: AgentActivity[] = [];
    const agent = await sdkAgent(agentId, activities);
    await agent.register({ role: 'reviewer', capabilities: ['code_quality'], maxConcurrency: 2 });

    const jsm = await jetstreamManager(stack.nc);
    await expect(jsm.consumers.info(AGENT_INBOX_STREAM, agentInboxConsumer(agentId))).rejects.toThrow();

    const { taskId } = await submit({ action: 'review', requirement: { agentId, capabilities: [] }, inputs: { outputs: ['approved'] } });
    const assigned = await log.waitFor(taskStreamId(taskId), 'TaskAssigned', (d) => d['agentId'] === agentId);
    const startedAt = Date.now();
    expect(Date.parse(assigned.data['assignedAt'] as string)).toBeLessThan(startedAt);

    await agent.start(async () => ({ approved: true }));
    const done = await taskIn(taskId, 'completed');
    expect(done).toMatchObject({ agentId, outputs: { approved: true } });
    expect(activities.find((a) => a.type === 'task.completed' && a.taskId === taskId)).toBeDefined();
  });

  it('works at most maxConcurrency tasks at once, and stop() lets the task in hand finish', async () => {
    const agentId = uniqueId('e2e-conc');
    const agent = await sdkAgent(agentId);
    await agent.register({ role: 'worker', capabilities: [], maxConcurrency: 2 });
    let running = 0;
    let peak = 0;
    let finished = 0;
    const release: (() => void)[] = [];
    await agent.start(async (task) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => release.push(r));
      running--;
      finished++;
      return { done: task.taskId };
    });

    const ids = await Promise.all(Array.from({ length: 4 }, (_, i) => submit({ action: `step-${i}`, requirement: { agentId, capabilities: [] } })));
    // Two handlers run at once; the other tasks wait.
    await waitFor(() => running === 2, { what: 'two handlers running' });
    expect(agent.activeTasks).toHaveLength(2);
    await waitFor(
      () => {
        release.splice(0).forEach((r) => r());
        return finished === 4;
      },
      { timeoutMs: 30_000, what: 'all four handlers finished' },
    );
    for (const { taskId } of ids) await taskIn(taskId, 'completed');
    expect(peak).toBe(2);

    // stop() drains: it waits for the task in hand, which still completes.
    const last = await submit({ action: 'last-step', requirement: { agentId, capabilities: [] } });
    await waitFor(() => running === 1, { what: 'the last handler running' });
    let stopped = false;
    const stopping = agent.stop({ timeoutMs: 20_000 }).then(() => (stopped = true));
    await waitFor(() => release.length === 1, { what: 'the last handler waiting' });
    expect(stopped).toBe(false);
    release.splice(0).forEach((r) => r());
    await stopping;
    expect(agent.nc.isClosed()).toBe(true);
    expect(await taskIn(last.taskId, 'completed')).toMatchObject({ outputs: { done: last.taskId } });
  });
});
