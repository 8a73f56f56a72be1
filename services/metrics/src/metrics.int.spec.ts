import { manualClock } from '@baton/aggregate';
import {
  agentStreamId,
  GetMetrics,
  GetRunMetrics,
  ListEtas,
  ListHealth,
  PauseRun,
  RaiseEscalation,
  budgetStreamId,
  runStreamId,
  workflowStreamId,
  taskStreamId,
  type DataOf,
  type EscalationView,
  type Position,
} from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, relayedEvent, serviceTestOptions, testNatsUrl, uniqueId, waitFor, type TestDatabase, testNatsAuth } from '@baton/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { sql } from 'kysely';
import { startMetrics, type MetricsApp } from './adapters/metrics.app';
import { PROJECTED_TABLES } from './read-model/metrics.tables';

// A run written into the store the way the scheduler and the registry write it, with times
// chosen so every figure can be worked out by hand (docs/metrics.md walks through the same run).
const T0 = Date.parse('2026-12-06T00:00:00.000Z');
const MIN = 60_000;
const at = (min: number): string => new Date(T0 + min * MIN).toISOString();

describe('metrics service (int)', () => {
  let tdb: TestDatabase;
  let app: MetricsApp;
  let nc: NatsConnection;
  let client: BatonClient;
  const clock = manualClock(T0 + 115 * MIN);
  const startedAt = new Date(Date.now() - 1000);
  const wf = uniqueId('WF-T');
  const run1 = uniqueId('run');
  const raised: DataOf<typeof RaiseEscalation>[] = [];
  const paused: { runId: string; reason?: string | undefined; actor: unknown }[] = [];

  let last: Position | undefined;
  const append = async (streamId: string, type: string, data: Record<string, unknown>, min: number) => {
    last = (await app.store.append(streamId, [{ type, data, metadata: { occurredAt: at(min) } }])).position;
  };
  const run = (runId: string, type: string, data: Record<string, unknown>, min: number) => append(runStreamId(runId), type, { runId, ...data }, min);
  const task = (taskId: string, type: string, data: Record<string, unknown>, min: number) => append(taskStreamId(taskId), type, { taskId, ...data }, min);
  const stage = (runId: string, stageId: string, iteration: number, taskIds: string[], min: number) =>
    run(runId, 'StageStarted', { stageId, iteration, tasks: taskIds.map((taskId) => ({ taskId, priority: 'P1' })), slaMs: stageId === 'plan' ? 15 * MIN : null, slaDueAt: null, startedAt: at(min) }, min);
  const stageDone = (runId: string, stageId: string, iteration: number, min: number) => run(runId, 'StageCompleted', { stageId, iteration, outcome: null, outputs: {}, next: { ready: [], waiting: [] }, completedAt: at(min) }, min);
  /** A task of a stage: created, assigned at `from`, accepted, completed at `to`. */
  const work = async (runId: string, stageId: string, taskId: string, agentId: string, from: number, to: number) => {
    await task(taskId, 'TaskCreated', { runId, stageId, action: 'do', requirement: { capabilities: [] }, priority: 'P1', inputs: {}, attempt: 1, slaDueAt: null, timeoutMs: null, createdAt: at(from) }, from);
    await task(taskId, 'TaskAssigned', { agentId, leaseEpoch: 1, assignedAt: at(from), previousAgentId: null }, from);
    await task(taskId, 'TaskAccepted', { agentId, leaseEpoch: 1, acceptedAt: at(from) }, from);
    return async () => task(taskId, 'TaskCompleted', { runId, stageId, agentId, leaseEpoch: 1, outputs: {}, completedAt: at(to), durationMs: (to - from) * MIN }, to);
  };
  const tokens = (taskId: string, agentId: string, n: number, min: number) =>
    task(taskId, 'TaskProgressReported', { agentId, leaseEpoch: 1, percent: 50, message: null, tokensUsed: n, reportedAt: at(min) }, min);
  const agent = (agentId: string, model: string | undefined, maxConcurrency: number) =>
    append(agentStreamId(agentId), 'AgentRegistered', { agentId, role: 'dev', capabilities: [], maxConcurrency, peers: [], ...(model ? { model } : {}), registeredAt: at(0) }, 0);
  // Up to the last append: the store may hold back an event while older transactions are open.
  const caughtUp = () => app.projection.waitUntilCaughtUp({ timeoutMs: 30_000, ...(last ? { until: last } : {}) });
  const a = uniqueId('A');
  const b = uniqueId('B');
  const c = uniqueId('C');
  /** Review `iteration` of run 1, started at `start`: c reviews from `from` to `to`. */
  const review = async (iteration: number, start: number, from: number, to: number) => {
    await stage(run1, 'review', iteration, [`${run1}-rev${iteration}`], start);
    await (await work(run1, 'review', `${run1}-rev${iteration}`, c, from, to))();
  };

  beforeAll(async () => {
    tdb = await createTestDatabase('metrics');
    app = await startMetrics({
      ...serviceTestOptions(tdb.url),
      clock,
      // The tests run the checks themselves.
      healthIntervalMs: 3_600_000,
      healthWindowMs: 60 * MIN,
      prices: { 'm-a': 10, 'm-b': 20 },
    });
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
    client = new BatonClient(nc, { timeoutMs: 10_000 });
    // The escalation service stands here as a real NATS responder that keeps what it is asked.
    nc.subscribe(RaiseEscalation.subject, {
      queue: 'metrics-int-escalation',
      callback: (_err, msg) => {
        const body = JSON.parse(msg.string()) as { data: DataOf<typeof RaiseEscalation> };
        raised.push(body.data);
        const view: EscalationView = {
          escalationId: body.data.escalationId!,
          trigger: body.data.trigger,
          level: body.data.level ?? 0,
          assignee: { kind: 'agent', id: 'lead' },
          status: 'open',
          issue: body.data.issue,
          workflowStage: null,
          options: body.data.options,
          recommendation: null,
          blocking: body.data.blocking,
          runId: null,
          stageId: null,
          taskId: null,
          agentId: body.data.agentId ?? null,
          raisedAt: clock.now().toISOString(),
          updatedAt: clock.now().toISOString(),
          resolution: null,
          resolvedBy: null,
          resolutionReason: null,
          resolvedAt: null,
        };
        msg.respond(JSON.stringify({ ok: true, data: view }));
      },
    });

    // The scheduler stands here too, for pause-run.
    nc.subscribe(PauseRun.subject, {
      queue: 'metrics-int-scheduler',
      callback: (_err, msg) => {
        const body = JSON.parse(msg.string()) as { data: DataOf<typeof PauseRun>; actor: unknown };
        paused.push({ ...body.data, actor: body.actor });
        msg.respond(JSON.stringify({ ok: true, data: { runId: body.data.runId, status: 'paused' } }));
      },
    });

    await agent(a, 'm-a', 2);
    await agent(b, 'm-b', 1);
    await agent(c, undefined, 1);
    // Run 1 of version 1.0.0, minutes from T0: plan 0-10 (its handoff rejected once), build 10-30
    // (two branches, one blocked for a minute), review 30-35 sends build back, build 35-45,
    // review 45-50, done at 50.
    await run(run1, 'RunStarted', { workflowId: wf, version: '1.0.0', hash: 'h', params: {}, priority: 'P1', trigger: {}, startedAt: at(0) }, 0);
    await stage(run1, 'plan', 1, [`${run1}-plan`], 0);
    const plan = await work(run1, 'plan', `${run1}-plan`, a, 1, 10);
    await tokens(`${run1}-plan`, a, 1000, 3);
    await task(`${run1}-plan`, 'TaskHandoffRejected', { agentId: a, leaseEpoch: 1, handoffId: 'h1', failures: [], rejections: 1, rejectedAt: at(5) }, 5);
    await tokens(`${run1}-plan`, a, 3000, 8);
    await plan();
    await stageDone(run1, 'plan', 1, 10);
    await stage(run1, 'build', 1, [`${run1}-be`, `${run1}-fe`], 10);
    const be = await work(run1, 'build', `${run1}-be`, b, 11, 30);
    const fe = await work(run1, 'build', `${run1}-fe`, a, 11, 20);
    await task(`${run1}-fe`, 'TaskBlocked', { agentId: a, leaseEpoch: 1, reason: 'waiting for the schema', blockedAt: at(12) }, 12);
    await task(`${run1}-fe`, 'TaskUnblocked', { agentId: a, leaseEpoch: 1, unblockedAt: at(13) }, 13);
    await tokens(`${run1}-be`, b, 5000, 25);
    await tokens(`${run1}-fe`, a, 1000, 15);
    await fe();
    await be();
    await stageDone(run1, 'build', 1, 30);
    await review(1, 30, 31, 35);
    await run(run1, 'StageRejected', { stageId: 'review', iteration: 1, by: { kind: 'agent', id: c }, reason: 'no tests', findings: [], rejections: 1, rejectedAt: at(35) }, 35);
    await run(run1, 'StageReworkRequested', { stageId: 'review', iteration: 1, backTo: ['build'], feedback: { by: { kind: 'agent', id: c }, reason: 'no tests', findings: [] }, rejections: 1, requestedAt: at(35) }, 35);
    await stageDone(run1, 'review', 1, 35);
    await stage(run1, 'build', 2, [`${run1}-be2`, `${run1}-fe2`], 35);
    const be2 = await work(run1, 'build', `${run1}-be2`, b, 36, 45);
    const fe2 = await work(run1, 'build', `${run1}-fe2`, a, 36, 40);
    await tokens(`${run1}-be2`, b, 2000, 40);
    await fe2();
    await be2();
    await stageDone(run1, 'build', 2, 45);
    await review(2, 45, 46, 50);
    await stageDone(run1, 'review', 2, 50);
    await run(run1, 'RunCompleted', { completedAt: at(50) }, 50);
    await caughtUp();
  });

  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await tdb?.drop();
  });

  it('computes the workflow metrics of a run, each beside its target', async () => {
    const view = await client.query(GetRunMetrics, { runId: run1 });
    expect(view).toMatchObject({ workflowId: wf, version: '1.0.0', status: 'success', startedAt: at(0), endedAt: at(50), eta: null });
    expect(view.cycleTime).toEqual({ value: 50 * MIN, unit: 'ms', target: { op: '<', value: 14 * 86_400_000 }, met: true });
    // Seven handoffs; the plan was rejected once and the first build's two were sent back: 4 at the first try.
    expect(view.handoffs).toEqual({ total: 7, firstTry: 4 });
    expect(view.handoffQuality).toEqual({ value: (4 / 7) * 100, unit: 'percent', target: { op: '>', value: 90 }, met: false });
    // Five stage runs, two needed revision (plan: a rejected handoff; build 1: sent back).
    expect(view.stageRuns).toEqual({ total: 5, reworked: 2 });
    expect(view.reworkRate).toMatchObject({ value: 40, met: false });
    expect(view.blockerFrequency).toMatchObject({ value: 1, met: true });
    // Worked on 45 of 50 minutes, two at once for 9 + 4 of them.
    expect(view.parallelEfficiency.value).toBeCloseTo((13 / 45) * 100, 9);
    expect(view.agentIdleTime.value).toBeCloseTo(10, 9);
    expect(view.stageDurations).toEqual([
      { stageId: 'plan', runs: 1, duration: { value: 10 * MIN, unit: 'ms', target: { op: '<=', value: 15 * MIN }, met: true } },
      { stageId: 'build', runs: 2, duration: { value: 30 * MIN, unit: 'ms', target: null, met: null } },
      { stageId: 'review', runs: 2, duration: { value: 10 * MIN, unit: 'ms', target: null, met: null } },
    ]);
    // 3000 + 1000 tokens on m-a ($10 per million), 5000 + 2000 on m-b ($20).
    expect(view.usage.tokens).toBe(11_000);
    expect(view.usage.costUsd).toBeCloseTo(0.04 + 0.14, 12);
  });

  it('per agent and per model: first-pass acceptance and cost per accepted handoff', async () => {
    const m = await client.query(GetMetrics, { workflowId: wf, limit: 50 });
    expect(m.workflows).toHaveLength(1);
    expect(m.workflows[0]).toMatchObject({ workflowId: wf, version: '1.0.0', runs: 1, finished: 1, succeeded: 1, reworkRate: { value: 40 }, cycleTime: { value: 50 * MIN } });
    const byKey = (list: typeof m.agents, key: string) => list.find((p) => p.key === key)!;
    expect(byKey(m.agents, a)).toMatchObject({ executions: 3, errors: 0, handoffs: 3, firstTry: 1, usage: { tokens: 4000 } });
    expect(byKey(m.agents, a).firstPassAcceptance.value).toBeCloseTo(100 / 3, 9);
    expect(byKey(m.agents, a).costPerAcceptedHandoff.value).toBeCloseTo(0.04 / 3, 12);
    expect(byKey(m.agents, b)).toMatchObject({ handoffs: 2, firstTry: 1, firstPassAcceptance: { value: 50 }, usage: { tokens: 7000 } });
    expect(byKey(m.agents, b).costPerAcceptedHandoff.value).toBeCloseTo(0.07, 12);
    expect(byKey(m.agents, c)).toMatchObject({ handoffs: 2, firstTry: 2, firstPassAcceptance: { value: 100, met: true }, usage: { tokens: 0, costUsd: 0 } });
    expect(byKey(m.models, 'm-b')).toMatchObject({ handoffs: 2, firstTry: 1 });
    expect(byKey(m.models, 'unknown')).toMatchObject({ handoffs: 2, firstTry: 2 });
    const onlyB = await client.query(GetMetrics, { workflowId: wf, agentId: b, limit: 50 });
    expect(onlyB.agents.map((p) => p.key)).toEqual([b]);
  });

  it('estimates the ETA of a running run from past runs of its version, and says when there is no history', async () => {
    const run2 = uniqueId('run');
    const run3 = uniqueId('run');
    await run(run2, 'RunStarted', { workflowId: wf, version: '1.0.0', hash: 'h', params: {}, priority: 'P1', trigger: {}, startedAt: at(100) }, 100);
    await stage(run2, 'plan', 1, [], 100);
    await stageDone(run2, 'plan', 1, 110);
    await stage(run2, 'build', 1, [], 110);
    await run(run3, 'RunStarted', { workflowId: wf, version: '2.0.0', hash: 'h2', params: {}, priority: 'P1', trigger: {}, startedAt: at(100) }, 100);
    await caughtUp();
    const { etas } = await client.query(ListEtas, {});
    // Now is minute 115: build ran 5 of its past 30 minutes (25 left), then review's 10.
    expect(etas.find((e) => e.runId === run2)).toEqual({
      runId: run2,
      workflowId: wf,
      version: '1.0.0',
      status: 'estimated',
      basedOnRuns: 1,
      remainingStages: ['build', 'review'],
      p50Ms: 35 * MIN,
      p95Ms: 35 * MIN,
      p50At: at(150),
      p95At: at(150),
    });
    expect(etas.find((e) => e.runId === run3)).toMatchObject({ status: 'no_history', p50Ms: null, p95Ms: null });
    expect((await client.query(GetRunMetrics, { runId: run2 })).eta).toMatchObject({ status: 'estimated', p95Ms: 35 * MIN });
  });

  it('serves the orchestrator metrics on /metrics from the read model', async () => {
    const text = await (await fetch(`${app.httpUrl}/metrics`)).text();
    expect(text).toContain(`orchestrator_workflows_total{workflow="${wf}",status="success"} 1`);
    expect(text).toContain(`orchestrator_workflows_active{workflow="${wf}"} 2`);
    expect(text).toContain(`orchestrator_success_rate{workflow="${wf}"} 1`);
    expect(text).toContain(`orchestrator_workflow_duration_seconds_bucket{workflow="${wf}",le="1800"} 0`);
    expect(text).toContain(`orchestrator_workflow_duration_seconds_bucket{workflow="${wf}",le="3600"} 1`);
    expect(text).toContain(`orchestrator_workflow_duration_seconds_sum{workflow="${wf}"} 3000`);
    expect(text).toContain(`orchestrator_agent_executions_total{agent="${a}"} 3`);
    expect(text).toContain(`orchestrator_agent_errors_total{agent="${a}"} 0`);
    expect(text).toContain(`orchestrator_agent_latency_seconds_count{agent="${b}"} 2`);
    expect(text).toContain(`orchestrator_agent_latency_seconds_sum{agent="${b}"} ${(19 + 9) * 60}`);
    expect(text).toContain(`orchestrator_tokens_total{agent="${b}",model="m-b"} 7000`);
    expect(text).toContain(`orchestrator_cost_usd_total{agent="${b}",model="m-b"} 0.14`);
    expect(text).toMatch(/^orchestrator_queue_depth\{priority="P1"\} \d+$/m);
    expect(text).toContain(`orchestrator_agent_utilization_ratio{agent="${a}"} 0`);
    expect(text).toMatch(/^baton_service_info\{service="metrics",version="0\.0\.0"/m);
  });

  it('rebuilds the read models from zero to identical rows', async () => {
    const snapshot = async () => {
      const out: Record<string, unknown[]> = {};
      for (const table of PROJECTED_TABLES) {
        const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(`baton_metrics.${table}`)}`.execute(app.db);
        out[table] = rows.rows.map((r) => JSON.stringify(r)).sort();
      }
      return out;
    };
    const before = await snapshot();
    expect(before['runs']!.length).toBeGreaterThanOrEqual(3);
    expect(before['tasks']!.length).toBeGreaterThanOrEqual(7);
    await app.projection.rebuild();
    await caughtUp();
    expect(await snapshot()).toEqual(before);
  });

  it('a health breach is an event with its actions; investigate raises an escalation once, and a recovery follows', async () => {
    // Ten minutes on: an agent's two attempts fail (error rate 100 % > 1 %), and eleven tasks wait (queue depth 11 ≥ 10).
    clock.set(T0 + 130 * MIN);
    const d = uniqueId('D');
    for (const n of [1, 2]) {
      const id = uniqueId(`fail${n}`);
      await task(id, 'TaskCreated', { runId: null, stageId: null, action: 'x', requirement: { capabilities: [] }, priority: 'P0', inputs: {}, attempt: 1, slaDueAt: null, timeoutMs: null, createdAt: at(120) }, 120);
      await task(id, 'TaskAssigned', { agentId: d, leaseEpoch: 1, assignedAt: at(120), previousAgentId: null }, 120);
      await task(id, 'TaskFailed', { agentId: d, leaseEpoch: 1, error: { message: 'boom', code: null }, final: true, failedAt: at(125) }, 125);
    }
    const queued = Array.from({ length: 11 }, () => uniqueId('q'));
    for (const id of queued) {
      await task(id, 'TaskCreated', { runId: null, stageId: null, action: 'x', requirement: { capabilities: [] }, priority: 'P2', inputs: {}, attempt: 1, slaDueAt: null, timeoutMs: null, createdAt: at(126) }, 126);
    }
    await caughtUp();

    const readings = await app.health.checkNow();
    expect(readings.find((r) => r.check === 'error_rate')).toMatchObject({ subject: 'system', value: expect.any(Number), healthy: false, actions: ['alert', 'investigate'] });
    expect(readings.find((r) => r.check === 'queue_depth')).toMatchObject({ subject: 'system', value: 11, healthy: false, actions: ['scale_up'] });
    expect(readings.find((r) => r.check === 'task_completion_rate' && r.subject === d)).toMatchObject({ value: 0, healthy: false });

    // The breach is relayed to baton.evt.health.check-breached, where the notifier routes alerts from.
    const msg = await relayedEvent(nc, {
      subject: 'baton.evt.health.check-breached',
      since: startedAt,
      match: (m) => m.headers?.get('Baton-Stream-Id') === 'health-queue_depth.system',
      what: 'the queue depth breach on JetStream',
    });
    expect((JSON.parse(msg.string()) as { data: unknown }).data).toMatchObject({ check: 'queue_depth', value: 11, threshold: { op: '<', value: 10 }, actions: ['scale_up'], breachedAt: at(130) });

    // investigate: one escalation per breach asking for it (error rate; the agent's completion rate).
    await waitFor(() => (raised.length >= 2 ? raised : undefined), { what: 'two escalations raised', timeoutMs: 10_000 });
    expect(raised.find((r) => r.issue.includes('error_rate'))).toMatchObject({ level: 2, trigger: 'manual', escalationId: expect.stringMatching(/^health-/) });
    expect(raised.find((r) => r.issue.includes('task_completion_rate'))).toMatchObject({ agentId: d, trigger: 'agent_failure' });

    // scale_up: the gauge an autoscaler reads.
    const text = await (await fetch(`${app.httpUrl}/metrics`)).text();
    expect(text).toContain('orchestrator_scale_up_requested 1');
    expect(text).toContain('orchestrator_health_check_breached{check="queue_depth",subject="system"} 1');
    expect(text).toContain('orchestrator_queue_depth{priority="P2"} 11');

    // The next round changes nothing and raises nothing again.
    clock.advance(MIN);
    await app.health.checkNow();
    const count = raised.length;
    const health = await client.query(ListHealth, { status: 'breached' });
    expect(health.checks.map((h) => `${h.check}:${h.subject}`)).toEqual(expect.arrayContaining(['error_rate:system', 'queue_depth:system', `task_completion_rate:${d}`]));
    const breaches = await app.store.readStream('health-queue_depth.system');
    expect(breaches.map((e) => e.type)).toEqual(['HealthCheckBreached']);
    expect(raised.length).toBe(count);

    // The queue drains: queue depth recovers (one event), and the scale-up gauge goes back to 0.
    for (const id of queued) await task(id, 'TaskCancelled', { runId: null, stageId: null, reason: 'drained', cancelledAt: at(131) }, 131);
    await caughtUp();
    await app.health.checkNow();
    expect((await app.store.readStream('health-queue_depth.system')).map((e) => e.type)).toEqual(['HealthCheckBreached', 'HealthCheckRecovered']);
    expect(await (await fetch(`${app.httpUrl}/metrics`)).text()).toContain('orchestrator_scale_up_requested 0');
  });

  it('token budgets: a warning at 80 %, at 100 % the workflow’s policy (escalate a stage, pause the run), each once and audited', async () => {
    const budgeted = uniqueId('WF-BUDGET');
    const yaml = [
      'workflow:',
      `  id: "${budgeted}"`,
      '  name: "Budgeted"',
      '  version: "1.0.0"',
      '  budget: { tokens: 10000, on_exceed: pause }',
      '  stages:',
      '    - stage: "draft"',
      `      agent: "${a}"`,
      '      action: "write"',
      '      budget: { tokens: 1000, on_exceed: escalate }',
      '      next: "polish"',
      '    - stage: "polish"',
      `      agent: "${a}"`,
      '      action: "edit"',
      '',
    ].join('\n');
    await append(workflowStreamId(budgeted), 'WorkflowVersionRegistered', { workflowId: budgeted, version: '1.0.0', hash: 'h', yaml, registeredAt: at(200) }, 200);
    const runB = uniqueId('run');
    await run(runB, 'RunStarted', { workflowId: budgeted, version: '1.0.0', hash: 'h', params: {}, priority: 'P1', trigger: {}, startedAt: at(200) }, 200);
    await stage(runB, 'draft', 1, [`${runB}-draft`], 200);
    await work(runB, 'draft', `${runB}-draft`, a, 201, 210);
    await tokens(`${runB}-draft`, a, 900, 202);
    await caughtUp();
    await app.budgets.checkNow();
    const budgetEvents = async () => (await app.store.readStream(budgetStreamId(runB))).map((e) => `${e.type}:${(e.data as { stageId: string | null }).stageId ?? 'run'}`);
    expect(await budgetEvents()).toEqual(['BudgetWarningReached:draft']);

    // The draft goes over its budget: escalated to a person, once.
    await tokens(`${runB}-draft`, a, 1200, 203);
    await caughtUp();
    const before = raised.length;
    await app.budgets.checkNow();
    await app.budgets.checkNow();
    expect(await budgetEvents()).toEqual(['BudgetWarningReached:draft', 'BudgetExceeded:draft']);
    expect(raised.slice(before)).toEqual([
      expect.objectContaining({ trigger: 'policy_decision', runId: runB, stageId: 'draft', issue: expect.stringContaining('1,200 of 1,000 tokens') }),
    ]);
    expect(paused).toEqual([]);

    // The run goes over its own budget (another attempt of the task): paused, once, as the metrics service.
    await task(`${runB}-draft`, 'TaskProgressReported', { agentId: a, leaseEpoch: 2, percent: 10, message: null, tokensUsed: 9000, reportedAt: at(204) }, 204);
    await caughtUp();
    await app.budgets.checkNow();
    await app.budgets.checkNow();
    expect(await budgetEvents()).toEqual(['BudgetWarningReached:draft', 'BudgetExceeded:draft', 'BudgetWarningReached:run', 'BudgetExceeded:run']);
    expect(paused).toEqual([{ runId: runB, reason: expect.stringContaining('10,200 of 10,000 tokens used by run'), actor: { kind: 'service', id: 'metrics' } }]);
    // Audited with the run: the budget events carry the run as their correlation.
    const exceeded = (await app.store.readStream(budgetStreamId(runB))).at(-1)!;
    expect(exceeded.metadata).toMatchObject({ correlationId: runB, actor: { kind: 'service', id: 'metrics' } });
    expect(exceeded.data).toMatchObject({ used: 10_200, tokens: 10_000, policy: 'pause', stageId: null });
  });

  it('refuses bad queries with a code and answers NOT_FOUND for an unknown run', async () => {
    await expect(client.query(GetRunMetrics, { runId: 'no such run!' } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(client.query(GetRunMetrics, { runId: uniqueId('nope') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.query(GetMetrics, { rangeMs: -1 } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
