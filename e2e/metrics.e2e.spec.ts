import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { handoff, type AgentTask, type HandoffResult, type TaskContext, type TaskOutputs } from '@baton/agent-sdk';
import { ApproveStage, GetRun, RegisterWorkflow, ResumeRun, runStreamId, StartRun, type GetMetricsReply, type RecordedEvent } from '@baton/contracts';
import { openEventStore } from '@baton/event-store';
import { sampleArtifacts, sampleContext } from '@baton/handoff-rules';
import { BatonClient } from '@baton/messaging';
import { uniqueId, waitFor } from '@baton/testing';
import { FEATURE_TEAM, PRD_WITHOUT_STORIES, runFinished, standardFeatureWork, startTeam } from './support/feature-team';
import { E2eStack } from './support/e2e-stack';
import { repoRoot, runBaton } from './support/stack';
import { prometheusTargetsDir } from './support/prometheus';

// The metrics service against a real Feature Development run (the seed workflow as written) by a
// scripted team: the PRD's first handoff is rejected by its checks, and the first security scan
// finds a critical vulnerability, which sends implementation back (a rework). `baton metrics`
// must give the figures a hand computation from the run's stored events gives, and Prometheus
// (the infrastructure's, scraping the services this test names in a targets file) must answer
// PromQL for the orchestrator metrics.

const PROMETHEUS_URL = process.env['TEST_PROMETHEUS_URL'] ?? 'http://127.0.0.1:9090';

/** What the scripted team shares with the test. */
interface TeamState {
  securityScans: number;
  /** Resolved by the test: a `hold_for_budget` task waits for it. */
  release: Promise<void>;
}

function teamHandler(agentId: string, state: TeamState) {
  return async (task: AgentTask, ctx: TaskContext): Promise<TaskOutputs | HandoffResult> => {
    const rework = task.inputs['rework'] !== undefined;
    // Every agent reports the tokens it used (a running total for the attempt).
    await ctx.progress(50, `${agentId} working`, 1000 + agentId.length * 10);
    switch (task.action) {
      case 'approve_stage':
        return { decision: 'approved', reason: `${agentId} approves` };
      case 'create_initiative':
        return handoff({ artifacts: { 'initiative_brief.md': '# Initiative: scheduled report exports\n' } });
      case 'write_prd':
        return handoff({ artifacts: { 'prd.md': rework ? sampleArtifacts['prd.md'] : PRD_WITHOUT_STORIES }, context: sampleContext, outputs: { prd_completeness: 100 } });
      case 'create_schema':
        // A blocker: the DBA waits for a decision, then goes on.
        await ctx.blocked('waiting for the retention decision');
        await ctx.unblocked();
        return { done: 'create_schema' };
      case 'security_scan':
        state.securityScans += 1;
        return state.securityScans === 1
          ? { findings: [{ severity: 'critical', title: 'SQL injection in GET /exports' }], auth_review_passed: true }
          : { findings: [], auth_review_passed: true };
      case 'deploy_production':
        return handoff({ artifacts: { 'deployment_record.md': '# Deployment record\n' } });
      case 'hold_for_budget':
        // Holds its stage open until the test has seen the run paused over its budget.
        await state.release;
        return { done: 'hold_for_budget' };
      default:
        return standardFeatureWork(task.action) ?? { done: task.action };
    }
  };
}

/**
 * The figures worked out from the run's events alone: cycle time (start to completion); stage
 * runs (StageStarted) and those that needed revision (a task of theirs had its handoff
 * rejected, or a rework request sent their stage back); handoffs (completed stage tasks) and
 * those accepted at the first try; blockers (TaskBlocked of the run's stage tasks).
 */
