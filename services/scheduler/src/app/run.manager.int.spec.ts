import { randomUUID } from 'node:crypto';
import { randomIds, systemClock } from '@baton/aggregate';
import { GetRun, RegisterWorkflow, StartRun, runStreamId, taskStreamId, type RecordedEvent } from '@baton/contracts';
import { createPostgresEventStore } from '@baton/event-store';
import { createKysely } from '@baton/read-models';
import { uniqueId, waitFor } from '@baton/testing';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';
import { readUntil, startSchedulerHarness, type SchedulerHarness } from '../testing/test-scheduler';
import { CreatedAtCommit, createTasksOfCommitted, mayStartTasks, recordTaskEndingNow, runManager } from './run.manager';
import { runEnvironment, runRunner, taskRunner, workflowRunner } from './runners';
import { WorkflowDefinitions } from './workflow-definitions';

describe('run manager (real NATS + Postgres, in-process scheduler)', () => {
  let h: SchedulerHarness;

  beforeAll(async () => {
    h = await startSchedulerHarness('scheduler_run_manager', { timerPollMs: 200, consumerName: uniqueId('sched-run-manager') });
  });
  afterAll(() => h?.close());

  it('feeds back a TaskCompleted written before it carried its run (reads the run from the task stream)', async () => {
    const p = uniqueId('legacy');
    // No agent serves this one, so the task waits in the queue until the legacy completion arrives.
    const yaml = `name: Legacy ${p}\nversion: 1.0.0\nsteps:\n  - id: only\n    agent: ${p}-nobody\n    action: go\n`;
    const { workflowId } = await h.client.command(RegisterWorkflow, { yaml, file: 'legacy.yml' }, { commandId: randomUUID() });
    const { runId } = await h.client.command(StartRun, { workflowId, params: {}, priority: 'P1' }, { commandId: randomUUID() });

    const started = await waitFor(
      async () => (await h.scheduler.store.readStream(runStreamId(runId))).find((e) => e.type === 'StageStarted'),
      { what: `run ${runId} StageStarted` },
    );
    const taskId = (started.data as { tasks: { taskId: string }[] }).tasks[0]!.taskId;
    const taskStream = taskStreamId(taskId);
    await waitFor(async () => (await h.scheduler.store.readStream(taskStream)).length > 0, { what: `task ${taskId} created` });

    // The shape events had before they carried runId/stageId.
    const legacy = { taskId, agentId: `${p}-agent`, leaseEpoch: 1, outputs: { legacy: true }, completedAt: new Date().toISOString(), durationMs: 5 };
    await h.scheduler.store.append(taskStream, [{ type: 'TaskCompleted', data: legacy, metadata: { occurredAt: legacy.completedAt } }]);
    const stored = (await h.scheduler.store.readStream(taskStream)).find((e) => e.type === 'TaskCompleted');
    expect(stored?.data).not.toHaveProperty('runId');

    const run = await readUntil(() => h.client.query(GetRun, { runId }), (r) => r.state !== 'running', { what: `run ${runId} finished`, timeoutMs: 30_000 });
    expect(run.state).toBe('success');
  });

  it("dispatches a run's task for an agent on line while more runs than a dispatch batch wait ahead of it on an agent that is not", async () => {
    const p = uniqueId('lanes');
    const waitYaml = `name: Waits ${p}\nversion: 1.0.0\nsteps:\n  - id: wait\n    agent: ${p}-absent\n    action: wait\n`;
    const goYaml = `name: Goes ${p}\nversion: 1.0.0\nsteps:\n  - id: go\n    agent: ${p}-here\n    action: go\n`;
    const waits = await h.client.command(RegisterWorkflow, { yaml: waitYaml, file: 'waits.yml' }, { commandId: randomUUID() });
    const goes = await h.client.command(RegisterWorkflow, { yaml: goYaml, file: 'goes.yml' }, { commandId: randomUUID() });
    // 250 P0 runs (the test scheduler's dispatch batch is 200), all ahead of the P2 run below in the queue.
    const waiting: string[] = [];
    for (let i = 0; i < 250; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => h.client.command(StartRun, { workflowId: waits.workflowId, params: {}, priority: 'P0' }, { commandId: randomUUID() })));
      waiting.push(...batch.map((r) => r.runId));
    }
    await waitFor(
      async () => {
        const r = await h.scheduler.db.selectFrom('scheduler.tasks').select((eb) => eb.fn.countAll<string>().as('n')).where('run_id', 'in', waiting).where('status', '=', 'queued').executeTakeFirstOrThrow();
        return Number(r.n) === waiting.length;
      },
      { what: 'the 250 runs waiting on their stage', timeoutMs: 60_000 },
    );
    await h.registry.register(`${p}-here`, { role: 'worker', capabilities: [], maxConcurrency: 1 });
    const { runId } = await h.client.command(StartRun, { workflowId: goes.workflowId, params: {}, priority: 'P2' }, { commandId: randomUUID() });
    const started = await waitFor(async () => (await h.scheduler.store.readStream(runStreamId(runId))).find((e) => e.type === 'StageStarted'), { what: `run ${runId} StageStarted` });
    const taskId = (started.data as { tasks: { taskId: string }[] }).tasks[0]!.taskId;
    const assigned = await waitFor(async () => (await h.scheduler.store.readStream(taskStreamId(taskId))).find((e) => e.type === 'TaskAssigned'), { what: `task ${taskId} assigned`, timeoutMs: 20_000 });
    expect(assigned.data).toMatchObject({ agentId: `${p}-here` });
  });
});

