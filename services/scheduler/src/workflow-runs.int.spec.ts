import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import {
  ApproveStage,
  CancelRun,
  GetRun,
  GetWorkflow,
  ListRuns,
  ListWorkflows,
  PauseRun,
  RegisterWorkflow,
  RerunRun,
  ResumeRun,
  StartRun,
  GetRunAudit,
  SubmitWorkItem,
  ValidateHandoff,
  ValidateWorkflow,
  errorCodeOf,
  runStreamId,
  type WorkflowResultView,
} from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, testNatsUrl, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import type { SchedulerApp } from './adapters/scheduler.app';
import { connectTestClient, readUntil, startTestScheduler } from './testing/test-scheduler';
import { WorkflowAgentCrew } from './testing/workflow-agents';

const EXAMPLES = path.resolve(__dirname, '../../../examples/workflows');

describe('workflow runs (real NATS + Postgres, in-process scheduler, simulated agents)', () => {
  let tdb: TestDatabase;
  let scheduler: SchedulerApp;
  let nc: NatsConnection;
  let client: BatonClient;
  let crew: WorkflowAgentCrew;
  const checked: { taskId: string; runId: string | null; stageId: string | null; qualityGate: string[]; criteria: string[]; mode: string }[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase('scheduler_runs');
    scheduler = await startTestScheduler(tdb.url, { timerPollMs: 200, consumerName: uniqueId('sched-runs') });
    const connected = await connectTestClient(15_000);
    ({ nc, client } = connected);
    crew = new WorkflowAgentCrew(testNatsUrl(), connected.registry);
    // A real NATS responder stands in for the handoff-validator (its own service, tested on its own
    // and in the e2e suite): it records what the scheduler asks to check on completion and accepts it.
    nc.subscribe(ValidateHandoff.subject, {
      queue: 'baton-handoff-validator',
      callback: (_err, msg) => {
        const body = JSON.parse(new TextDecoder().decode(msg.data)) as {
          data: { handoffId: string; taskId: string; runId: string | null; stageId: string | null; checks: { qualityGate: string[]; criteria: string[]; mode: string } };
        };
        const d = body.data;
        checked.push({ taskId: d.taskId, runId: d.runId, stageId: d.stageId, qualityGate: d.checks.qualityGate, criteria: d.checks.criteria, mode: d.checks.mode });
        msg.respond(JSON.stringify({ ok: true, data: { handoffId: d.handoffId, status: 'accepted', failures: [], specIds: [], artifacts: [], rulesChecked: d.checks.qualityGate.length + d.checks.criteria.length } }));
      },
    });
    await waitFor(() => scheduler.lease.isHeld(), { what: 'the dispatcher lease' });
  });

  afterAll(async () => {
    await crew?.close();
    await nc?.close();
    await scheduler?.close();
    await tdb?.drop();
  });

  const register = (yaml: string, file = 'test.yml') => client.command(RegisterWorkflow, { yaml, file }, { commandId: randomUUID() });
  const start = (workflowId: string, params: Record<string, unknown> = {}) =>
    client.command(StartRun, { workflowId, params, priority: 'P1' }, { commandId: randomUUID() });
  const run = (runId: string) => client.query(GetRun, { runId });
  const runWhere = (runId: string, ok: (r: WorkflowResultView) => boolean, what: string, timeoutMs = 30_000) =>
    readUntil(() => run(runId), ok, { what: `run ${runId} ${what}`, timeoutMs });
  const finished = (runId: string) => runWhere(runId, (r) => r.state !== 'running' && r.state !== 'paused', 'finished');
  /** `StageStarted:x` / `StageCompleted:x` … of a run, in stream order. */
  const stageLog = async (runId: string) =>
    (await scheduler.store.readStream(runStreamId(runId)))
      .filter((e) => e.type.startsWith('Stage') && e.type !== 'StageTaskFinished')
      .map((e) => `${e.type}:${(e.data as { stageId: string }).stageId}`);

  it('validates without registering and reports located errors; registering is idempotent by content', async () => {
    const bad = await client.command(ValidateWorkflow, { yaml: 'name: x\nsteps:\n  - id: a\n    agent: a\n    action: go\n    next: nowhere\n', file: 'bad.yml' }, { commandId: randomUUID() });
    expect(bad.ok).toBe(false);
    expect(bad.errors[0]?.text).toMatch(/^bad\.yml:\d+:\d+: /);
    await expect(register('name: x\nsteps:\n  - id: a\n    agent: a\n    action: go\n    next: nowhere\n', 'bad.yml')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { errors: [expect.objectContaining({ file: 'bad.yml', text: expect.stringMatching(/^bad\.yml:\d+:\d+: .*nowhere/) })] },
    });
    const yaml = `name: Idem ${uniqueId()}\nversion: 1.0.0\nsteps:\n  - id: a\n    agent: a\n    action: go\n`;
    const first = await register(yaml);
    expect(first.created).toBe(true);
    expect(await register(yaml)).toEqual({ ...first, created: false });
    await expect(register(yaml.replace('action: go', 'action: went'))).rejects.toMatchObject({ code: 'CONFLICT' });
    const got = await client.query(GetWorkflow, { workflowId: first.workflowId });
    expect(got).toMatchObject({ version: '1.0.0', hash: first.hash, yaml, stages: ['a'] });
    await waitFor(async () => (await client.query(ListWorkflows, {})).workflows.some((w) => w.workflowId === first.workflowId), { what: 'the definition in list-workflows' });
  });

  it('runs a DAG with fan-out and fan-in in dependency order', async () => {
    const p = uniqueId('dag');
    const yaml = `
name: DAG ${p}
version: 1.0.0
steps:
  - id: plan
    agent: ${p}-planner
    action: plan
  - id: backend
    agent: ${p}-be
    action: build_backend
    depends_on: [plan]
  - id: frontend
    agent: ${p}-fe
    action: build_frontend
    depends_on: [plan]
  - id: join
    agent: ${p}-qa
    action: integrate
    depends_on: [backend, frontend]
`;
    const { workflowId } = await register(yaml);
    await crew.add([{ agentId: `${p}-planner` }, { agentId: `${p}-be` }, { agentId: `${p}-fe` }, { agentId: `${p}-qa` }]);
    const { runId } = await start(workflowId);
    const done = await finished(runId);
    expect(done.status).toBe('success');
    const log = await stageLog(runId);
    const at = (entry: string) => {
      const i = log.indexOf(entry);
      expect({ entry, found: i >= 0 }).toEqual({ entry, found: true });
      return i;
    };
    expect(at('StageStarted:backend')).toBeGreaterThan(at('StageCompleted:plan'));
    expect(at('StageStarted:frontend')).toBeGreaterThan(at('StageCompleted:plan'));
    expect(at('StageStarted:join')).toBeGreaterThan(at('StageCompleted:backend'));
    expect(at('StageStarted:join')).toBeGreaterThan(at('StageCompleted:frontend'));
    expect(log.filter((e) => e.startsWith('StageStarted'))).toHaveLength(4);
    expect(done.metrics).toEqual({ totalSteps: 4, successfulSteps: 4, failedSteps: 0, skippedSteps: 0 });

    // Its audit timeline, read from the event store: the run's events and its tasks', in global order.
    const audit = await client.query(GetRunAudit, { runId });
    expect(audit.truncated).toBe(false);
    expect(audit.entries[0]).toMatchObject({ type: 'RunStarted', ofRun: true });
    const own = audit.entries.filter((e) => e.ofRun).map((e) => e.type);
    expect(own.at(-1)).toBe('RunCompleted');
    expect(own.filter((t) => t === 'StageStarted')).toHaveLength(4);
    const taskEvents = audit.entries.filter((e) => !e.ofRun);
    expect(taskEvents.filter((e) => e.type === 'TaskCreated')).toHaveLength(4);
    expect(taskEvents.filter((e) => e.type === 'TaskCompleted').map((e) => e.actor)).toEqual(expect.arrayContaining([`agent:${p}-planner`, `agent:${p}-qa`]));
    const positions = audit.entries.map((e) => e.position.split('/').map(Number) as [number, number]);
    expect(positions.every(([c, q], i) => i === 0 || c > positions[i - 1]![0] || (c === positions[i - 1]![0] && q > positions[i - 1]![1]))).toBe(true);
    // A scan bound that stops before the end says so.
    const short = await client.query(GetRunAudit, { runId, maxScanned: 2 });
    expect(short.truncated).toBe(true);
    expect(short.entries.length).toBeLessThanOrEqual(3);
  });

  it("records a stage task's ending, the run's step and the next stage's task in one commit (the run kept in memory here)", async () => {
    const p = uniqueId('seq');
    const { workflowId } = await register(`name: Seq ${p}\nversion: 1.0.0\nsteps:\n  - id: one\n    agent: ${p}-a\n    action: one\n    next: two\n  - id: two\n    agent: ${p}-a\n    action: two\n    next: three\n  - id: three\n    agent: ${p}-a\n    action: three\n`);
    await crew.add([{ agentId: `${p}-a` }]);
    const { runId } = await start(workflowId);
    expect((await finished(runId)).status).toBe('success');
    const finishedSteps = (await scheduler.store.readStream(runStreamId(runId))).filter((e) => e.type === 'StageTaskFinished');
    expect(finishedSteps).toHaveLength(3);
    let together = 0;
    for (const step of finishedSteps) {
      const taskId = (step.data as { taskId: string }).taskId;
      const ending = (await scheduler.store.readStream(`task-${taskId}`)).find((e) => e.type === 'TaskCompleted')!;
      expect(step.metadata.causationId).toBe(ending.eventId);
      if (ending.position.commit === step.position.commit) together++;
    }
    // Each time the run is kept in memory and no other command on it is under way in this
    // process; when one is, the step follows the ending in a commit of its own (as before).
    expect(together).toBeGreaterThanOrEqual(2);
    // A stage's start and its task (created assigned: the agent has slots to spare) share a commit too.
    const starts = (await scheduler.store.readStream(runStreamId(runId))).filter((e) => e.type === 'StageStarted');
    let startedWithTask = 0;
    for (const st of starts) {
      const taskId = (st.data as { tasks: { taskId: string }[] }).tasks[0]!.taskId;
      const created = await scheduler.store.readStream(`task-${taskId}`);
      expect(created.slice(0, 2).map((e) => e.type)).toEqual(['TaskCreated', 'TaskAssigned']);
      expect(created[0]!.metadata.causationId).toBe(st.eventId);
      if (created[0]!.position.commit === st.position.commit) startedWithTask++;
    }
    expect(startedWithTask).toBeGreaterThanOrEqual(2);
  });

  it('routes a bug work item to Bug Fix, follows the P0 outcome to immediate_fix and answers get-run as a WorkflowResult', async () => {
    const p = uniqueId('bug');
    const yaml = (await readFile(path.join(EXAMPLES, 'bug-fix.yml'), 'utf8')).replaceAll('MCT-', `${p}-MCT-`);
    const reg = await register(yaml, 'bug-fix.yml');
    expect(reg.workflowId).toBe('WF-BUG-001');
    // Routing reads the definitions read model, which follows the store.
    await waitFor(async () => (await client.query(ListWorkflows, {})).workflows.some((w) => w.workflowId === 'WF-BUG-001'), { what: 'Bug Fix in list-workflows' });
    const component = `${p}-payments`;
    await crew.add([
      { agentId: `${p}-MCT-QA-001`, behaviour: (a) => (a.stageId === 'triage' ? { severity_classification: 'P0', 'reproduction_steps.md': 'steps' } : { verified: true }) },
      { agentId: `${p}-fixer`, capabilities: [component], behaviour: () => ({ fix: 'patched' }) },
      { agentId: `${p}-MCT-SEC-001` },
    ]);
    const routed = await client.command(SubmitWorkItem, { itemId: p, type: 'bug', title: 'checkout fails', priority: 'P0', payload: { component } }, { commandId: randomUUID() });
    expect(routed).toEqual({ itemId: p, workflowId: 'WF-BUG-001', runId: expect.any(String) });
    const unrouted = await client.command(SubmitWorkItem, { itemId: `${p}-x`, type: 'no-such-type', payload: {} }, { commandId: randomUUID() });
    expect(unrouted).toEqual({ itemId: `${p}-x`, workflowId: null, runId: null });

    const result = await finished(routed.runId!);
    expect(result).toMatchObject({
      workflowId: 'WF-BUG-001',
      runId: routed.runId,
      status: 'success',
      state: 'success',
      startTime: expect.any(String),
      endTime: expect.any(String),
      duration: expect.any(Number),
      metrics: { totalSteps: 6, successfulSteps: 4, failedSteps: 0, skippedSteps: 0 },
    });
    const steps = Object.fromEntries(result.steps.map((s) => [s.stepId, s]));
    expect(steps['triage']).toMatchObject({ status: 'success', agent: `${p}-MCT-QA-001`, outcome: 'P0', output: { severity_classification: 'P0' } });
    expect(steps['immediate_fix']).toMatchObject({ status: 'success', agent: `${p}-fixer`, output: { fix: 'patched' } });
    expect(steps['scheduled_fix']?.status).toBe('pending');
    expect(steps['backlog']?.status).toBe('pending');
    expect(steps['verification']?.status).toBe('success');
    // The runs list is the workflows read model: it shows the run once its projection applied the events.
    const listed = await waitFor(
      async () => (await client.query(ListRuns, { workflowId: 'WF-BUG-001', limit: 10 })).runs.find((r) => r.runId === routed.runId && r.state === 'success'),
      { what: `run ${routed.runId} finished in list-runs` },
    );
    // The row's times are the run's own (its RunStarted and RunCompleted), as get-run folds them from the stream.
    expect(listed).toEqual({ runId: routed.runId, workflowId: 'WF-BUG-001', version: expect.any(String), state: 'success', status: 'success', startTime: result.startTime, endTime: result.endTime });
  });

  it('skips on a false condition, waits for the parallel sync point and loops back within its bound', async () => {
    const p = uniqueId('loop');
    let reviews = 0;
    const yaml = `
workflow:
  name: Loop ${p}
  id: loop-${p}
  version: "1"
  params:
    with_docs: { type: boolean, default: false }
  stages:
    - stage: implement
      parallel_agents:
        - { id: be, agent: ${p}-be, action: backend }
        - { id: fe, agent: ${p}-fe, action: frontend }
      sync_point: all_complete
      next: docs
    - stage: docs
      agent: ${p}-writer
      action: write_docs
      condition: params.with_docs
      next: review
    - stage: review
      agent: ${p}-reviewer
      action: review
      next: { approved: done, rejected: implement }
      loop: { back_to: implement, max_iterations: 3 }
    - stage: done
      agent: ${p}-be
      action: merge
`;
    const { workflowId } = await register(yaml);
    await crew.add([
      { agentId: `${p}-be`, behaviour: () => ({ api: 'v1' }) },
      { agentId: `${p}-fe`, behaviour: () => ({ ui: 'ok' }) },
      { agentId: `${p}-writer` },
      { agentId: `${p}-reviewer`, behaviour: () => ({ outcome: ++reviews < 2 ? 'rejected' : 'approved' }) },
    ]);
    const { runId } = await start(workflowId);
    const result = await finished(runId);
    expect(result.status).toBe('success');
    const log = await stageLog(runId);
    expect(log).toEqual([
      'StageStarted:implement',
      'StageCompleted:implement',
      'StageSkipped:docs',
      'StageStarted:review',
      'StageCompleted:review',
      'StageReworkRequested:review',
      'StageStarted:implement',
      'StageCompleted:implement',
      'StageSkipped:docs',
      'StageStarted:review',
      'StageCompleted:review',
      'StageStarted:done',
      'StageCompleted:done',
    ]);
    const events = await scheduler.store.readStream(runStreamId(runId));
    // The sync point: each implement iteration completed only after both branch tasks finished.
    for (let i = 0; i < events.length; i++) {
      if (events[i]!.type !== 'StageCompleted' || (events[i]!.data as { stageId: string }).stageId !== 'implement') continue;
      const finishedBefore = events.slice(0, i).filter((e) => e.type === 'StageTaskFinished' && (e.data as { stageId: string }).stageId === 'implement');
      expect(finishedBefore.length % 2).toBe(0);
      expect(finishedBefore.length).toBeGreaterThanOrEqual(2);
    }
    const steps = Object.fromEntries(result.steps.map((s) => [s.stepId, s]));
    expect(steps['implement']).toMatchObject({ runs: 2, output: { api: 'v1', ui: 'ok' } });
    expect(steps['docs']).toMatchObject({ status: 'skipped', error: 'condition "params.with_docs" is false' });
  });

  it('pauses (no new stage starts), resumes, and cancels with its open tasks', async () => {
    const p = uniqueId('ctl');
    const yaml = `
name: Control ${p}
version: 1.0.0
steps:
  - id: first
    agent: ${p}-a
    action: one
  - id: second
    agent: ${p}-a
    action: two
  - id: third
    agent: ${p}-hold
    action: three
`;
    const { workflowId } = await register(yaml);
    const releases: (() => void)[] = [];
    await crew.add([
      {
        agentId: `${p}-a`,
        behaviour: (a) =>
          a.stageId === 'first'
            ? new Promise<Record<string, unknown>>((resolve) => releases.push(() => resolve({ step: 'first' })))
            : { step: a.stageId },
      },
    ]);
    const { runId } = await start(workflowId);
    await waitFor(() => releases.length === 1, { what: 'the first task in the agent' });
    expect(await client.command(PauseRun, { runId, reason: 'hold on' }, { commandId: randomUUID() })).toEqual({ runId, status: 'paused' });
    releases[0]!();
    await runWhere(runId, (r) => r.steps[0]?.status === 'success', 'first step recorded while paused');
    const paused = await run(runId);
    expect(paused).toMatchObject({ state: 'paused', status: 'running' });
    expect(paused.steps[1]?.status).toBe('pending');
    expect(await stageLog(runId)).toEqual(['StageStarted:first', 'StageCompleted:first']);

    expect(await client.command(ResumeRun, { runId }, { commandId: randomUUID() })).toEqual({ runId, status: 'running' });
    // `third` goes to an agent nobody runs: the run waits there until cancelled.
    await runWhere(runId, (r) => r.steps[2]?.status === 'running', 'third step running');
    const thirdTask = (await run(runId)).steps[2]!.taskIds[0]!;
    expect(await client.command(CancelRun, { runId, reason: 'not needed' }, { commandId: randomUUID() })).toEqual({ runId, status: 'cancelled' });
    const cancelled = await run(runId);
    expect(cancelled).toMatchObject({ state: 'cancelled', status: 'failure', error: 'not needed' });
    await waitFor(async () => (await scheduler.store.readStream(`task-${thirdTask}`)).some((e) => e.type === 'TaskCancelled'), { what: 'the open task cancelled' });
    await expect(client.command(ResumeRun, { runId }, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });

  it('run events appended in answer to a traced command carry its traceparent', async () => {
    const p = uniqueId('traced');
    const { workflowId } = await register(`name: Traced ${p}\nversion: 1.0.0\nsteps:\n  - id: only\n    agent: ${p}-nobody\n    action: wait\n`);
    const traced = async (def: typeof StartRun | typeof PauseRun, data: unknown, traceparent: string) => {
      const h = headers();
      h.set('traceparent', traceparent);
      const reply = (await client.requestRaw(def.subject, JSON.stringify({ commandId: randomUUID(), schemaVersion: def.latestVersion, actor: { kind: 'human', id: 'ops@example.test' }, data }), { headers: h })) as {
        ok: boolean;
        data: { runId: string };
      };
      expect(reply.ok).toBe(true);
      return reply.data;
    };
    const startTrace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const pauseTrace = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const { runId } = await traced(StartRun, { workflowId, params: {}, priority: 'P1' }, startTrace);
    await traced(PauseRun, { runId, reason: 'traced pause' }, pauseTrace);
    const events = await scheduler.store.readStream(runStreamId(runId));
    const byType = new Map(events.map((e) => [e.type, e]));
    expect(byType.get('RunStarted')?.metadata).toMatchObject({ traceparent: startTrace, correlationId: runId });
    expect(byType.get('StageStarted')?.metadata).toMatchObject({ traceparent: startTrace });
    expect(byType.get('RunPaused')?.metadata).toMatchObject({ traceparent: pauseTrace, actor: { kind: 'human', id: 'ops@example.test' } });
    await client.command(CancelRun, { runId, reason: 'done' }, { commandId: randomUUID() });
  });

  it('runs the Feature Development example to the end: gates checked on completion, agent approvers, a person approving the deploy', async () => {
    const p = uniqueId('feat');
    const yaml = (await readFile(path.join(EXAMPLES, 'feature-development.yml'), 'utf8')).replaceAll('MCT-', `${p}-MCT-`);
    const reg = await register(yaml, 'feature-development.yml');
    const ids = [...new Set([...yaml.matchAll(new RegExp(`${p}-MCT-[A-Z]+-\\d+`, 'g'))].map((m) => m[0]))];
    {
      await crew.add(ids.map((agentId) => ({ agentId, behaviour: (a) => (a.action === 'approve_stage' ? { decision: 'approved', reason: `${agentId} approves` } : { by: agentId }) })));
      // The `complete` stage is the control plane's own: its cleanup steps go to an agent with them as capabilities.
      await crew.add([{ agentId: `${p}-housekeeper`, role: 'housekeeping', capabilities: ['archive_artifacts', 'close_tickets'] }]);
      const { runId } = await start(reg.workflowId);
      await runWhere(runId, (r) => r.steps.some((s) => s.stepId === 'production_deploy'), 'waiting at production_deploy', 60_000);
      const held = await waitFor(
        async () => {
          const events = await scheduler.store.readStream(runStreamId(runId));
          return events.find((e) => e.type === 'StageApprovalRequested' && (e.data as { stageId: string }).stageId === 'production_deploy');
        },
        { what: 'the production deploy held for a person', timeoutMs: 60_000 },
      );
      expect(held.data).toMatchObject({ kind: 'human', when: 'before', approvers: ['Human'] });
      await client.command(ApproveStage, { runId, stageId: 'production_deploy', reason: 'release window' }, { commandId: randomUUID(), actor: { kind: 'human', id: 'release-manager' } });
      const result = await finished(runId);
      expect(result.status).toBe('success');
      expect(result.steps.every((s) => s.status === 'success')).toBe(true);
      const log = await stageLog(runId);
      expect(log.filter((e) => e.startsWith('StageApproved'))).toEqual(['StageApproved:requirements', 'StageApproved:architecture', 'StageApproved:production_deploy']);
      expect(log.filter((e) => e.startsWith('StageStarted')).map((e) => e.slice('StageStarted:'.length))).toEqual(result.steps.map((s) => s.stepId));
      expect(log.slice(-2)).toEqual(['StageCleanupStarted:complete', 'StageCompleted:complete']);
      expect(crew.handled.filter((h) => h.assignment.inputs['runId'] === runId && h.agentId === `${p}-housekeeper`).map((h) => h.assignment.action).sort()).toEqual(['archive_artifacts', 'close_tickets']);
      const byStage = new Map(checked.filter((c) => c.runId === runId).map((c) => [c.stageId, c]));
      expect(byStage.get('requirements')).toMatchObject({ mode: 'handoff', qualityGate: ['prd_completeness >= 100%', 'no_ambiguous_terms'] });
      expect(byStage.get('security_review')).toMatchObject({ mode: 'review', criteria: ['no_critical_vulnerabilities', 'no_secrets_exposed', 'auth_review_passed'] });
      expect(byStage.get('testing')).toMatchObject({ qualityGate: ['all_p0_tests_pass', 'coverage >= 80%'] });
    }
  });

  it('runs a stage\'s cleanup steps after its work, by its own agent or (orchestrator stage) by capability, and completes the run though one cleanup failed', async () => {
    const p = uniqueId('cleanup');
    const step = (name: string) => `${name}_${p.replaceAll('-', '_')}`;
    const yaml = `
workflow:
  name: Cleanup ${p}
  version: 1.0.0
  stages:
    - stage: deploy
      agent: ${p}-ops
      action: deploy
      cleanup: [${step('close_pr')}, ${step('notify_team')}]
      next: complete
    - stage: complete
      action: notify_stakeholders
      cleanup: [${step('archive_artifacts')}]
`;
    const { workflowId } = await register(yaml);
    await crew.add([
      // The deploying agent cleans up after itself; its close_pr fails (the tracker is down).
      { agentId: `${p}-ops`, behaviour: (a) => (a.action === step('close_pr') ? { fail: 'tracker unreachable' } : { by: `${p}-ops` }) },
      { agentId: `${p}-housekeeper`, role: 'housekeeping', capabilities: [step('archive_artifacts')] },
    ]);
    const { runId } = await start(workflowId);
    const done = await finished(runId);
    expect(done.status).toBe('success');
    expect(await stageLog(runId)).toEqual([
      'StageStarted:deploy',
      'StageCleanupStarted:deploy',
      'StageCompleted:deploy',
      'StageStarted:complete',
      'StageCleanupStarted:complete',
      'StageCompleted:complete',
    ]);
    const events = await scheduler.store.readStream(runStreamId(runId));
    const completed = events.filter((e) => e.type === 'StageCompleted').map((e) => e.data as { stageId: string; cleanupFailed?: string[] });
    expect(completed).toEqual([expect.objectContaining({ stageId: 'deploy', cleanupFailed: [step('close_pr')] }), expect.objectContaining({ stageId: 'complete', cleanupFailed: [] })]);
    const failedCleanup = events.find((e) => e.type === 'StageTaskFinished' && (e.data as { key: string }).key === `cleanup:${step('close_pr')}`);
    expect(failedCleanup?.data).toMatchObject({ stageId: 'deploy', status: 'failed', agentId: `${p}-ops`, error: 'tracker unreachable' });
    const worked = crew.handled.filter((h) => h.assignment.inputs['runId'] === runId).map((h) => `${h.agentId} ${h.assignment.action}`);
    expect(worked.sort()).toEqual([`${p}-housekeeper ${step('archive_artifacts')}`, `${p}-ops ${step('close_pr')}`, `${p}-ops ${step('notify_team')}`, `${p}-ops deploy`].sort());
  });

  it('fires a cron-scheduled workflow from its durable timer', async () => {
    const p = uniqueId('cron');
    const yaml = `name: Cron ${p}\nversion: 1.0.0\nschedule: "* * * * * *"\nsteps:\n  - id: tick\n    agent: ${p}-ticker\n    action: tick\n`;
    const { workflowId } = await register(yaml);
    await crew.add([{ agentId: `${p}-ticker` }]);
    const fired = await waitFor(
      async () => (await client.query(ListRuns, { workflowId, state: 'success', limit: 10 })).runs[0],
      { what: 'a cron run to finish', timeoutMs: 30_000 },
    );
    expect(fired.runId).toMatch(/^cron-/);
  });

  it('reruns a finished run from a stage: earlier stages keep their results and do not run again; both audits name each other', async () => {
    const p = uniqueId('rerun');
    const yaml = `
name: Rerun ${p}
version: 1.0.0
steps:
  - id: design
    agent: ${p}-architect
    action: design
  - id: build
    agent: ${p}-dev
    action: build
    depends_on: [design]
  - id: testing
    agent: ${p}-qa
    action: test
    depends_on: [build]
  - id: deploy
    agent: ${p}-ops
    action: deploy
    depends_on: [testing]
`;
    const { workflowId } = await register(yaml);
    await crew.add([
      { agentId: `${p}-architect`, behaviour: () => ({ 'design.md': 'the design' }) },
      { agentId: `${p}-dev`, behaviour: () => ({ 'build.tar': 'the build' }) },
      { agentId: `${p}-qa` },
      { agentId: `${p}-ops` },
    ]);
    const first = await start(workflowId);
    expect((await finished(first.runId)).status).toBe('success');
    const handledBefore = crew.handled.length;

    const ops = { kind: 'human' as const, id: `${p}-operator` };
    const commandId = randomUUID();
    const rerun = await client.command(RerunRun, { runId: first.runId, fromStage: 'testing', reason: 'flaky test fixed' }, { commandId, actor: ops });
    expect(rerun).toMatchObject({ sourceRunId: first.runId, fromStage: 'testing', workflowId, version: '1.0.0', reusedStages: ['design', 'build'] });
    // The same command again answers the same, and starts nothing new.
    expect(await client.command(RerunRun, { runId: first.runId, fromStage: 'testing', reason: 'flaky test fixed' }, { commandId, actor: ops })).toEqual(rerun);

    const second = await finished(rerun.runId);
    expect(second).toMatchObject({ status: 'success', rerunOf: { runId: first.runId, fromStage: 'testing' } });
    const steps = Object.fromEntries(second.steps.map((s) => [s.stepId, s]));
    expect(steps['design']).toMatchObject({ status: 'success', output: { 'design.md': 'the design' }, taskIds: [] });
    expect(steps['build']).toMatchObject({ status: 'success', output: { 'build.tar': 'the build' }, taskIds: [] });
    // Only testing and deploy ran again, and testing got the reused outputs as its upstream inputs.
    const ran = crew.handled.slice(handledBefore).filter((h) => h.assignment.inputs['runId'] === rerun.runId);
    expect(ran.map((h) => h.assignment.inputs['stageId']).sort()).toEqual(['deploy', 'testing']);
    const testing = ran.find((h) => h.assignment.inputs['stageId'] === 'testing');
    expect(testing?.assignment.inputs['upstream']).toMatchObject({ design: { 'design.md': 'the design' }, build: { 'build.tar': 'the build' } });
    expect(await stageLog(rerun.runId)).toEqual(['StageReused:design', 'StageReused:build', 'StageStarted:testing', 'StageCompleted:testing', 'StageStarted:deploy', 'StageCompleted:deploy']);

    // Both audits name each other, with who asked.
    const newStream = await scheduler.store.readStream(runStreamId(rerun.runId));
    expect(newStream[0]).toMatchObject({ type: 'RunStarted', data: { rerunOf: { runId: first.runId, fromStage: 'testing' }, startedBy: ops } });
    const sourceStream = await scheduler.store.readStream(runStreamId(first.runId));
    expect(sourceStream.filter((e) => e.type === 'RunRerunStarted').map((e) => e.data)).toEqual([
      expect.objectContaining({ runId: first.runId, rerunRunId: rerun.runId, fromStage: 'testing', requestedBy: ops, reason: 'flaky test fixed' }),
    ]);
    expect(await run(first.runId)).toMatchObject({ reruns: [{ runId: rerun.runId, fromStage: 'testing' }] });

    await expect(client.command(RerunRun, { runId: first.runId, fromStage: 'no_such_stage' }, { commandId: randomUUID(), actor: ops })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(client.command(RerunRun, { runId: 'no-such-run', fromStage: 'testing' }, { commandId: randomUUID(), actor: ops })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('breaches a run-level sla once from its durable timer while the run is still open', async () => {
    const p = uniqueId('runsla');
    // Nobody serves the stage's agent, so the run stays open past its 1 s SLA.
    const { workflowId } = await register(`name: Run SLA ${p}\nversion: 1.0.0\nsla: 1s\nsteps:\n  - id: work\n    agent: ${p}-nobody\n    action: work\n`);
    const { runId } = await start(workflowId);
    const breached = await waitFor(async () => (await scheduler.store.readStream(runStreamId(runId))).find((e) => e.type === 'RunSlaBreached'), { what: 'RunSlaBreached', timeoutMs: 30_000 });
    expect(breached.data).toMatchObject({ runId, workflowId, slaMs: 1000 });
    await client.command(CancelRun, { runId, reason: 'test over' }, { commandId: randomUUID() });
    expect((await scheduler.store.readStream(runStreamId(runId))).filter((e) => e.type === 'RunSlaBreached')).toHaveLength(1);
  });

  it('answers NOT_FOUND for unknown runs and workflows', async () => {
    await expect(run('no-such-run')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await client.query(GetRunAudit, { runId: 'no-such-run' }).catch((e: unknown) => errorCodeOf(e))).toBe('NOT_FOUND');
    // Garbage is refused before the store is read.
    for (const bad of [{ runId: 'has spaces' }, { runId: 'r1', maxScanned: 0 }, { runId: 'r1', maxScanned: 1.5 }, { runId: 'r1', extra: true }]) {
      const code = await client.query(GetRunAudit, bad as never).catch((e: unknown) => errorCodeOf(e));
      expect({ bad, code }).toEqual({ bad, code: 'VALIDATION_FAILED' });
    }
    const err = await start('no-such-workflow').catch((e: unknown) => e);
    expect(errorCodeOf(err)).toBe('NOT_FOUND');
  });
});
