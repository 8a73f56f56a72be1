import { DatabaseError, type Pool, type PoolClient } from 'pg';

/** A held connection not used for this long goes back to the pool (checked about this often). */
const HOLD_IDLE_MS = 1000;

/**
 * Up to `keep` pooled connections held between statements, so a statement goes straight to a
 * connection instead of through the pool's checkout and return each time: at idle that was
 * 0.06 to 0.07 ms of a one-event append's 0.6 to 0.7 ms (libs/event-store/README.md). A
 * connection whose statement failed other than with an SQL error (the connection itself), or
 * that the server closed while held, goes back to the pool to be discarded. Connections taken
 * while `keep` are held already go back to the pool after their statement, and a held one
 * unused for a second goes back too: a quiet store holds nothing, and a pool ended without
 * the store's `close()` waits a second or two for them, not for ever.
 */
export class HeldClients {
  private readonly idle: PoolClient[] = [];
  /** Held connections (taken and not given back), with their error listener. */
  private readonly mine = new Map<PoolClient, () => void>();
  private readonly broken = new WeakSet<PoolClient>();
  private readonly lastUsed = new WeakMap<PoolClient, number>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly keep: number,
  ) {}

  /** Runs `work` on a held connection, or on one taken from the pool. */
  async use<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = this.idle.pop() ?? (await this.take());
    let failure: unknown;
    try {
      return await work(client);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      // An SQL error (a constraint, the division by zero of `together`) leaves the connection as it was.
      const lost = failure !== undefined && !(failure instanceof DatabaseError);
      if (lost || this.broken.has(client) || this.closed || !this.mine.has(client) || this.idle.length >= this.keep) this.giveBack(client, lost);
      else {
        this.lastUsed.set(client, performance.now());
        this.idle.push(client);
      }
    }
  }

  /** Gives every held connection back to the pool (before the pool ends); later statements take pooled ones. */
  close(): void {
    this.closed = true;
    for (const c of this.idle.splice(0)) this.giveBack(c, false);
  }

  private async take(): Promise<PoolClient> {
    const client = await this.pool.connect();
    if (this.mine.size < this.keep && !this.closed) {
      // While a connection is checked out the pool does not listen for its errors: a held one
      // the server closes would otherwise raise an unhandled 'error' event.
      const onError = (): void => {
        this.broken.add(client);
        const at = this.idle.indexOf(client);
        if (at >= 0) {
          this.idle.splice(at, 1);
          this.giveBack(client, true);
        }
      };
      client.on('error', onError);
      this.mine.set(client, onError);
      this.sweeper ??= setInterval(() => this.sweep(), HOLD_IDLE_MS).unref();
    }
    return client;
  }

  /** Gives back the held connections unused for {@link HOLD_IDLE_MS}. */
  private sweep(): void {
    const before = performance.now() - HOLD_IDLE_MS;
    for (const c of [...this.idle]) {
      if ((this.lastUsed.get(c) ?? 0) <= before) {
        this.idle.splice(this.idle.indexOf(c), 1);
        this.giveBack(c, false);
      }
    }
  }

  private giveBack(client: PoolClient, discard: boolean): void {
    const onError = this.mine.get(client);
    if (onError) {
      client.removeListener('error', onError);
      this.mine.delete(client);
      if (this.mine.size === 0 && this.sweeper !== undefined) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }
    client.release(discard || this.broken.has(client) ? true : undefined);
  }
}