describe('run manager applied by hand on a stopped scheduler (real Postgres)', () => {
  const harnesses: SchedulerHarness[] = [];
  const closing: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const c of closing) await c();
    for (const h of harnesses) await h.close();
  });

  /** A two-stage run whose first stage's task has just completed, with the scheduler stopped: only the test applies the manager. */
  async function firstTaskCompleted(name: string) {
    const h = await startSchedulerHarness(`scheduler_run_manager_${name}`, { consumerName: uniqueId(`sched-run-manager-${name}`) });
    harnesses.push(h);
    const p = uniqueId(name);
    const yaml = `name: Eager ${p}\nversion: 1.0.0\nsteps:\n  - id: one\n    agent: ${p}-nobody\n    action: first\n  - id: two\n    agent: ${p}-nobody\n    action: second\n    depends_on: [one]\n`;
    const { workflowId } = await h.client.command(RegisterWorkflow, { yaml, file: 'eager.yml' }, { commandId: randomUUID() });
    const { runId } = await h.client.command(StartRun, { workflowId, params: {}, priority: 'P1' }, { commandId: randomUUID() });
    const started = await waitFor(async () => (await h.scheduler.store.readStream(runStreamId(runId))).find((e) => e.type === 'StageStarted'), { what: `run ${runId} StageStarted` });
    const first = (started.data as { tasks: { taskId: string }[] }).tasks[0]!.taskId;
    await waitFor(async () => (await h.scheduler.store.readStream(taskStreamId(first))).length > 0, { what: `task ${first} created` });
    await h.scheduler.close();

    const store = await createPostgresEventStore({ connectionString: h.tdb.url, poolSize: 4 });
    const db = createKysely<SchedulerDatabase>({ connectionString: h.tdb.url });
    closing.push(async () => {
      await db.destroy();
      await store.close();
    });
    const o = { clock: systemClock, ids: randomIds };
    const runs = runRunner(store, runEnvironment(new WorkflowDefinitions(workflowRunner(store, o))), o);
    const tasks = taskRunner(store, o);
    const completedAt = new Date().toISOString();
    const data = { taskId: first, runId, stageId: 'one', agentId: `${p}-agent`, leaseEpoch: 1, outputs: { done: true }, completedAt, durationMs: 1 };
    await store.append(taskStreamId(first), [{ type: 'TaskCompleted', data, metadata: { occurredAt: completedAt } }]);
    const completed = (await store.readStream(taskStreamId(first))).find((e) => e.type === 'TaskCompleted') as RecordedEvent;
    const stageTwo = async () => (await store.readStream(runStreamId(runId))).find((e) => e.type === 'StageStarted' && (e.data as { stageId: string }).stageId === 'two');
    return { store, db, runs, tasks, runId, completed, stageTwo };
  }

  it("records a task's result in its pass, and creates the next stage's tasks in its pass over the StageStarted (caused by it); passes again append nothing", async () => {
    const { store, db, runs, tasks, runId, completed, stageTwo } = await firstTaskCompleted('passes');
    await db.transaction().execute((trx) => runManager({ runs, tasks })(trx, completed));
    const started = await stageTwo();
    expect(started).toBeDefined();
    const second = (started!.data as { tasks: { taskId: string }[] }).tasks[0]!.taskId;
    expect(await store.readStream(taskStreamId(second))).toEqual([]);

    await db.transaction().execute((trx) => runManager({ runs, tasks })(trx, started!));
    const created = await store.readStream(taskStreamId(second));
    expect(created.map((e) => e.type)).toEqual(['TaskCreated']);
    expect(created[0]!.metadata).toMatchObject({ causationId: started!.eventId, correlationId: runId });

    const runLength = (await store.readStream(runStreamId(runId))).length;
    await db.transaction().execute((trx) => runManager({ runs, tasks })(trx, completed));
    await db.transaction().execute((trx) => runManager({ runs, tasks })(trx, started!));
    expect((await store.readStream(runStreamId(runId))).length).toBe(runLength);
    expect((await store.readStream(taskStreamId(second))).length).toBe(1);
  });

  it("records a task's end at once where its append committed, creates the stage it starts from the committed run append, and the manager's later passes append nothing", async () => {
    const { store, db, tasks, runId, completed, stageTwo } = await firstTaskCompleted('now');
    // A run runner told of its commits, as the scheduler builds it: the stages they start get their tasks now.
    const created: Promise<void>[] = [];
    const o = { clock: systemClock, ids: randomIds };
    const runs = runRunner(store, runEnvironment(new WorkflowDefinitions(workflowRunner(store, o))), {
      ...o,
      onCommitted: (r) => {
        if (r.recorded && mayStartTasks(r.recorded)) created.push(createTasksOfCommitted({ tasks }, r.recorded));
      },
    });
    await recordTaskEndingNow({ runs, tasks }, completed);
    expect(created).toHaveLength(1);
    await Promise.all(created);

    const started = await stageTwo();
    expect(started).toBeDefined();
    const second = (started!.data as { tasks: { taskId: string }[] }).tasks[0]!.taskId;
    const events = await store.readStream(taskStreamId(second));
    expect(events.map((e) => e.type)).toEqual(['TaskCreated']);
    expect(events[0]!.metadata).toMatchObject({ causationId: started!.eventId, correlationId: runId });

    // Then the feed brings the TaskCompleted and the StageStarted to the manager (a fresh
    // process: nothing cached): nothing more is appended.
    const later = { runs: runRunner(store, runEnvironment(new WorkflowDefinitions(workflowRunner(store, o))), o), tasks: taskRunner(store, o) };
    const runLength = (await store.readStream(runStreamId(runId))).length;
    await db.transaction().execute((trx) => runManager(later)(trx, completed));
    await db.transaction().execute((trx) => runManager(later)(trx, started!));
    expect((await store.readStream(runStreamId(runId))).length).toBe(runLength);
    expect((await store.readStream(taskStreamId(second))).length).toBe(1);
  });

  it("sends no CreateTask in the manager's pass over a start event whose tasks were created at its commit in this process", async () => {
    const { store, db, tasks, completed, stageTwo } = await firstTaskCompleted('once');
    const createdAtCommit = new CreatedAtCommit();
    const created: Promise<void>[] = [];
    const o = { clock: systemClock, ids: randomIds };
    const runs = runRunner(store, runEnvironment(new WorkflowDefinitions(workflowRunner(store, o))), {
      ...o,
      onCommitted: (r) => {
        if (r.recorded && mayStartTasks(r.recorded)) created.push(createTasksOfCommitted({ tasks, createdAtCommit }, r.recorded));
      },
    });
    await recordTaskEndingNow({ runs, tasks }, completed);
    await Promise.all(created);
    const started = (await stageTwo())!;
    const second = (started.data as { tasks: { taskId: string }[] }).tasks[0]!.taskId;

    // The task runner the manager's pass uses, counting the commands sent to it.
    let commands = 0;
    const fresh = taskRunner(store, o);
    const counting = new Proxy(fresh, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        const bound = (v as (...args: unknown[]) => unknown).bind(target);
        return prop === 'execute' ? (...args: unknown[]) => (commands++, bound(...args)) : bound;
      },
    });
    await db.transaction().execute((trx) => runManager({ runs, tasks: counting, createdAtCommit })(trx, started));
    expect(commands).toBe(0);
    // Another process (nothing remembered) sends it, and the store refuses it as a repeat.
    await db.transaction().execute((trx) => runManager({ runs, tasks: counting })(trx, started));
    expect(commands).toBe(1);
    expect((await store.readStream(taskStreamId(second))).map((e) => e.type)).toEqual(['TaskCreated']);
  });
});
