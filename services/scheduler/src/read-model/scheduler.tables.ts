import type { Generated, Selectable } from 'kysely';

export const SCHEDULER_SCHEMA = 'scheduler';

/** `scheduler.tasks`: one row per task (the task read model, and the queue). */
export interface TasksTable {
  task_id: string;
  run_id: string | null;
  stage_id: string | null;
  action: string;
  requirement: { agentId?: string; role?: string; capabilities: string[] };
  priority: 'P0' | 'P1' | 'P2';
  inputs: Record<string, unknown>;
  status: 'queued' | 'assigned' | 'accepted' | 'blocked' | 'completed' | 'failed' | 'cancelled';
  agent_id: string | null;
  lease_epoch: number;
  attempt: number;
  max_attempts: number;
  timeout_ms: number | null;
  /** Not to be assigned before this (retry back-off). */
  not_before: Date | null;
  /** The queue rule's key (domain/task-queue.ts `queueKeyMs`): the queue is served in (queue_key, task_id) order. */
  queue_key: Date;
  requeued: boolean;
  assigned_at: Date | null;
  percent: number | null;
  progress_message: string | null;
  tokens_used: number | null;
  blocked_reason: string | null;
  outputs: Record<string, unknown> | null;
  error: { message: string; code: string | null } | null;
  created_at: Date;
  /** `occurredAt` of the last applied event (not the wall clock), so a rebuild gives identical rows. */
  updated_at: Date;
  revision: number;
}

/** `scheduler.agents`: agents as the scheduler sees them, projected from `baton.evt.agent.*`. */
export interface AgentsTable {
  agent_id: string;
  role: string;
  capabilities: string[];
  max_concurrency: number;
  online: boolean;
  removed: boolean;
  /** Revision of the last `agent-<id>` event applied; older deliveries are ignored. */
  revision: number;
  updated_at: Date;
}

/** `scheduler.agent_assignments`: when each agent was last given a task (the assignment tie-break). */
export interface AgentAssignmentsTable {
  agent_id: string;
  last_assigned_at: Date;
}

/** `scheduler.timers`: durable timers (task time-outs, retry wake-ups), fired by the timer poller under the lease. */
export interface TimersTable {
  timer_id: string;
  kind: 'task-timeout' | 'retry-due';
  task_id: string;
  lease_epoch: number;
  due_at: Date;
}

/** `scheduler.leases`: single-actor leases (the dispatcher) with an epoch that only grows. */
export interface LeasesTable {
  name: string;
  holder: string;
  epoch: Generated<number>;
  expires_at: Date;
}

/** `scheduler.workflow_definitions`: every registered workflow version (from `workflow-*` streams). */
export interface WorkflowDefinitionsTable {
  workflow_id: string;
  version: string;
  hash: string;
  name: string;
  description: string | null;
  trigger_kind: 'manual' | 'work_item' | 'schedule';
  item_types: string[];
  cron: string | null;
  yaml: string;
  registered_at: Date;
}

/** `scheduler.runs`: one row per workflow run (from `run-*` streams), for list-runs. */
export interface RunsTable {
  run_id: string;
  workflow_id: string;
  version: string;
  state: 'running' | 'paused' | 'success' | 'failure' | 'cancelled';
  started_at: Date;
  ended_at: Date | null;
  revision: number;
}

/** `scheduler.run_timers`: durable stage SLA deadlines and cron triggers, fired under the lease. */
export interface RunTimersTable {
  timer_id: string;
  kind: 'stage-sla' | 'run-sla' | 'cron';
  workflow_id: string;
  run_id: string | null;
  stage_id: string | null;
  iteration: number | null;
  cron: string | null;
  due_at: Date;
}

export type TaskRow = Selectable<TasksTable>;

/** The scheduler's Kysely database type: every table it owns, schema-qualified. */
export interface SchedulerDatabase {
  'scheduler.tasks': TasksTable;
  'scheduler.agents': AgentsTable;
  'scheduler.agent_assignments': AgentAssignmentsTable;
  'scheduler.timers': TimersTable;
  'scheduler.leases': LeasesTable;
  'scheduler.workflow_definitions': WorkflowDefinitionsTable;
  'scheduler.runs': RunsTable;
  'scheduler.run_timers': RunTimersTable;
}
