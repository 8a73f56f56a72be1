import type { ArtifactRef, RuleFailure } from '@baton/contracts';
import type { ColumnType, Insertable, Selectable } from 'kysely';

/**
 * The service's Postgres schema: the handoffs read model, its checkpoints, and the table of the
 * Postgres artifact store. The artifact store itself is an adapter of the `ArtifactStore` port
 * (src/adapters/postgres-artifact.store.ts), not part of the read model: its rows are primary
 * data that no projection writes and no rebuild touches, and another backend can replace it.
 * Its table is declared here because one migration created both tables and one Kysely type
 * covers the schema.
 */
export const HANDOFF_SCHEMA = 'baton_handoff';

/** A `jsonb` column: read as the value, written as JSON text (pg would send a JS array as a Postgres array). */
export type JsonColumn<T> = ColumnType<T, string, string>;

/**
 * `baton_handoff.artifacts`: the content-addressed artifact store of {@link PostgresArtifactStore}.
 * Primary data, not a read model: a projection rebuild never touches it.
 */
export interface ArtifactsTable {
  /** `sha256:<64 hex>` of `content`. */
  hash: string;
  size: number;
  /** The media type the bytes were first stored with. */
  media_type: string;
  content: Buffer;
  created_at: Date;
}

/** `baton_handoff.handoffs`: one row per handoff, projected from the `handoff-*` streams (rebuilt from the store). */
export interface HandoffsTable {
  handoff_id: string;
  task_id: string;
  run_id: string | null;
  stage_id: string | null;
  iteration: number | null;
  from_agent_id: string;
  to_agent_ids: string[];
  /** `pending` between HandoffSubmitted and its verdict (appended together, so only for an instant). */
  status: 'pending' | 'accepted' | 'rejected';
  spec_ids: string[];
  artifacts: JsonColumn<ArtifactRef[]>;
  context: JsonColumn<Record<string, unknown>>;
  failures: JsonColumn<RuleFailure[]>;
  rules_checked: number | null;
  submitted_at: Date;
  /** Global position of HandoffSubmitted (`commit`, `prepare`): the order among handoffs submitted in the same millisecond. Read as strings (bigint). */
  submitted_commit: ColumnType<string, number, number>;
  submitted_prepare: ColumnType<string, number, number>;
  decided_at: Date | null;
  /** Revision of the last event of `handoff-<id>` applied to this row. */
  revision: number;
}

export type HandoffRow = Selectable<HandoffsTable>;
export type NewHandoffRow = Insertable<HandoffsTable>;

/** The service's Kysely database type: every table it owns, schema-qualified. */
export interface HandoffDatabase {
  'baton_handoff.artifacts': ArtifactsTable;
  'baton_handoff.handoffs': HandoffsTable;
}
