import { randomUUID } from 'node:crypto';
import { GetRun, RegisterWorkflow, StartRun, runStreamId, taskStreamId } from '@baton/contracts';
import { uniqueId, waitFor } from '@baton/testing';
import { readUntil, startSchedulerHarness, type SchedulerHarness } from '../testing/test-scheduler';

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
