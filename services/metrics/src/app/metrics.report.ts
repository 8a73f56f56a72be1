import type { EtaView, GetMetricsReply, PerformerMetricsView, RunMetricsView, StageDurationView, WorkflowMetricsView } from '@baton/contracts';
import type { Kysely } from 'kysely';
import { agentIdleTime, estimateEta, figure, mean, parallelEfficiency, percent, type Interval, type PastStage } from '../domain';
import { finishedRunsOf, getRun, performers, runningRuns, runsOf, stageRunsOf, stageTasksOf, tokensByRun, type Scope } from '../read-model/metrics.queries';
import type { MetricsDatabase, RunRow, StageRunRow, TaskRow } from '../read-model/metrics.tables';
import { usageOf, type MetricTargets, type PriceTable } from './metrics.settings';

/** What the report needs besides the read model. */
export interface ReportSettings {
  readonly targets: MetricTargets;
  readonly prices: PriceTable;
  readonly now: () => Date;
}

/** The facts of one run the figures are computed from. */
interface RunFacts {
  readonly run: RunRow;
  readonly stages: readonly StageRunRow[];
  readonly tasks: readonly TaskRow[];
  readonly tokens: readonly { readonly model: string | null; readonly tokens: number }[];
}

const ms = (d: Date): number => d.getTime();

/** A stage task's time worked on: from assignment to its end (or now). */
function workIntervals(tasks: readonly TaskRow[], now: Date): Interval[] {
  return tasks.filter((t) => t.assigned_at !== null).map((t) => ({ start: ms(t.assigned_at!), end: ms(t.ended_at ?? now) }));
}

/** Stage runs that needed revision: sent back, or a task of theirs had a handoff rejected. */
function reworked(stages: readonly StageRunRow[], tasks: readonly TaskRow[]): number {
  return stages.filter((s) => s.sent_back || tasks.some((t) => t.stage_id === s.stage_id && t.iteration === s.iteration && t.rejections > 0)).length;
}

/** Completed stage tasks, and those accepted at the first try. */
function handoffsOf(stages: readonly StageRunRow[], tasks: readonly TaskRow[]): { total: number; firstTry: number } {
  const completed = tasks.filter((t) => t.status === 'completed');
  const sentBack = (t: TaskRow) => stages.some((s) => s.sent_back && s.stage_id === t.stage_id && s.iteration === t.iteration);
  return { total: completed.length, firstTry: completed.filter((t) => t.rejections === 0 && !sentBack(t)).length };
}

function stageTotals(stages: readonly StageRunRow[], now: Date): Map<string, { runs: number; ms: number; slaMs: number | null }> {
  const totals = new Map<string, { runs: number; ms: number; slaMs: number | null }>();
  for (const s of stages) {
    const t = totals.get(s.stage_id) ?? { runs: 0, ms: 0, slaMs: s.sla_ms };
    totals.set(s.stage_id, { runs: t.runs + 1, ms: t.ms + (ms(s.ended_at ?? now) - ms(s.started_at)), slaMs: t.slaMs });
  }
  return totals;
}

function runFigures(f: RunFacts, settings: ReportSettings, eta: EtaView | null): RunMetricsView {
  const { run, stages, tasks } = f;
  const now = settings.now();
  const { targets } = settings;
  const window = { start: ms(run.started_at), end: ms(run.ended_at ?? now) };
  const work = workIntervals(tasks, now);
  const handoffs = handoffsOf(stages, tasks);
  const reworkedRuns = reworked(stages, tasks);
  const stageDurations: StageDurationView[] = [...stageTotals(stages, now)].map(([stageId, t]) => ({
    stageId,
    runs: t.runs,
    // A stage's target is its SLA, when the workflow sets one.
    duration: figure(t.ms, 'ms', t.slaMs === null ? null : { op: '<=', value: t.slaMs }),
  }));
  return {
    runId: run.run_id,
    workflowId: run.workflow_id,
    version: run.version,
    status: run.status,
    startedAt: run.started_at.toISOString(),
    endedAt: run.ended_at?.toISOString() ?? null,
    cycleTime: figure(run.ended_at ? window.end - window.start : null, 'ms', targets.cycleTime),
    stageDurations,
    handoffs,
    handoffQuality: figure(percent(handoffs.firstTry, handoffs.total), 'percent', targets.handoffQuality),
    stageRuns: { total: stages.length, reworked: reworkedRuns },
    reworkRate: figure(percent(reworkedRuns, stages.length), 'percent', targets.reworkRate),
    blockerFrequency: figure(run.blockers, 'count', targets.blockerFrequency),
    parallelEfficiency: figure(parallelEfficiency(work, window), 'percent', targets.parallelEfficiency),
    agentIdleTime: figure(agentIdleTime(work, window), 'percent', targets.agentIdleTime),
    usage: usageOf(settings.prices, f.tokens),
    eta,
  };
}

