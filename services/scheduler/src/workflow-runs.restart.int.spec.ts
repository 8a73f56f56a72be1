import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { GetRun, ListWorkflows, StartRun, errorCodeOf, runStreamId, taskStreamId, workflowStreamId } from '@baton/contracts';
import { createPostgresEventStore, type PostgresEventStore } from '@baton/event-store';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, testNatsUrl, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import { connectTestClient, schedulerProcessEnv, startSchedulerProcess, stopSchedulerProcess, waitForSchedulerProcess, type SchedulerProcess } from './testing/test-scheduler';
import { WorkflowAgentCrew } from './testing/workflow-agents';

describe('workflow runs survive a SIGKILL of the scheduler (child process, WORKFLOWS_DIR)', () => {
  let tdb: TestDatabase;
  let store: PostgresEventStore;
  let nc: NatsConnection;
  let client: BatonClient;
  let crew: WorkflowAgentCrew;
  let dir: string;
  let child: SchedulerProcess | undefined;
  const p = uniqueId('rs');
  const workflowId = `restart-${p}`;
  const consumerName = uniqueId('sched-wf-restart');

  const env = (): Record<string, string> => ({ ...schedulerProcessEnv({ databaseUrl: tdb.url, consumerName, pollMs: 300 }), WORKFLOWS_DIR: dir });

  async function up(): Promise<SchedulerProcess> {
    const c = startSchedulerProcess(env());
    await waitForSchedulerProcess(
      c,
      async () => {
        try {
          return (await client.query(ListWorkflows, {}, { timeoutMs: 1000 })).workflows.some((w) => w.workflowId === workflowId);
        } catch {
          return false;
        }
      },
      'the scheduler process to serve the workflow from WORKFLOWS_DIR',
    );
    return c;
  }

  beforeAll(async () => {
    tdb = await createTestDatabase('scheduler_wf_restart');
    store = await createPostgresEventStore({ connectionString: tdb.url });
    const connected = await connectTestClient(5000);
    ({ nc, client } = connected);
    crew = new WorkflowAgentCrew(testNatsUrl(), connected.registry);
    dir = await mkdtemp(path.join(os.tmpdir(), 'baton-wf-'));
    await writeFile(
      path.join(dir, 'restart.yml'),
      `
workflow:
  name: Restart ${p}
  id: ${workflowId}
  version: "1.0.0"
  stages:
    - stage: plan
      agent: ${p}-planner
      action: plan
      next: build
    - stage: build
      parallel_agents:
        - { id: backend, agent: ${p}-be, action: backend }
        - { id: frontend, agent: ${p}-fe, action: frontend }
      sync_point: all_complete
      next: verify
    - stage: verify
      agent: ${p}-qa
      action: verify
`,
    );
  });

  afterAll(async () => {
    await crew?.close();
    await stopSchedulerProcess(child);
    await nc?.close();
    await store?.close();
    await tdb?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finishes every run: every stage exactly once, no task lost, none completed twice', async () => {
    child = await up();
    await crew.add([{ agentId: `${p}-planner` }, { agentId: `${p}-be` }, { agentId: `${p}-fe` }, { agentId: `${p}-qa` }]);
    const runIds: string[] = [];
    for (let i = 0; i < 12; i++) {
      // Other test suites may run a scheduler on the same NATS server (same queue group, another
      // database), which answers NOT_FOUND; the command is idempotent by run id, so ask again.
      const runId = `${p}-run-${i}`;
      const commandId = randomUUID();
      await waitFor(
        () =>
          client.command(StartRun, { workflowId, params: {}, priority: 'P1', runId }, { commandId }).then(
            () => true,
            (err: unknown) => {
              if (errorCodeOf(err) === 'NOT_FOUND') return false;
              throw err;
            },
          ),
        { what: `run ${runId} started` },
      );
      runIds.push(runId);
    }
    // Kill it hard as soon as the runs are under way.
    await waitFor(() => crew.handled.length >= 3, { timeoutMs: 30_000, what: 'the first tasks done' });
    child.proc.kill('SIGKILL');
    await child.exited;
    expect(crew.handled.length).toBeLessThan(runIds.length * 4);

    child = await up();
    // Registering the same directory again added nothing.
    expect(await store.readStream(workflowStreamId(workflowId))).toHaveLength(1);

    for (const runId of runIds) {
      await waitFor(
        async () => {
          const r = await client.query(GetRun, { runId }, { timeoutMs: 3000 }).catch(() => undefined);
          return r?.state === 'success';
        },
        { timeoutMs: 90_000, intervalMs: 200, what: `run ${runId} to succeed` },
      );
    }
    for (const runId of runIds) {
      const events = await store.readStream(runStreamId(runId));
      const started = events.filter((e) => e.type === 'StageStarted').map((e) => (e.data as { stageId: string }).stageId);
      expect({ runId, started }).toEqual({ runId, started: ['plan', 'build', 'verify'] });
      expect(events.filter((e) => e.type === 'RunCompleted')).toHaveLength(1);
      const taskIds = events
        .filter((e) => e.type === 'StageStarted')
        .flatMap((e) => (e.data as { tasks: { taskId: string }[] }).tasks.map((t) => t.taskId));
      expect(taskIds).toHaveLength(4);
      for (const taskId of taskIds) {
        const types = (await store.readStream(taskStreamId(taskId))).map((e) => e.type);
        expect({ taskId, created: types.filter((t) => t === 'TaskCreated').length, completed: types.filter((t) => t === 'TaskCompleted').length }).toEqual({
          taskId,
          created: 1,
          completed: 1,
        });
      }
    }
  }, 240_000);
});
