import type { Pool, PoolClient } from 'pg';
import { parseNotice, type CommitNotice } from '../commit-notice';

/**
 * One LISTEN connection per store, shared by its subscriptions. A notification carries the
 * committing transaction's id and the categories it wrote (commit-notice.ts); each registered
 * callback gets it. When the connection
 * drops it reconnects with back-off and wakes everyone (they may have missed a
 * notification); the subscriptions' slow poll covers the gap meanwhile.
 */
export class PgNotificationListener {
  private client: PoolClient | undefined;
  private starting: Promise<void> | undefined;
  private readonly callbacks = new Set<(notice: CommitNotice) => void>();
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = 100;

  constructor(
    private readonly pool: Pool,
    private readonly channel: string,
  ) {}

  /** Registers a callback and resolves once LISTEN is active (or failed: the poll covers it). */
  async add(callback: (notice: CommitNotice) => void): Promise<void> {
    this.callbacks.add(callback);
    await this.ensure().catch(() => this.scheduleRetry());
  }

  /** Wakes this process's subscribers directly (an append of ours just committed). */
  wakeLocal(notice: CommitNotice): void {
    for (const cb of this.callbacks) cb(notice);
  }

  remove(callback: (notice: CommitNotice) => void): void {
    this.callbacks.delete(callback);
  }

  private ensure(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.starting ??= this.connect().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async connect(): Promise<void> {
    const client = await this.pool.connect();
    const onError = (): void => this.lost(client);
    client.on('error', onError);
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel) return;
      const notice = parseNotice(msg.payload);
      for (const cb of this.callbacks) cb(notice);
    });
    try {
      await client.query(`LISTEN "${this.channel}"`);
    } catch (err) {
      client.release(true);
      throw err;
    }
    if (this.closed) {
      client.release(true);
      return;
    }
    this.client = client;
    this.retryMs = 100;
    // Anything committed while we were not listening: let every subscriber re-read.
    for (const cb of this.callbacks) cb({});
  }

  private lost(client: PoolClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.release(true);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensure().catch(() => {
        this.retryMs = Math.min(this.retryMs * 2, 5000);
        this.scheduleRetry();
      });
    }, this.retryMs);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.starting?.catch(() => undefined);
    const c = this.client;
    this.client = undefined;
    if (c) {
      try {
        await c.query(`UNLISTEN "${this.channel}"`);
        c.release();
      } catch {
        c.release(true);
      }
    }
  }
}