function handComputation(events: readonly RecordedEvent[], runId: string) {
  const runEvents = events.filter((e) => e.streamId === runStreamId(runId));
  const data = (e: RecordedEvent) => e.data as Record<string, unknown>;
  const started = Date.parse(data(runEvents.find((e) => e.type === 'RunStarted')!)['startedAt'] as string);
  const completed = Date.parse(data(runEvents.find((e) => e.type === 'RunCompleted')!)['completedAt'] as string);
  const stageRuns: { key: string; stageId: string; iteration: number; taskIds: string[] }[] = [];
  const sentBack = new Set<string>();
  for (const e of runEvents) {
    const d = data(e);
    if (e.type === 'StageStarted') {
      stageRuns.push({ key: `${String(d['stageId'])}#${Number(d['iteration'])}`, stageId: String(d['stageId']), iteration: Number(d['iteration']), taskIds: (d['tasks'] as { taskId: string }[]).map((t) => t.taskId) });
    }
    if (e.type === 'StageReworkRequested') {
      for (const back of d['backTo'] as string[]) {
        const latest = stageRuns.filter((s) => s.stageId === back).at(-1);
        if (latest) sentBack.add(latest.key);
      }
    }
  }
  const rejectedTasks = new Set(events.filter((e) => e.type === 'TaskHandoffRejected').map((e) => String(data(e)['taskId'])));
  const completedTasks = new Set(events.filter((e) => e.type === 'TaskCompleted').map((e) => String(data(e)['taskId'])));
  const reworked = stageRuns.filter((s) => sentBack.has(s.key) || s.taskIds.some((t) => rejectedTasks.has(t)));
  const handoffs = stageRuns.flatMap((s) => s.taskIds.filter((t) => completedTasks.has(t)).map((t) => ({ t, s })));
  const firstTry = handoffs.filter(({ t, s }) => !rejectedTasks.has(t) && !sentBack.has(s.key));
  return {
    cycleTimeMs: completed - started,
    stageRuns: stageRuns.length,
    reworked: reworked.length,
    handoffs: handoffs.length,
    firstTry: firstTry.length,
    handoffQuality: (firstTry.length / handoffs.length) * 100,
    reworkRate: (reworked.length / stageRuns.length) * 100,
    blockers: events.filter((e) => e.type === 'TaskBlocked' && stageRuns.some((s) => s.taskIds.includes(String(data(e)['taskId'])))).length,
    rejectedHandoffs: rejectedTasks.size,
    reworkRequests: runEvents.filter((e) => e.type === 'StageReworkRequested').length,
  };
}

async function promQuery(query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`Prometheus answered ${JSON.stringify(body)}`);
  return body.data.result;
}