function workflowFigures(workflowId: string, version: string, runs: readonly RunMetricsView[], settings: ReportSettings): WorkflowMetricsView {
  const { targets } = settings;
  const finished = runs.filter((r) => r.endedAt !== null);
  const values = (pick: (r: RunMetricsView) => number | null, of = finished) => of.map(pick).filter((v): v is number => v !== null);
  const sum = (pick: (r: RunMetricsView) => number) => runs.reduce((a, r) => a + pick(r), 0);
  const byStage = new Map<string, { runs: number; totals: number[] }>();
  for (const r of runs) {
    for (const s of r.stageDurations) {
      const e = byStage.get(s.stageId) ?? { runs: 0, totals: [] };
      byStage.set(s.stageId, { runs: e.runs + s.runs, totals: [...e.totals, s.duration.value ?? 0] });
    }
  }
  return {
    workflowId,
    version,
    runs: runs.length,
    finished: finished.length,
    succeeded: finished.filter((r) => r.status === 'success').length,
    cycleTime: figure(mean(values((r) => r.cycleTime.value)), 'ms', targets.cycleTime),
    stageDurations: [...byStage].map(([stageId, s]) => ({ stageId, runs: s.runs, duration: figure(mean(s.totals), 'ms') })),
    handoffQuality: figure(percent(sum((r) => r.handoffs.firstTry), sum((r) => r.handoffs.total)), 'percent', targets.handoffQuality),
    reworkRate: figure(percent(sum((r) => r.stageRuns.reworked), sum((r) => r.stageRuns.total)), 'percent', targets.reworkRate),
    blockerFrequency: figure(runs.length === 0 ? null : sum((r) => r.blockerFrequency.value ?? 0) / runs.length, 'count', targets.blockerFrequency),
    parallelEfficiency: figure(mean(values((r) => r.parallelEfficiency.value)), 'percent', targets.parallelEfficiency),
    agentIdleTime: figure(mean(values((r) => r.agentIdleTime.value)), 'percent', targets.agentIdleTime),
    usage: {
      tokens: sum((r) => r.usage.tokens),
      costUsd: runs.some((r) => r.usage.costUsd === null) ? null : sum((r) => r.usage.costUsd ?? 0),
    },
  };
}

/**
 * Reads the metrics read model and computes the figures: per run, per workflow version, per
 * agent and per model, and the ETAs of running runs. Queries over NATS and `/metrics` both use it.
 */
export class MetricsReport {
  constructor(
    private readonly db: Kysely<MetricsDatabase>,
    private readonly settings: ReportSettings,
  ) {}

  /** The time `ms` before now, by the report's clock (the start of a `--range`). */
  ago(ms: number): Date {
    return new Date(this.settings.now().getTime() - ms);
  }

  private async facts(runs: readonly RunRow[]): Promise<RunFacts[]> {
    const ids = runs.map((r) => r.run_id);
    const [stages, tasks, tokens] = await Promise.all([stageRunsOf(this.db, ids), stageTasksOf(this.db, ids), tokensByRun(this.db, ids)]);
    return runs.map((run) => ({
      run,
      stages: stages.filter((s) => s.run_id === run.run_id),
      tasks: tasks.filter((t) => t.run_id === run.run_id),
      tokens: tokens.filter((t) => t.run_id === run.run_id),
    }));
  }

