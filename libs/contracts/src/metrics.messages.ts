import { z } from 'zod';
import { messagesOf, type EventsOf } from './messages';
import { NameId } from './shared-fields';

const metricsMessages = messagesOf('metrics');

/**
 * The metrics service (`baton.qry.metrics.*`): workflow metrics per run and per workflow
 * version, each beside its target; per agent and per model, first-pass acceptance and cost per
 * accepted handoff; the ETA of running runs; and the health checks, whose breaches are events of
 * `health-<check>.<subject>` streams relayed to `baton.evt.health.<event>`.
 *
 * Definitions (docs/metrics.md has the worked example):
 * - a **handoff** is the completed work of a stage task; it is accepted **at the first try** when
 *   no completion of that task was rejected by the handoff checks and no later review or approval
 *   sent its stage back (`StageReworkRequested`);
 * - **handoff_quality** = first-try handoffs / handoffs × 100;
 * - **rework_rate** = stage runs (a stage's iterations) that needed revision (a rejected handoff,
 *   or sent back) / stage runs × 100;
 * - **blocker_frequency** = tasks reported blocked (`TaskBlocked`) per run;
 * - **parallel_efficiency** = time two or more of the run's tasks were worked on at once / time
 *   at least one was × 100; **agent_idle_time** = time of the run in which no agent worked on it
 *   / the run's time × 100.
 */
/** A target as the seeds write it: `< 14 days`, `> 90%`. */
export const MetricTarget = z.object({ op: z.enum(['<', '<=', '>', '>=']), value: z.number() });
export type MetricTarget = z.infer<typeof MetricTarget>;

/** One figure beside its target; `met` is null when there is no value or no target. */
export const MetricFigure = z.object({
  value: z.number().nullable(),
  unit: z.enum(['ms', 'percent', 'count', 'tokens', 'usd']),
  target: MetricTarget.nullable(),
  met: z.boolean().nullable(),
});
export type MetricFigure = z.infer<typeof MetricFigure>;

export const StageDurationView = z.object({
  stageId: z.string(),
  /** Stage runs (iterations) measured. */
  runs: z.number().int().nonnegative(),
  /** Per run: the stage's iterations summed; per workflow version: the mean of that over runs. */
  duration: MetricFigure,
});
export type StageDurationView = z.infer<typeof StageDurationView>;

/** The ETA of a running run: 50 % and 95 % figures of the time left, from past runs of its version. */
export const EtaView = z.object({
  runId: z.string(),
  workflowId: z.string(),
  version: z.string(),
  /** `no_history`: no finished run of this version yet, so no estimate. */
  status: z.enum(['estimated', 'no_history']),
  /** Finished runs of the version the estimate is drawn from. */
  basedOnRuns: z.number().int().nonnegative(),
  remainingStages: z.array(z.string()),
  p50Ms: z.number().int().nonnegative().nullable(),
  p95Ms: z.number().int().nonnegative().nullable(),
  p50At: z.string().nullable(),
  p95At: z.string().nullable(),
});
export type EtaView = z.infer<typeof EtaView>;

/** Tokens and their cost (from the configured price table; null for a model without a price). */
export const UsageView = z.object({ tokens: z.number().int().nonnegative(), costUsd: z.number().nonnegative().nullable() });

export const RunMetricsView = z.object({
  runId: z.string(),
  workflowId: z.string(),
  version: z.string(),
  status: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  cycleTime: MetricFigure,
  stageDurations: z.array(StageDurationView),
  handoffs: z.object({ total: z.number().int().nonnegative(), firstTry: z.number().int().nonnegative() }),
  handoffQuality: MetricFigure,
  stageRuns: z.object({ total: z.number().int().nonnegative(), reworked: z.number().int().nonnegative() }),
  reworkRate: MetricFigure,
  blockerFrequency: MetricFigure,
  parallelEfficiency: MetricFigure,
  agentIdleTime: MetricFigure,
  usage: UsageView,
  eta: EtaView.nullable(),
});
export type RunMetricsView = z.infer<typeof RunMetricsView>;

export const WorkflowMetricsView = z.object({
  workflowId: z.string(),
  version: z.string(),
  runs: z.number().int().nonnegative(),
  finished: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  /** Means over the finished runs (cycle time, parallel efficiency, idle time) or ratios over all runs. */
  cycleTime: MetricFigure,
  stageDurations: z.array(StageDurationView),
  handoffQuality: MetricFigure,
  reworkRate: MetricFigure,
  blockerFrequency: MetricFigure,
  parallelEfficiency: MetricFigure,
  agentIdleTime: MetricFigure,
  usage: UsageView,
});
export type WorkflowMetricsView = z.infer<typeof WorkflowMetricsView>;

/** Per agent or per model: the figures that tell a team which agent, model or prompt version to trust. */
export const PerformerMetricsView = z.object({
  /** The agent id, or the model name (`unknown` for agents that declared none). */
  key: z.string(),
  executions: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  handoffs: z.number().int().nonnegative(),
  firstTry: z.number().int().nonnegative(),
  firstPassAcceptance: MetricFigure,
  usage: UsageView,
  costPerAcceptedHandoff: MetricFigure,
  meanLatencyMs: z.number().nonnegative().nullable(),
});
export type PerformerMetricsView = z.infer<typeof PerformerMetricsView>;

