import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Actor, ConflictKind, ConflictResolutionKind } from '@baton/contracts';
import type { SchedulerDatabase } from './scheduler.tables';

/** `scheduler.conflicts`: one row per conflict (the list-conflicts read model), from `conflict-*` streams. */
export interface ConflictsTable {
  conflict_id: string;
  kind: ConflictKind;
  task_ids: string[];
  agent_id: string | null;
  run_id: string | null;
  description: string;
  details: Record<string, unknown>;
  auto_resolution: ConflictResolutionKind | null;
  needs_decision: boolean;
  status: 'open' | 'resolved';
  resolution: ConflictResolutionKind | null;
  resolved_by: Actor | null;
  reason: string | null;
  reassign_to: string | null;
  detected_at: Date;
  resolved_at: Date | null;
  /** `occurredAt` of the last applied event, so a rebuild gives identical rows. */
  updated_at: Date;
  revision: number;
}

/**
 * `scheduler.conflict_links`: the conflict manager's own state (written in its checkpoint's
 * transaction): which open conflict holds which task (`held`), and which task a held task's open
 * dependency conflict waits on (`dependency`).
 */
export interface ConflictLinksTable {
  conflict_id: string;
  task_id: string;
  role: 'held' | 'dependency';
  kind: ConflictKind;
  /** For an idle time-out: the agent that went offline. */
  agent_id: string | null;
  /** The held task's lease epoch when the conflict was detected. */
  lease_epoch: number;
}

export type ConflictRow = Selectable<ConflictsTable>;

/** The conflict tables (kept apart so `scheduler.tables.ts` stays as it is). */
export type ConflictTables = {
  'scheduler.conflicts': ConflictsTable;
  'scheduler.conflict_links': ConflictLinksTable;
};

/** The scheduler's tables plus the conflict tables. */
export interface ConflictDatabase extends SchedulerDatabase, ConflictTables {}

export type ConflictDb = Kysely<ConflictDatabase> | Transaction<ConflictDatabase>;

/** The scheduler's Kysely instance, typed with the conflict tables too. */
export function withConflictTables(db: Kysely<SchedulerDatabase>): Kysely<ConflictDatabase> {
  return db.withTables<ConflictTables>();
}

/** A transaction of a scheduler projection, typed with the conflict tables too (same connection). */
export function withConflictTablesTrx(trx: Transaction<SchedulerDatabase>): Transaction<ConflictDatabase> {
  return trx.withTables<ConflictTables>();
}
