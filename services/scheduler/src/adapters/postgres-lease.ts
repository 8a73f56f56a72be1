import { sql, type Kysely } from 'kysely';
import type { MessagingLogger } from '@baton/messaging';
import type { SchedulerDatabase } from './scheduler.tables';

export interface PostgresLeaseOptions {
  readonly db: Kysely<SchedulerDatabase>;
  /** Lease name, e.g. `dispatcher`. */
  readonly name: string;
  /** This process's id (unique per process start). */
  readonly holder: string;
  /** How long a lease lasts without renewal. */
  readonly ttlMs: number;
  /** How often to try to acquire or renew. Default ttl / 3. */
  readonly renewEveryMs?: number;
  /** Called when this process becomes the holder (with the new epoch). */
  readonly onAcquired: (epoch: number) => Promise<void> | void;
  /** Called when this process stops being the holder (lost, expired or released). */
  readonly onLost: (epoch: number) => Promise<void> | void;
  readonly logger: MessagingLogger;
}

/**
 * A single-actor lease in `scheduler.leases` (name, holder, epoch, expires_at). Acquiring takes
 * an expired (or absent) lease and bumps its epoch; renewing extends it only while holder and
 * epoch still match, so a process that was paused past its lease finds it lost and stops
 * acting. Expiry uses the database clock: one clock for every replica, whatever their own.
 * A process also treats its lease as lost locally once `ttlMs` has passed since its last
 * successful renewal, before anyone else can take it over.
 */
export class PostgresLease {
  private timer: NodeJS.Timeout | undefined;
  private epoch: number | undefined;
  private renewedAt = 0;
  private running = false;
  private tick: Promise<void> = Promise.resolve();

  constructor(private readonly o: PostgresLeaseOptions) {}

  /** True while this process holds the lease (and its last renewal is younger than the ttl). */
  isHeld(): boolean {
    return this.epoch !== undefined && performance.now() - this.renewedAt < this.o.ttlMs;
  }

  get currentEpoch(): number | undefined {
    return this.epoch;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.step();
    const every = this.o.renewEveryMs ?? Math.max(50, Math.floor(this.o.ttlMs / 3));
    this.timer = setInterval(() => {
      this.tick = this.tick.then(() => this.step());
    }, every);
  }

  /** Stops renewing and gives the lease up, so another replica takes over at once. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.tick;
    const epoch = this.epoch;
    if (epoch === undefined) return;
    await this.lose(epoch);
    await sql`UPDATE scheduler.leases SET expires_at = now() - interval '1 millisecond'
              WHERE name = ${this.o.name} AND holder = ${this.o.holder} AND epoch = ${epoch}`
      .execute(this.o.db)
      .catch((err: unknown) => this.o.logger.warn(`could not release lease ${this.o.name}: ${(err as Error).message}`));
  }

  private async lose(epoch: number): Promise<void> {
    this.epoch = undefined;
    try {
      await this.o.onLost(epoch);
    } catch (err) {
      this.o.logger.error(`stopping the duties of lease ${this.o.name} failed: ${(err as Error).message}`);
    }
  }

  private async step(): Promise<void> {
    if (!this.running) return;
    const started = performance.now();
    try {
      if (this.epoch !== undefined) {
        const { rows } = await sql<{ epoch: string }>`
          UPDATE scheduler.leases SET expires_at = now() + ${this.o.ttlMs} * interval '1 millisecond'
           WHERE name = ${this.o.name} AND holder = ${this.o.holder} AND epoch = ${this.epoch} AND expires_at > now()
          RETURNING epoch`.execute(this.o.db);
        if (rows.length === 1) {
          this.renewedAt = started;
          return;
        }
        this.o.logger.warn(`lease ${this.o.name} epoch ${this.epoch} was lost`);
        await this.lose(this.epoch);
        // Leave the next round to the others: a replica that was stalled should not grab it straight back.
        return;
      }
      const { rows } = await sql<{ epoch: string }>`
        INSERT INTO scheduler.leases AS l (name, holder, epoch, expires_at)
        VALUES (${this.o.name}, ${this.o.holder}, 1, now() + ${this.o.ttlMs} * interval '1 millisecond')
        ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at
         WHERE l.expires_at <= now()
        RETURNING epoch`.execute(this.o.db);
      const row = rows[0];
      if (!row) return;
      this.epoch = Number(row.epoch);
      this.renewedAt = started;
      this.o.logger.log(`holding lease ${this.o.name} with epoch ${this.epoch}`);
      await this.o.onAcquired(this.epoch);
    } catch (err) {
      this.o.logger.warn(`lease ${this.o.name}: ${(err as Error).message}`);
      if (this.epoch !== undefined && !this.isHeld()) await this.lose(this.epoch);
    }
  }
}
