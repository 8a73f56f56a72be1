import { randomUUID } from 'node:crypto';
import { randomIds, systemClock } from '@baton/aggregate';
import { GetRun, RegisterWorkflow, StartRun, runStreamId, taskStreamId, type RecordedEvent } from '@baton/contracts';
import { createPostgresEventStore, type PostgresEventStore } from '@baton/event-store';
import { createKysely } from '@baton/read-models';
import { uniqueId, waitFor } from '@baton/testing';
import type { Kysely } from 'kysely';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';
import { readUntil, startSchedulerHarness, type SchedulerHarness } from '../testing/test-scheduler';
import { runManager } from './run.manager';
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
  let h: SchedulerHarness | undefined;
  let store: PostgresEventStore | undefined;
  let db: Kysely<SchedulerDatabase> | undefined;

  afterAll(async () => {
    await db?.destroy();
    await store?.close();
    await h?.close();
  });

  it("creates the next stage's tasks in the pass that records a task's result, as its own pass would (caused by the StageStarted)", async () => {
    h = await startSchedulerHarness('scheduler_run_manager_eager', { consumerName: uniqueId('sched-run-manager-eager') });
    const p = uniqueId('eager');
    const yaml = `name: Eager ${p}\nversion: 1.0.0\nsteps:\n  - id: one\n    agent: ${p}-nobody\n    action: first\n  - id: two\n    agent: ${p}-nobody\n    action: second\n    depends_on: [one]\n`;
    const { workflowId } = await h.client.command(RegisterWorkflow, { yaml, file: 'eager.yml' }, { commandId: randomUUID() });
    const { runId } = await h.client.command(StartRun, { workflowId, params: {}, priority: 'P1' }, { commandId: randomUUID() });
    const runEvents = () => h!.scheduler.store.readStream(runStreamId(runId));
    const started = await waitFor(async () => (await runEvents()).find((e) => e.type === 'StageStarted'), { what: `run ${runId} StageStarted` });
    const first = (started.data as { tasks: { taskId: string }[] }).tasks[0]!.taskId;
    await waitFor(async () => (await h!.scheduler.store.readStream(taskStreamId(first))).length > 0, { what: `task ${first} created` });
    // From here on only this test applies the run manager: the scheduler is stopped.
    await h.scheduler.close();

    store = await createPostgresEventStore({ connectionString: h.tdb.url, poolSize: 4 });
    db = createKysely<SchedulerDatabase>({ connectionString: h.tdb.url });
    const o = { clock: systemClock, ids: randomIds };
    const runs = runRunner(store, runEnvironment(new WorkflowDefinitions(workflowRunner(store, o))), o);
    const tasks = taskRunner(store, o);
    const completedAt = new Date().toISOString();
    const data = { taskId: first, runId, stageId: 'one', agentId: `${p}-agent`, leaseEpoch: 1, outputs: { done: true }, completedAt, durationMs: 1 };
    await store.append(taskStreamId(first), [{ type: 'TaskCompleted', data, metadata: { occurredAt: completedAt } }]);
    const completed = (await store.readStream(taskStreamId(first))).find((e) => e.type === 'TaskCompleted') as RecordedEvent;

    await db.transaction().execute((trx) => runManager({ runs, tasks })(trx, completed));

    const stageTwo = (await store.readStream(runStreamId(runId))).find((e) => e.type === 'StageStarted' && (e.data as { stageId: string }).stageId === 'two');
    expect(stageTwo).toBeDefined();
    const second = (stageTwo!.data as { tasks: { taskId: string }[] }).tasks[0]!.taskId;
    const created = await store.readStream(taskStreamId(second));
    expect(created.map((e) => e.type)).toEqual(['TaskCreated']);
    expect(created[0]!.metadata).toMatchObject({ causationId: stageTwo!.eventId, correlationId: runId });

    // The manager's own pass over that StageStarted, later, appends nothing more.
    await db.transaction().execute((trx) => runManager({ runs, tasks })(trx, stageTwo!));
    expect((await store.readStream(taskStreamId(second))).length).toBe(1);
  });
});
