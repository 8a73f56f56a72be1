import { CommandClient, type AgentActivity, type BatonAgent } from '@baton/agent-sdk';
import { SubmitTask, taskStreamId, type RecordedEvent } from '@baton/contracts';
import { createPostgresEventStore, type PostgresEventStore } from '@baton/event-store';
import { uniqueId, waitFor } from '@baton/testing';
import { E2eStack } from './support/e2e-stack';
import type { RunningProcess } from './support/stack';

// The scheduler SIGKILLed in the middle of a batched drain and started again: every task is
// completed exactly once. The agent-registry and the scheduler run as processes from the build,
// on a private nats-server and a fresh database; agents on @baton/agent-sdk drain in this process.
// The verdict is read from the event store itself (one TaskCompleted per task stream), then
// compared with the read model and with what the agents' handlers did.

const TASKS = 5000;
/** Submissions in flight at once: as fast as the scheduler takes them, without 5,000 open requests. */
const SUBMIT_BATCH = 250;
const AGENTS = 2;
const AGENT_CONCURRENCY = 50;
/** How long a handler holds its task before it answers. */
const HANDLER_HOLD_MS = 20;
/** The kill comes once this share of the tasks is completed (the agents' count of recorded completions). */
const KILL_AT_SHARE = 0.3;
/** The kill must land with a good part, but not all, completed. */
const KILL_WINDOW = { min: 0.2, max: 0.6 } as const;
// Deadlines are generous (a shared 2-core machine under load) but finite: the test stops by itself.
const KILL_DEADLINE_MS = 360_000;
const FINISH_DEADLINE_MS = 600_000;
const PROGRESS_EVERY_MS = 10_000;

/** What the agents' handlers did, per task: the lease epoch of every run. */
interface AgentCounts {
  readonly runs: Map<string, number[]>;
  /** Tasks whose completion the scheduler confirmed to an agent (`task.completed`). */
  readonly completed: Map<string, number>;
  readonly other: Map<AgentActivity['type'], number>;
}

