import type { Actor, EscalationLadder, EscalationOption, HandoffSla } from '@baton/contracts';
import type { RaisePlan } from '../domain';
import type { Generated, Insertable, JSONColumnType, Selectable } from 'kysely';

/** The escalation service's schema: read model, facts it watches, durable timers. */
export const ESCALATION_SCHEMA = 'baton_escalation';

/** `baton_escalation.escalations`: one row per escalation (the read model, rebuilt from the store). */
export interface EscalationsTable {
  escalation_id: string;
  trigger: string;
  level: number;
  /** The level it was raised at (levels start_level..level were each reached once: baton_escalations_total). */
  start_level: number;
  assignee_kind: string;
  assignee_id: string;
  status: 'open' | 'resolved';
  issue: string;
  workflow_stage: string | null;
  options: JSONColumnType<EscalationOption[]>;
  recommendation: string | null;
  blocking: string;
  run_id: string | null;
  stage_id: string | null;
  task_id: string | null;
  agent_id: string | null;
  /** When the problem began, and the ladder it climbs (for the climb timer). */
  since: Date;
  ladder: JSONColumnType<EscalationLadder>;
  raised_at: Date;
  updated_at: Date;
  resolution: string | null;
  resolved_by: JSONColumnType<Actor | null, string | null, string | null>;
  resolution_reason: string | null;
  resolved_at: Date | null;
  /** Revision of the last event of `escalation-<id>` applied. */
  revision: number;
}

/**
 * `baton_escalation.tasks`: what the task events said about each task, as far as escalation
 * cares (who holds it, since when it is blocked, when it last moved). Not rebuilt from the
 * escalation store: fed by the JetStream consumer of `baton.evt.task.*`.
 */
export interface TasksTable {
  task_id: string;
  run_id: string | null;
  stage_id: string | null;
  action: string | null;
  agent_id: string | null;
  lease_epoch: number;
  /** queued | held | blocked | ended. */
  status: string;
  /** Assignment, acceptance, progress or unblock: the start of the stall window. */
  last_activity_at: Date | null;
  last_percent: number | null;
  blocked_at: Date | null;
  block_reason: string | null;
  /** Stall watches opened so far (names the next one). */
  stall_seq: number;
  /** The handoff SLA the task receives (`inputs.handoffSla`); its clocks start at the first assignment. */
  handoff_sla: JSONColumnType<HandoffSla | null, string | null, string | null>;
  updated_at: Date;
}

/** `baton_escalation.runs`: the workflow version of each run (for per-workflow ladders). */
export interface RunsTable {
  run_id: string;
  workflow_id: string;
  version: string;
}

/** `baton_escalation.workflow_ladders`: the `escalation:` overrides of a workflow version's metadata. */
export interface WorkflowLaddersTable {
  workflow_id: string;
  version: string;
  overrides: JSONColumnType<Partial<EscalationLadder>>;
}

/**
 * `baton_escalation.watches`: every escalation a trigger opened (raised already, or waiting for
 * its raise timer), until the problem ends (the task completes, the stage is approved, …).
 */
export interface WatchesTable {
  escalation_id: string;
  trigger: string;
  task_id: string | null;
  run_id: string | null;
  stage_id: string | null;
  iteration: number | null;
  conflict_id: string | null;
  /** How to raise it (the trigger's facts, when the problem began, the ladder). */
  plan: JSONColumnType<RaisePlan>;
  /** True once a raise timer was armed for it (so closing it may have to resolve a raised escalation). */
  armed: boolean;
  open: boolean;
  opened_at: Date;
  closed_at: Date | null;
}

/**
 * `baton_escalation.timers`: durable work, fired by the timer poller when `due_at` has passed by
 * the injected clock (also what fell due while the service was down):
 * - `raise`: raise the escalation of an open watch (with the watch's plan);
 * - `climb`: take an open escalation up the ladder (armed by the projection);
 * - `resolve`: resolve an escalation whose problem ended (payload: the resolution).
 */
export interface TimersTable {
  timer_id: string;
  kind: 'raise' | 'climb' | 'resolve';
  escalation_id: string;
  due_at: Date;
  payload: JSONColumnType<Record<string, unknown>>;
  /** Insertion order, to break ties of `due_at` (bigint, read as string). */
  seq: Generated<string>;
}

export type EscalationRow = Selectable<EscalationsTable>;
export type NewEscalationRow = Insertable<EscalationsTable>;
export type TaskRow = Selectable<TasksTable>;
export type WatchRow = Selectable<WatchesTable>;
export type TimerRow = Selectable<TimersTable>;

/** The service's Kysely database type: every table it owns, schema-qualified. */
export interface EscalationDatabase {
  'baton_escalation.escalations': EscalationsTable;
  'baton_escalation.tasks': TasksTable;
  'baton_escalation.runs': RunsTable;
  'baton_escalation.workflow_ladders': WorkflowLaddersTable;
  'baton_escalation.watches': WatchesTable;
  'baton_escalation.timers': TimersTable;
}
