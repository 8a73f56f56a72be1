import type { HealthAction, HealthCheckName, MetricTarget } from '@baton/contracts';
import type { JSONColumnType, Selectable } from 'kysely';

/** The metrics service's schema: read models projected from the store (rebuildable), and its own bookkeeping. */
export const METRICS_SCHEMA = 'baton_metrics';

/** `runs`: one row per workflow run. */
export interface RunsTable {
  run_id: string;
  workflow_id: string;
  version: string;
  priority: string;
  /** running | paused | success | failure | cancelled. */
  status: string;
  started_at: Date;
  ended_at: Date | null;
  /** `TaskBlocked` events of the run's tasks. */
  blockers: number;
}

/** `stage_runs`: one row per stage iteration of a run. */
export interface StageRunsTable {
  run_id: string;
  stage_id: string;
  iteration: number;
  started_at: Date;
  ended_at: Date | null;
  /** running | completed | failed. */
  status: string;
  sla_ms: number | null;
  /** A later review or approval sent this iteration's work back (`StageReworkRequested.backTo`). */
  sent_back: boolean;
}

/** `tasks`: one row per task (stage tasks carry their run, stage and iteration). */
export interface TasksTable {
  task_id: string;
  run_id: string | null;
  stage_id: string | null;
  iteration: number | null;
  priority: string;
  /** queued | assigned | accepted | blocked | completed | failed | cancelled. */
  status: string;
  agent_id: string | null;
  /** The holder's model when it was assigned (null: the agent declared none). */
  model: string | null;
  created_at: Date;
  assigned_at: Date | null;
  accepted_at: Date | null;
  ended_at: Date | null;
  /** Completions refused by the handoff checks. */
  rejections: number;
}

/** `executions`: one row per attempt that ended (completed or failed), by the agent that held it. */
export interface ExecutionsTable {
  event_id: string;
  task_id: string;
  run_id: string | null;
  agent_id: string;
  model: string | null;
  outcome: 'completed' | 'failed';
  /** Assignment to the end of the attempt. */
  duration_ms: number | null;
  ended_at: Date;
}

/** `token_reports`: the latest `tokensUsed` an agent reported in each lease of a task (a running total per attempt). */
export interface TokenReportsTable {
  task_id: string;
  lease_epoch: number;
  run_id: string | null;
  stage_id: string | null;
  agent_id: string;
  model: string | null;
  tokens: number;
}

/** `agents`: what the agent registry says about each agent that metrics need. */
export interface AgentsTable {
  agent_id: string;
  model: string | null;
  max_concurrency: number;
}

/** `health_checks`: the state of each check and subject, from the health events. */
export interface HealthChecksTable {
  check: HealthCheckName;
  subject: string;
  status: 'breached' | 'ok';
  value: number;
  unit: 'ms' | 'percent' | 'count';
  threshold: JSONColumnType<MetricTarget>;
  actions: JSONColumnType<HealthAction[]>;
  since: Date;
  /** Id of the breach event, while breached (the investigation of a breach is keyed by it). */
  breach_event_id: string | null;
}

/**
 * `investigations`: escalations raised for breaches that ask to be investigated. Written by the
 * health checker after the escalation service answered, not by the projection (a rebuild keeps it).
 */
export interface InvestigationsTable {
  breach_event_id: string;
  escalation_id: string;
  raised_at: Date;
}

/** `budgets`: the token budgets of each workflow version (`stage_id` '' for the run's), from its definition. */
export interface BudgetsTable {
  workflow_id: string;
  version: string;
  stage_id: string;
  tokens: number;
  on_exceed: 'escalate' | 'pause';
}

/** `budget_decisions`: the budget events of runs (a warning at 80 %, the breach at 100 %). */
export interface BudgetDecisionsTable {
  event_id: string;
  run_id: string;
  stage_id: string | null;
  kind: 'warning' | 'exceeded';
  used: number;
  tokens: number;
  policy: 'escalate' | 'pause';
  at: Date;
}

/**
 * `budget_actions`: the policies carried out for exceeded budgets (an escalation raised, the run
 * paused). Written by the budget watcher after the other service answered; a rebuild keeps it.
 */
export interface BudgetActionsTable {
  event_id: string;
  action: 'escalate' | 'pause';
  /** What came of it: the escalation id, `paused`, or why nothing was needed. */
  outcome: string;
  done_at: Date;
}

/** The tables a rebuild empties and replays, in dependency order. */
export const PROJECTED_TABLES = ['runs', 'stage_runs', 'tasks', 'executions', 'token_reports', 'agents', 'health_checks', 'budgets', 'budget_decisions'] as const;

export type RunRow = Selectable<RunsTable>;
export type StageRunRow = Selectable<StageRunsTable>;
export type TaskRow = Selectable<TasksTable>;

/** The service's Kysely database type: every table it owns, schema-qualified. */
export interface MetricsDatabase {
  'baton_metrics.runs': RunsTable;
  'baton_metrics.stage_runs': StageRunsTable;
  'baton_metrics.tasks': TasksTable;
  'baton_metrics.executions': ExecutionsTable;
  'baton_metrics.token_reports': TokenReportsTable;
  'baton_metrics.agents': AgentsTable;
  'baton_metrics.health_checks': HealthChecksTable;
  'baton_metrics.investigations': InvestigationsTable;
  'baton_metrics.budgets': BudgetsTable;
  'baton_metrics.budget_decisions': BudgetDecisionsTable;
  'baton_metrics.budget_actions': BudgetActionsTable;
}