describe('metrics of a Feature Development run, in baton metrics and in Prometheus (e2e)', () => {
  const stack = new E2eStack({ database: 'e2e_metrics' });
  let client: BatonClient;
  let release = (): void => undefined;
  const state: TeamState = { securityScans: 0, release: new Promise<void>((r) => (release = r)) };
  const scrapeLabel = uniqueId('metrics-e2e');
  let runId: string;

  beforeAll(async () => {
    await stack.start();
    client = new BatonClient(stack.nc, { timeoutMs: 20_000 });
    await stack.workflowServices(scrapeLabel);
    await stack.service('metrics', { METRICS_PRICES: JSON.stringify({ 'claude-opus': 15, 'claude-sonnet': 3, '*': 1 }), METRICS_BUDGET_INTERVAL_MS: '200' });
    await startTeam(stack, FEATURE_TEAM, (agentId) => teamHandler(agentId, state));
    // Prometheus (started by the infrastructure script) scrapes what the targets files name.
    const targetsDir = await prometheusTargetsDir(PROMETHEUS_URL);
    const targetsFile = path.join(targetsDir, `${scrapeLabel}.json`);
    await mkdir(targetsDir, { recursive: true });
    stack.track(targetsFile, { stop: (f) => rm(f, { force: true }) });
    await writeFile(targetsFile, JSON.stringify(stack.services.map((s) => ({ targets: [`127.0.0.1:${s.port}`], labels: { service: s.name, e2e: scrapeLabel } }))));
  });

  afterAll(async () => {
    // The held task lets go before the agents stop.
    release();
    await stack.stop();
  });

  it('runs Feature Development to success with one rejected handoff and one rework', async () => {
    const yaml = await readFile(path.join(repoRoot, 'examples/workflows/feature-development.yml'), 'utf8');
    const reg = await client.command(RegisterWorkflow, { yaml, file: 'feature-development.yml' }, { commandId: randomUUID() });
    expect(reg.workflowId).toBe('WF-FEAT-001');
    ({ runId } = await client.command(StartRun, { workflowId: 'WF-FEAT-001', params: {}, priority: 'P1' }, { commandId: randomUUID(), actor: { kind: 'human', id: 'alice' } }));
    // Production deploy waits for a person other than the one who started the run.
    await waitFor(
      async () => {
        const r = await client.command(ApproveStage, { runId, stageId: 'production_deploy', reason: 'change window open' }, { commandId: randomUUID(), actor: { kind: 'human', id: 'release-manager' } }).catch(() => undefined);
        return r;
      },
      { what: 'production_deploy approved', timeoutMs: 150_000, intervalMs: 500 },
    );
    const result = await runFinished(client, runId);
    expect(result.state).toBe('success');
    expect(state.securityScans).toBe(2);
  });

  it('baton metrics --workflow WF-FEAT-001 --json gives cycle time, handoff quality and rework rate as computed by hand from the stored events', async () => {
    const store = await openEventStore({ kind: 'postgres' }, { pool: stack.db.pool });
    const events: RecordedEvent[] = [];
    for (let page = await store.readAll({ filter: { categories: ['run', 'task'] }, maxCount: 1000 }); page.length > 0; page = await store.readAll({ filter: { categories: ['run', 'task'] }, maxCount: 1000, after: page.at(-1)!.position })) {
      events.push(...page);
    }
    const hand = handComputation(events, runId);
    expect(hand.rejectedHandoffs).toBe(1);
    expect(hand.reworkRequests).toBe(1);

    const reply = await waitFor(
      async () => {
        const r = await runBaton(['--nats', stack.natsUrl, 'metrics', '--workflow', 'WF-FEAT-001', '--json'], { NATS_URL: stack.natsUrl });
        if (r.code !== 0) throw new Error(`baton metrics failed (${r.code}): ${r.stderr}`);
        const m = JSON.parse(r.stdout) as GetMetricsReply;
        return m.runs.find((x) => x.runId === runId && x.status === 'success' && x.endedAt !== null) ? m : undefined;
      },
      { what: 'the run in baton metrics', timeoutMs: 30_000, intervalMs: 500 },
    );
    const run = reply.runs.find((x) => x.runId === runId)!;
    expect(run.cycleTime.value).toBe(hand.cycleTimeMs);
    expect(run.handoffs).toEqual({ total: hand.handoffs, firstTry: hand.firstTry });
    expect(run.handoffQuality.value).toBeCloseTo(hand.handoffQuality, 9);
    expect(run.stageRuns).toEqual({ total: hand.stageRuns, reworked: hand.reworked });
    expect(run.reworkRate.value).toBeCloseTo(hand.reworkRate, 9);
    // The DBA blocks once in each of the two implementation runs.
    expect(hand.blockers).toBe(2);
    expect(run.blockerFrequency.value).toBe(hand.blockers);
    expect(run.usage.tokens).toBeGreaterThan(0);
    expect(run.usage.costUsd).toBeGreaterThan(0);
    expect(reply.workflows).toEqual([expect.objectContaining({ workflowId: 'WF-FEAT-001', version: '1.0.0', runs: 1, succeeded: 1 })]);
    expect(reply.workflows[0]!.handoffQuality.value).toBeCloseTo(hand.handoffQuality, 9);
    // The PM's first PRD was rejected: not every handoff of theirs was accepted at the first try.
    const pm = reply.agents.find((a) => a.key === 'MCT-PM-001')!;
    expect(pm.firstTry).toBeLessThan(pm.handoffs);
    expect(reply.models.map((m) => m.key)).toEqual(expect.arrayContaining(['claude-opus', 'claude-sonnet', 'gpt-5']));

    const table = await runBaton(['--nats', stack.natsUrl, 'metrics', '--workflow', 'WF-FEAT-001'], { NATS_URL: stack.natsUrl });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('WF-FEAT-001');
    expect(table.stdout).toContain('MCT-PM-001');
  });

  it('every service serves /metrics, and Prometheus answers PromQL for the orchestrator metrics after the run', async () => {
    for (const s of stack.services) {
      const text = await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text();
      expect(text).toMatch(new RegExp(`^baton_service_info\\{service="${s.name}"`, 'm'));
      expect(text).toMatch(/^baton_process_resident_memory_bytes \d+/m);
    }
    const workflows = await waitFor(
      async () => {
        const r = await promQuery(`orchestrator_workflows_total{e2e="${scrapeLabel}",workflow="WF-FEAT-001",status="success"}`);
        return r.length > 0 && Number(r[0]!.value[1]) >= 1 ? r : undefined;
      },
      { what: 'orchestrator_workflows_total in Prometheus', timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(workflows[0]!.metric).toMatchObject({ service: 'metrics', workflow: 'WF-FEAT-001', status: 'success' });
    const executions = await waitFor(
      async () => {
        const r = await promQuery(`sum by (agent) (orchestrator_agent_executions_total{e2e="${scrapeLabel}"})`);
        return r.length >= FEATURE_TEAM.length - 1 ? r : undefined;
      },
      { what: 'orchestrator_agent_executions_total in Prometheus', timeoutMs: 60_000, intervalMs: 1000 },
    );
    // Two security scans and the architecture approval.
    expect(Number(executions.find((r) => r.metric['agent'] === 'MCT-SEC-001')?.value[1])).toBeGreaterThanOrEqual(2);
    expect(Number(executions.find((r) => r.metric['agent'] === 'MCT-PM-001')?.value[1])).toBeGreaterThanOrEqual(1);
  });

  it('a run over its token budget is paused, per its policy, and the audit shows why', async () => {
    const yaml = [
      'workflow:',
      '  id: "WF-BUDGET-E2E"',
      '  name: "Budgeted release"',
      '  version: "1.0.0"',
      '  budget: { tokens: 1000, on_exceed: pause }',
      '  stages:',
      '    - stage: "spend"',
      '      agent: "MCT-OPS-001"',
      '      action: "hold_for_budget"',
      '      next: "after"',
      '    - stage: "after"',
      '      agent: "MCT-OPS-001"',
      '      action: "deploy_staging"',
      '',
    ].join('\n');
    await client.command(RegisterWorkflow, { yaml, file: 'budget.yml' }, { commandId: randomUUID() });
    const { runId: budgetRun } = await client.command(StartRun, { workflowId: 'WF-BUDGET-E2E', params: {}, priority: 'P1' }, { commandId: randomUUID(), actor: { kind: 'human', id: 'alice' } });
    // The agent reports its tokens (over 1,000) and holds the stage: the metrics service pauses the run.
    await waitFor(async () => ((await client.query(GetRun, { runId: budgetRun })).state === 'paused' ? true : undefined), { what: 'the run paused over its budget', timeoutMs: 60_000, intervalMs: 250 });
    release();

    const audit = await runBaton(['--nats', stack.natsUrl, 'audit', budgetRun, '--json'], stack.common);
    expect(audit.code).toBe(0);
    const events = JSON.parse(audit.stdout) as RecordedEvent[];
    const types = events.map((e) => e.type);
    const warned = types.indexOf('BudgetWarningReached');
    const exceeded = types.indexOf('BudgetExceeded');
    const paused = types.indexOf('RunPaused');
    expect(warned).toBeGreaterThanOrEqual(0);
    expect(exceeded).toBeGreaterThan(warned);
    expect(paused).toBeGreaterThan(exceeded);
    expect(events[exceeded]!.data).toMatchObject({ runId: budgetRun, stageId: null, tokens: 1000, policy: 'pause' });
    expect(events[paused]!.data).toMatchObject({ reason: expect.stringContaining('token budget exceeded') });
    expect(events[paused]!.metadata).toMatchObject({ actor: { kind: 'service', id: 'metrics' } });

    // A person raises the limit by resuming: the run goes on to the end.
    await client.command(ResumeRun, { runId: budgetRun, reason: 'budget raised by the release manager' }, { commandId: randomUUID(), actor: { kind: 'human', id: 'release-manager' } });
    await waitFor(async () => ((await client.query(GetRun, { runId: budgetRun })).state === 'success' ? true : undefined), { what: 'the budgeted run finished', timeoutMs: 60_000, intervalMs: 250 });
  });
});