export const GetMetricsV1 = z.strictObject({
  workflowId: z.string().min(1).max(200).optional(),
  agentId: NameId.optional(),
  /** Only runs started, and executions ended, in the last `rangeMs` (default: all time). */
  rangeMs: z.number().int().positive().max(366 * 86_400_000).optional(),
  /** Most runs listed (newest first). */
  limit: z.number().int().min(1).max(500).default(50),
});
export const GetMetricsReply = z.object({
  since: z.string().nullable(),
  workflows: z.array(WorkflowMetricsView),
  runs: z.array(RunMetricsView),
  agents: z.array(PerformerMetricsView),
  models: z.array(PerformerMetricsView),
});
export type GetMetricsReply = z.infer<typeof GetMetricsReply>;
export const GetMetrics = metricsMessages.query('get-metrics', GetMetricsV1, GetMetricsReply);

export const GetRunMetrics = metricsMessages.query('get-run-metrics', z.strictObject({ runId: NameId }), RunMetricsView);

/** ETAs of every running run (or of one). */
export const ListEtas = metricsMessages.query('list-etas', z.strictObject({ runId: NameId.optional() }), z.object({ etas: z.array(EtaView) }));

// ---------------------------------------------------------------------------------------------
// Health checks (the agent health metrics of the orchestration system)
// ---------------------------------------------------------------------------------------------

export const HealthCheckName = z.enum(['response_time', 'task_completion_rate', 'error_rate', 'queue_depth']);
export type HealthCheckName = z.infer<typeof HealthCheckName>;

/** What a breach asks for: `alert` (the notifier tells people), `investigate` (an escalation), `scale_up` (autoscalers act on the gauge). */
export const HealthAction = z.enum(['alert', 'investigate', 'scale_up']);
export type HealthAction = z.infer<typeof HealthAction>;

/** What one check measured over its window. */
const HealthReading = {
  check: HealthCheckName,
  /** An agent id, or `system` for checks over the whole system. */
  subject: z.string().min(1).max(200),
  value: z.number(),
  unit: z.enum(['ms', 'percent', 'count']),
  threshold: MetricTarget,
  windowMs: z.number().int().positive(),
};

/** A check's value left its threshold (the first reading outside it; repeated readings append nothing). */
export const HealthCheckBreachedV1 = z.object({ ...HealthReading, actions: z.array(HealthAction), breachedAt: z.string() });
/** A breached check is back within its threshold. */
export const HealthCheckRecoveredV1 = z.object({ ...HealthReading, recoveredAt: z.string() });

export const HealthEventSchemas = {
  HealthCheckBreached: HealthCheckBreachedV1,
  HealthCheckRecovered: HealthCheckRecoveredV1,
} as const;
export type HealthEvent = EventsOf<typeof HealthEventSchemas>;

/** `health-<check>.<subject>`: one stream per check and subject. */
export const healthStreamId = (check: HealthCheckName, subject: string): string => `health-${check}.${subject}`;

export const HealthCheckView = z.object({
  check: HealthCheckName,
  subject: z.string(),
  status: z.enum(['breached', 'ok']),
  value: z.number(),
  unit: z.enum(['ms', 'percent', 'count']),
  threshold: MetricTarget,
  actions: z.array(HealthAction),
  since: z.string(),
});
export type HealthCheckView = z.infer<typeof HealthCheckView>;

export const ListHealth = metricsMessages.query('list-health', z.strictObject({ status: z.enum(['breached', 'ok']).optional() }), z.object({ checks: z.array(HealthCheckView) }));

// ---------------------------------------------------------------------------------------------
// Token budgets (`budget:` of a workflow or a stage), watched by the metrics service
// ---------------------------------------------------------------------------------------------

export const BudgetPolicy = z.enum(['escalate', 'pause']);
export type BudgetPolicy = z.infer<typeof BudgetPolicy>;

/** Which budget: the run's (`stageId` null) or a stage's, and how far it is used. */
const BudgetUse = {
  runId: z.string(),
  workflowId: z.string(),
  version: z.string(),
  stageId: z.string().nullable(),
  /** Tokens the agents reported for the run (or the stage) so far. */
  used: z.number().int().nonnegative(),
  /** The budget, in tokens. */
  tokens: z.number().int().positive(),
  policy: BudgetPolicy,
};

/** 80 % of a budget is used (recorded once per budget). */
export const BudgetWarningReachedV1 = z.object({ ...BudgetUse, reachedAt: z.string() });
/** A budget is used up: the policy applies (escalate, or pause the run); recorded once per budget. */
export const BudgetExceededV1 = z.object({ ...BudgetUse, exceededAt: z.string() });

export const BudgetEventSchemas = {
  BudgetWarningReached: BudgetWarningReachedV1,
  BudgetExceeded: BudgetExceededV1,
} as const;
export type BudgetEvent = EventsOf<typeof BudgetEventSchemas>;

/** `budget-<runId>`: the budget decisions of one run (relayed to `baton.evt.budget.warning-reached|exceeded`). */
export const budgetStreamId = (runId: string): string => `budget-${runId}`;