function log(line: string): void {
  process.stderr.write(`[e2e scheduler-crash] ${line}\n`);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

describe('scheduler killed mid-drain (e2e)', () => {
  const stack = new E2eStack({ database: 'e2e_scheduler_crash', connection: { name: 'e2e-scheduler-crash' } });
  let store: PostgresEventStore;
  const schedulers: RunningProcess[] = [];
  const agents: BatonAgent[] = [];
  // The same durable consumer names before and after the crash, as a restarted deployment has.
  const schedulerConsumer = uniqueId('e2e-crash');

  beforeAll(async () => {
    await stack.start();
    await stack.service('agent-registry');
    schedulers.push(await stack.scheduler(schedulerConsumer));
    store = stack.track(await createPostgresEventStore({ connectionString: stack.db.url, migrate: false, poolSize: 2 }), { stop: (s) => s.close() });
  }, 240_000);

  afterAll(() => stack.stop(), 120_000);

  /** Tasks completed in the read model (`scheduler.tasks`). */
  async function completedInReadModel(): Promise<number> {
    const r = await stack.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM scheduler.tasks WHERE status = 'completed'`);
    return Number(r.rows[0]?.n ?? 0);
  }

  /** Every task event in the store, in global order, grouped by stream. */
  async function taskStreams(): Promise<Map<string, RecordedEvent[]>> {
    const byStream = new Map<string, RecordedEvent[]>();
    let after: RecordedEvent['position'] | undefined;
    for (;;) {
      const page = await store.readAll({ filter: { categories: ['task'] }, maxCount: 1000, ...(after ? { after } : {}) });
      for (const e of page) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
      if (page.length === 0) return byStream;
      after = page[page.length - 1]!.position;
    }
  }

  it('SIGKILL of the scheduler at a good part of a 5,000-task drain, then a restart: every task completed exactly once', async () => {
    const capability = uniqueId('crash-cap');
    const counts: AgentCounts = { runs: new Map(), completed: new Map(), other: new Map() };
    /** Handlers running now: a task held by a running handler is assigned and not yet completed. */
    let running = 0;
    for (let i = 0; i < AGENTS; i++) {
      const agentId = uniqueId(`e2e-crash-agent-${i}`);
      const agent = await stack.agent({
        agentId,
        heartbeatIntervalMs: 1000,
        // Reports retry through the outage (same command id, so idempotent) rather than give the task up.
        commands: { retryForMs: FINISH_DEADLINE_MS, requestTimeoutMs: 10_000 },
        onActivity: (a) => {
          if (a.type === 'task.completed') counts.completed.set(a.taskId, (counts.completed.get(a.taskId) ?? 0) + 1);
          else if (a.type !== 'registered' && a.type !== 'task.received') counts.other.set(a.type, (counts.other.get(a.type) ?? 0) + 1);
        },
      });
      agents.push(agent);
      await agent.register({ role: 'worker', capabilities: [capability], maxConcurrency: AGENT_CONCURRENCY });
      // The handler holds each task for a moment (so the kill can find work in hand; it does not
      // limit the drain: 2 agents x 50 at once) and its outputs name the run, so the store shows
      // which run completed the task.
      await agent.start(async (task, ctx) => {
        running++;
        const epochs = counts.runs.get(task.taskId) ?? [];
        epochs.push(task.leaseEpoch);
        counts.runs.set(task.taskId, epochs);
        await new Promise((resolve) => setTimeout(resolve, HANDLER_HOLD_MS));
        running--;
        return { taskId: task.taskId, agentId: ctx.agentId, leaseEpoch: task.leaseEpoch };
      });
    }

    const taskIds = Array.from({ length: TASKS }, (_, i) => `${capability}-${String(i).padStart(4, '0')}`);
    // Submissions cut by the crash are retried with the same command id and task id (idempotent).
    const submitter = new CommandClient(stack.nc, { retryForMs: KILL_DEADLINE_MS, requestTimeoutMs: 10_000 });
    const startedAt = Date.now();
    let submitted = 0;
    const submitting = (async () => {
      for (let from = 0; from < TASKS; from += SUBMIT_BATCH) {
        await Promise.all(
          taskIds.slice(from, from + SUBMIT_BATCH).map(async (taskId) => {
            const reply = await submitter.command(SubmitTask, { taskId, action: 'crash-drain', requirement: { capabilities: [capability] }, priority: 'P1', inputs: {} });
            expect(reply.taskId).toBe(taskId);
            submitted++;
          }),
        );
      }
      log(`all ${TASKS} submissions acknowledged after ${seconds(Date.now() - startedAt)} s`);
    })();
    // A failed submission must fail the test, not wait for the deadline.
    let submitError: unknown;
    submitting.catch((err: unknown) => (submitError = err));

    // The kill: once the agents have a good part of the tasks completed (each confirmed by the scheduler).
    let lastReport = Date.now();
    await waitFor(
      () => {
        if (submitError !== undefined) throw submitError;
        schedulers[0]!.assertRunning();
        if (Date.now() - lastReport >= PROGRESS_EVERY_MS) {
          lastReport = Date.now();
          log(`${seconds(lastReport - startedAt)} s: ${submitted} submitted, ${counts.completed.size} completed`);
        }
        // Only while a handler holds a task, so the crash cuts work in hand, not an idle moment
        // between batches (the timer that ends a handler cannot run before the kill below).
        return counts.completed.size >= KILL_AT_SHARE * TASKS && running > 0;
      },
      { timeoutMs: KILL_DEADLINE_MS, intervalMs: 10, what: `${KILL_AT_SHARE * 100} % of ${TASKS} tasks completed before the kill` },
    );
    const victim = schedulers[0]!;
    victim.proc.kill('SIGKILL');
    const killedAt = Date.now();
    const completedAtKill = counts.completed.size;
    const submittedAtKill = submitted;
    await victim.exited();
    expect(victim.proc.signalCode).toBe('SIGKILL');
    const readModelAtKill = await completedInReadModel();
    // The store as the crash left it (the scheduler is its only writer of task events): what was in flight.
    const atKill = [...(await taskStreams()).values()].map((events) => new Set(events.map((e) => e.type)));
    const storeCompletedAtKill = atKill.filter((types) => types.has('TaskCompleted')).length;
    const inFlightAtKill = atKill.filter((types) => types.has('TaskAssigned') && !types.has('TaskCompleted'));
    log(
      `SIGKILL at ${seconds(killedAt - startedAt)} s: ${completedAtKill}/${TASKS} completed by the agents' count (store ${storeCompletedAtKill}, read model ${readModelAtKill}), ` +
        `${inFlightAtKill.length} assigned and not completed (${inFlightAtKill.filter((t) => t.has('TaskAccepted')).length} of them accepted), ` +
        `${submittedAtKill} submissions acknowledged, ${[...counts.runs.values()].reduce((n, e) => n + e.length, 0)} handler runs`,
    );
    expect(completedAtKill).toBeGreaterThanOrEqual(KILL_WINDOW.min * TASKS);
    expect(completedAtKill).toBeLessThanOrEqual(KILL_WINDOW.max * TASKS);
    // An OK is sent only after the commit: every completion an agent was told of is in the store.
    expect(storeCompletedAtKill).toBeGreaterThanOrEqual(completedAtKill);
    // The crash cut work in hand, not an idle queue.
    expect(inFlightAtKill.length).toBeGreaterThan(0);

    schedulers.push(await stack.scheduler(schedulerConsumer));
    const restartedAt = Date.now();
    log(`scheduler restarted and ready ${seconds(restartedAt - killedAt)} s after the kill`);

    lastReport = Date.now();
    await waitFor(
      async () => {
        if (submitError !== undefined) throw submitError;
        schedulers[1]!.assertRunning();
        const done = await completedInReadModel();
        if (Date.now() - lastReport >= PROGRESS_EVERY_MS) {
          lastReport = Date.now();
          log(`${seconds(lastReport - killedAt)} s after the kill: ${submitted} submitted, ${done} completed in the read model, ${counts.completed.size} by the agents' count`);
        }
        return done === TASKS;
      },
      { timeoutMs: FINISH_DEADLINE_MS, intervalMs: 250, what: `all ${TASKS} tasks completed in the read model after the restart` },
    );
    await submitting;
    const finishedAt = Date.now();
    log(`drain finished ${seconds(finishedAt - restartedAt)} s after the restart (${seconds(finishedAt - killedAt)} s after the kill, ${seconds(finishedAt - startedAt)} s in all)`);

    // Let what the agents still hold settle (late redeliveries get an idempotent answer), then count.
    await Promise.all(agents.map((a) => a.stop({ timeoutMs: 30_000 })));

    // The store: each task stream exists once and holds exactly one TaskCompleted, by a run of a handler.
    const streams = await taskStreams();
    const completions = new Map<string, RecordedEvent[]>();
    for (const [streamId, events] of streams) completions.set(streamId, events.filter((e) => e.type === 'TaskCompleted'));
    const missing = taskIds.filter((id) => !streams.has(taskStreamId(id)));
    const notOnce = taskIds
      .filter((id) => (completions.get(taskStreamId(id))?.length ?? 0) !== 1)
      .map((id) => ({ taskId: id, events: (streams.get(taskStreamId(id)) ?? []).map((e) => `${e.revision}:${e.type}:${JSON.stringify(e.data)}`) }));
    const ours = new Set(taskIds.map(taskStreamId));
    const strangers = [...streams.keys()].filter((s) => !ours.has(s));
    const totalCompletions = [...completions.values()].reduce((n, c) => n + c.length, 0);
    const reassigned = taskIds.filter((id) => (streams.get(taskStreamId(id)) ?? []).filter((e) => e.type === 'TaskAssigned').length > 1);
    log(`event store: ${streams.size} task streams, ${totalCompletions} TaskCompleted, ${notOnce.length} tasks not completed exactly once, ${reassigned.length} assigned more than once`);
    expect(missing).toEqual([]);
    expect(strangers).toEqual([]);
    expect(notOnce.slice(0, 20)).toEqual([]);
    expect(totalCompletions).toBe(TASKS);
    for (const id of taskIds) {
      const [completed] = completions.get(taskStreamId(id))!;
      const data = completed!.data as { agentId: string; leaseEpoch: number; outputs: Record<string, unknown> };
      expect(data.outputs).toEqual({ taskId: id, agentId: data.agentId, leaseEpoch: data.leaseEpoch });
    }

    // The read model agrees with the store: every task completed, by the holder of the completing lease.
    const rows = await stack.db.pool.query<{ task_id: string; status: string; agent_id: string | null; lease_epoch: number }>(
      'SELECT task_id, status, agent_id, lease_epoch FROM scheduler.tasks',
    );
    expect(rows.rows).toHaveLength(TASKS);
    const disagreeing = rows.rows.filter((r) => {
      const data = completions.get(taskStreamId(r.task_id))?.[0]?.data as { agentId: string; leaseEpoch: number } | undefined;
      return r.status !== 'completed' || data === undefined || r.agent_id !== data.agentId || r.lease_epoch !== data.leaseEpoch;
    });
    expect(disagreeing.slice(0, 20)).toEqual([]);

    // The handlers: a task runs again only under a new lease (it was taken back and given out again).
    const handlerRuns = [...counts.runs.values()].reduce((n, e) => n + e.length, 0);
    const rerunSameLease = [...counts.runs.entries()]
      .filter(([, epochs]) => new Set(epochs).size !== epochs.length)
      .map(([taskId, epochs]) => ({ taskId, epochs, events: (streams.get(taskStreamId(taskId)) ?? []).map((e) => `${e.revision}:${e.type}`) }));
    const rerunNewLease = [...counts.runs.values()].filter((epochs) => new Set(epochs).size > 1).length;
    const confirmedTwice = [...counts.completed.entries()].filter(([, n]) => n > 1).map(([taskId]) => taskId);
    log(
      `handlers: ${handlerRuns} runs for ${counts.runs.size} tasks (${rerunNewLease} tasks run again under a new lease, ${rerunSameLease.length} under the same lease); ` +
        `completions confirmed to agents: ${[...counts.completed.values()].reduce((n, c) => n + c, 0)} for ${counts.completed.size} tasks; ` +
        `other agent activity: ${JSON.stringify(Object.fromEntries(counts.other))}`,
    );
    expect(counts.runs.size).toBe(TASKS);
    expect(rerunSameLease.slice(0, 20)).toEqual([]);
    for (const [taskId, epochs] of counts.runs) {
      const assignedEpochs = (streams.get(taskStreamId(taskId)) ?? []).filter((e) => e.type === 'TaskAssigned').map((e) => (e.data as { leaseEpoch: number }).leaseEpoch);
      expect(epochs.filter((e) => !assignedEpochs.includes(e))).toEqual([]);
    }
    expect(confirmedTwice).toEqual([]);
  }, KILL_DEADLINE_MS + FINISH_DEADLINE_MS + 180_000);
});
