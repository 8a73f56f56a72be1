import type { Pool, PoolClient } from 'pg';
import { mergeNotices, noticePayload, type CommitNotice } from '../commit-notice';

/**
 * Sends the "events committed" NOTIFY for appends made by this process, on its own
 * connection, after the appends have committed. At most one NOTIFY is in flight; appends
 * that commit meanwhile are covered by one more NOTIFY carrying the largest transaction id.
 * Its transaction writes nothing durable, so it runs with `synchronous_commit = off` and
 * never waits for a WAL flush. Failures are dropped: subscribers also poll. The payload names
 * the categories written by every commit it covers (see commit-notice.ts).
 */
export class PgNotifier {
  private client: PoolClient | undefined;
  private connecting: Promise<PoolClient> | undefined;
  private inFlight = false;
  private pending: CommitNotice | undefined;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private settle: (() => void) | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly channel: string,
  ) {}

  /** Queues a notification for a committed transaction. */
  notify(notice: CommitNotice): void {
    if (this.closed) return;
    this.pending = mergeNotices(this.pending, notice);
    if (this.inFlight) return;
    this.inFlight = true;
    this.idle = new Promise((r) => (this.settle = r));
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== undefined && !this.closed) {
        const notice = this.pending;
        this.pending = undefined;
        try {
          const client = await this.connection();
          await client.query('SELECT pg_notify($1, $2)', [this.channel, noticePayload(notice)]);
        } catch {
          this.drop();
        }
      }
    } finally {
      this.inFlight = false;
      this.settle?.();
    }
  }

  private connection(): Promise<PoolClient> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const c = await this.pool.connect();
      c.on('error', () => this.drop());
      try {
        await c.query('SET synchronous_commit = off');
      } catch (err) {
        c.release(true);
        throw err;
      }
      this.client = c;
      return c;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private drop(): void {
    const c = this.client;
    this.client = undefined;
    c?.release(true);
  }

  async close(): Promise<void> {
    await this.idle;
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    const c = this.client;
    this.client = undefined;
    if (c) {
      try {
        await c.query('RESET synchronous_commit');
        c.release();
      } catch {
        c.release(true);
      }
    }
  }
}
