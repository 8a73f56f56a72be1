import type { NotificationSource } from '@baton/contracts';
import type { Generated, JSONColumnType, Selectable } from 'kysely';

/** The notifier's schema: the deliveries read model, the dispatch queue and what it knows of runs. */
export const NOTIFIER_SCHEMA = 'baton_notifier';

/** `baton_notifier.notifications`: one row per delivery (the read model, rebuilt from the store). */
export interface NotificationsTable {
  delivery_id: string;
  rule_id: string;
  channel: string;
  channel_kind: string;
  recipient: string;
  title: string;
  text: string;
  severity: string;
  source: JSONColumnType<NotificationSource>;
  topic: string;
  run_id: string | null;
  status: 'pending' | 'retrying' | 'delivered' | 'dead_lettered';
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  requested_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
  /** Revision of the last event of `notification-<id>` applied. */
  revision: number;
}

/**
 * `baton_notifier.queue`: deliveries waiting for an attempt, written by the projection in the
 * transaction that records their request (or a retry), removed once delivered or dead-lettered.
 * A channel's worker claims rows for a lease, so replicas never send one delivery at once.
 */
export interface QueueTable {
  delivery_id: string;
  channel: string;
  seq: Generated<string>;
  claimed_by: string | null;
  claimed_until: Date | null;
}

/** `baton_notifier.runs`: each run's workflow version and priority (from `RunStarted`). */
export interface RunsTable {
  run_id: string;
  workflow_id: string;
  version: string;
  priority: string;
}

/** `baton_notifier.workflows`: each workflow version's name and stage actions (from `WorkflowVersionRegistered`). */
export interface WorkflowsTable {
  workflow_id: string;
  version: string;
  name: string | null;
  stage_actions: JSONColumnType<Record<string, string | null>>;
}

export type NotificationRow = Selectable<NotificationsTable>;

/** The service's Kysely database type: every table it owns, schema-qualified. */
export interface NotifierDatabase {
  'baton_notifier.notifications': NotificationsTable;
  'baton_notifier.queue': QueueTable;
  'baton_notifier.runs': RunsTable;
  'baton_notifier.workflows': WorkflowsTable;
}
