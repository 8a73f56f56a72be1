import type { Pool } from 'pg';
import type { Position } from '@baton/contracts';
import { OwnTableStore, type OwnTableOptions } from './own-table.store';

/** Where a relay (or any reader of the store) keeps the position it has finished. */
export interface CheckpointStore {
  /** The saved position, or undefined when nothing was saved under `name`. */
  load(name: string): Promise<Position | undefined>;
  /** Saves `position`; never moves a checkpoint backwards. */
  save(name: string, position: Position): Promise<void>;
}

/** The table: default `baton_relay_checkpoints`. */
export type PostgresCheckpointStoreOptions = OwnTableOptions;

/**
 * {@link CheckpointStore} on Postgres: one row per name (`name`, `commit`, `prepare`,
 * `updated_at`). A save that would move the checkpoint backwards (a stale second relay) is
 * ignored.
 *
 * @example
 * const checkpoints = new PostgresCheckpointStore(pool);
 * await checkpoints.ensureSchema();
 */
export class PostgresCheckpointStore extends OwnTableStore implements CheckpointStore {
  constructor(pool: Pool, options: PostgresCheckpointStoreOptions = {}) {
    super(
      pool,
      options.table ?? 'baton_relay_checkpoints',
      `name text PRIMARY KEY,
       commit bigint NOT NULL,
       prepare bigint NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now()`,
    );
  }

  async load(name: string): Promise<Position | undefined> {
    const r = await this.pool.query<{ commit: string; prepare: string }>(`SELECT commit, prepare FROM ${this.table} WHERE name = $1`, [name]);
    const row = r.rows[0];
    return row ? { commit: Number(row.commit), prepare: Number(row.prepare) } : undefined;
  }

  async save(name: string, position: Position): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} AS c (name, commit, prepare, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (name) DO UPDATE SET commit = EXCLUDED.commit, prepare = EXCLUDED.prepare, updated_at = now()
       WHERE (c.commit, c.prepare) < (EXCLUDED.commit, EXCLUDED.prepare)`,
      [name, position.commit, position.prepare],
    );
  }
}