  /** Figures of the runs, workflow versions, agents and models in the scope. */
  async metrics(scope: Scope): Promise<GetMetricsReply> {
    const runs = await runsOf(this.db, scope);
    const etas = new Map((await this.etas()).map((e) => [e.runId, e]));
    const views = (await this.facts(runs)).map((f) => runFigures(f, this.settings, etas.get(f.run.run_id) ?? null));
    const versions = new Map<string, RunMetricsView[]>();
    for (const v of views) versions.set(JSON.stringify([v.workflowId, v.version]), [...(versions.get(JSON.stringify([v.workflowId, v.version])) ?? []), v]);
    const workflows = [...versions].map(([key, rs]) => {
      const [workflowId, version] = JSON.parse(key) as [string, string];
      return workflowFigures(workflowId, version, rs, this.settings);
    });
    const [agents, models] = await Promise.all([this.performers('agent', scope), this.performers('model', scope)]);
    return { since: scope.since?.toISOString() ?? null, workflows, runs: views, agents, models };
  }

  async run(runId: string): Promise<RunMetricsView | undefined> {
    const row = await getRun(this.db, runId);
    if (row === undefined) return undefined;
    const [facts] = await this.facts([row]);
    if (facts === undefined) return undefined;
    const [eta] = facts.run.ended_at === null ? await this.etas(runId) : [];
    return runFigures(facts, this.settings, eta ?? null);
  }

  private async performers(by: 'agent' | 'model', scope: Scope): Promise<PerformerMetricsView[]> {
    const { targets, prices } = this.settings;
    return (await performers(this.db, by, scope)).map((p) => {
      const usage = usageOf(prices, p.tokens);
      return {
        key: p.key,
        executions: p.executions,
        errors: p.errors,
        handoffs: p.handoffs,
        firstTry: p.firstTry,
        firstPassAcceptance: figure(percent(p.firstTry, p.handoffs), 'percent', targets.firstPassAcceptance),
        usage,
        costPerAcceptedHandoff: figure(usage.costUsd === null || p.handoffs === 0 ? null : usage.costUsd / p.handoffs, 'usd'),
        meanLatencyMs: p.meanLatencyMs,
      };
    });
  }

  /** The ETA of every running run (or of one), from finished runs of its workflow version. */
  async etas(runId?: string): Promise<EtaView[]> {
    const now = this.settings.now();
    const running = await runningRuns(this.db, runId);
    const out: EtaView[] = [];
    for (const run of running) {
      const past = await finishedRunsOf(this.db, run.workflow_id, run.version);
      const history = (await stageRunsOf(this.db, past.map((r) => r.run_id))).reduce((m, s) => m.set(s.run_id, [...(m.get(s.run_id) ?? []), s]), new Map<string, StageRunRow[]>());
      const own = await stageRunsOf(this.db, [run.run_id]);
      const running = new Map(own.filter((s) => s.ended_at === null).map((s) => [s.stage_id, now.getTime() - ms(s.started_at)]));
      const finished = new Set(own.filter((s) => s.ended_at !== null && !running.has(s.stage_id)).map((s) => s.stage_id));
      const eta = estimateEta(
        past.map((p) => pastStages(history.get(p.run_id) ?? [])),
        { finished, running },
      );
      const base = { runId: run.run_id, workflowId: run.workflow_id, version: run.version };
      out.push(
        eta.status === 'no_history'
          ? { ...base, status: 'no_history', basedOnRuns: 0, remainingStages: [], p50Ms: null, p95Ms: null, p50At: null, p95At: null }
          : {
              ...base,
              status: 'estimated',
              basedOnRuns: eta.basedOnRuns,
              remainingStages: [...eta.remainingStages],
              p50Ms: eta.p50Ms,
              p95Ms: eta.p95Ms,
              p50At: new Date(now.getTime() + eta.p50Ms).toISOString(),
              p95At: new Date(now.getTime() + eta.p95Ms).toISOString(),
            },
      );
    }
    return out;
  }
}

/** A finished run's stages for the ETA: each stage's iterations summed, and when each ran. */
function pastStages(stages: readonly StageRunRow[]): PastStage[] {
  const byStage = new Map<string, PastStage>();
  for (const s of stages) {
    const span = { start: ms(s.started_at), end: ms(s.ended_at ?? s.started_at) };
    const e = byStage.get(s.stage_id) ?? { stageId: s.stage_id, durationMs: 0, spans: [] };
    byStage.set(s.stage_id, { stageId: s.stage_id, durationMs: e.durationMs + span.end - span.start, spans: [...e.spans, span] });
  }
  return [...byStage.values()];
}
