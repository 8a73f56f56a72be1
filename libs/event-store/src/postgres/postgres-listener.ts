import type { Pool, PoolClient } from 'pg';

/**
 * One LISTEN connection per store, shared by its subscriptions. A notification carries the
 * committing transaction's id; each registered callback gets it. When the connection
 * drops it reconnects with back-off and wakes everyone (they may have missed a
 * notification); the subscriptions' slow poll covers the gap meanwhile.
 */
export class PgNotificationListener {
  private client: PoolClient | undefined;
  private starting: Promise<void> | undefined;
  private readonly callbacks = new Set<(txId: number) => void>();
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = 100;

  constructor(
    private readonly pool: Pool,
    private readonly channel: string,
  ) {}

  /** Registers a callback and resolves once LISTEN is active (or failed: the poll covers it). */
  async add(callback: (txId: number) => void): Promise<void> {
    this.callbacks.add(callback);
    await this.ensure().catch(() => this.scheduleRetry());
  }

  /** Wakes this process's subscribers directly (an append of ours just committed). */
  wakeLocal(txId: number): void {
    for (const cb of this.callbacks) cb(txId);
  }

  remove(callback: (txId: number) => void): void {
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
      const tx = Number(msg.payload ?? 0);
      for (const cb of this.callbacks) cb(tx);
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
    for (const cb of this.callbacks) cb(Number.MAX_SAFE_INTEGER);
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
