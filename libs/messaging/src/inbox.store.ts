import type { Pool, PoolClient } from 'pg';
import { OwnTableStore, type OwnTableOptions } from './own-table.store';

/** Anything that runs SQL: a `Pool`, or the `PoolClient` of an open transaction. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rowCount: number | null; rows: unknown[] }>;
}

/**
 * Remembers which event ids a consumer has processed, so a redelivered or republished
 * event is acknowledged without running its effect twice. For exactly-once effects, write
 * the effect and the inbox row in one transaction ({@link PostgresInboxStore.runOnce});
 * `markProcessed` after a separate effect leaves a small window where a crash repeats it.
 */
export interface InboxStore {
  /** True when `eventId` was already processed by `consumer`. */
  seenBefore(consumer: string, eventId: string): Promise<boolean>;
  /** Records `eventId` as processed by `consumer`; idempotent. */
  markProcessed(consumer: string, eventId: string): Promise<void>;
}

/** The table: default `baton_consumer_inbox`. */
export type PostgresInboxStoreOptions = OwnTableOptions;

/**
 * {@link InboxStore} on Postgres: one row per (consumer, event id) in its own table.
 *
 * @example
 * const inbox = new PostgresInboxStore(pool);
 * await inbox.ensureSchema();
 * // exactly-once effect: the effect and the inbox row commit together
 * await inbox.runOnce('notifier', event.eventId, (trx) => trx.query('INSERT INTO deliveries ...'));
 */
export class PostgresInboxStore extends OwnTableStore implements InboxStore {
  constructor(pool: Pool, options: PostgresInboxStoreOptions = {}) {
    super(
      pool,
      options.table ?? 'baton_consumer_inbox',
      `consumer text NOT NULL,
       event_id text NOT NULL,
       processed_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (consumer, event_id)`,
    );
  }

  async seenBefore(consumer: string, eventId: string): Promise<boolean> {
    const r = await this.pool.query(`SELECT 1 FROM ${this.table} WHERE consumer = $1 AND event_id = $2`, [consumer, eventId]);
    return (r.rowCount ?? 0) > 0;
  }

  /** Records the event; pass the client of your transaction to commit it with your effect. */
  async markProcessed(consumer: string, eventId: string, client: Queryable = this.pool): Promise<void> {
    await client.query(`INSERT INTO ${this.table} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [consumer, eventId]);
  }

  /**
   * Runs `effect` and records the event in one transaction, unless the event was already
   * processed. Concurrent deliveries of the same event serialize on the inbox row; the
   * loser sees `ran: false`.
   */
  async runOnce<T>(consumer: string, eventId: string, effect: (trx: PoolClient) => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const ins = await client.query(
        `INSERT INTO ${this.table} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [consumer, eventId],
      );
      if ((ins.rowCount ?? 0) === 0) {
        await client.query('ROLLBACK');
        return { ran: false };
      }
      const result = await effect(client);
      await client.query('COMMIT');
      return { ran: true, result };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
