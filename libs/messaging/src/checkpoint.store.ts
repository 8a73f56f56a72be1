import type { Pool } from 'pg';
import type { Position } from '@baton/contracts';
import { sqlIdentifier } from './inbox.store';

/** Where a relay (or any reader of the store) keeps the position it has finished. */
export interface CheckpointStore {
  /** The saved position, or undefined when nothing was saved under `name`. */
  load(name: string): Promise<Position | undefined>;
  /** Saves `position`; never moves a checkpoint backwards. */
  save(name: string, position: Position): Promise<void>;
}

export interface PostgresCheckpointStoreOptions {
  /** Table name, optionally schema-qualified. Default `baton_relay_checkpoints`. */
  readonly table?: string;
}

/**
 * {@link CheckpointStore} on Postgres: one row per name (`name`, `commit`, `prepare`,
 * `updated_at`). A save that would move the checkpoint backwards (a stale second relay) is
 * ignored.
 *
 * @example
 * const checkpoints = new PostgresCheckpointStore(pool);
 * await checkpoints.ensureSchema();
 */
export class PostgresCheckpointStore implements CheckpointStore {
  private readonly table: string;

  constructor(
    private readonly pool: Pool,
    options: PostgresCheckpointStoreOptions = {},
  ) {
    this.table = sqlIdentifier(options.table ?? 'baton_relay_checkpoints');
  }

  /** Creates the table if it does not exist. */
  async ensureSchema(): Promise<void> {
    await this.pool.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         name text PRIMARY KEY,
         commit bigint NOT NULL,
         prepare bigint NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
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
