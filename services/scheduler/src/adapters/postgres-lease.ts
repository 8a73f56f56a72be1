import { sql, type Kysely } from 'kysely';
import type { MessagingLogger } from '@baton/messaging';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';

export interface PostgresLeaseOptions {
  readonly db: Kysely<SchedulerDatabase>;
  /** Lease name, e.g. `dispatcher`. */
  readonly name: string;
  /** This process's id (unique per process start). */
  readonly holder: string;
  /** How long a lease lasts without renewal. */
  readonly ttlMs: number;
  /** How often the holder renews. Default ttl / 3, so two renewals in a row may fail before the lease is lost. */
  readonly renewEveryMs?: number;
  /** How often a replica that does not hold the lease tries to take it. Default ttl / 6. */
  readonly acquireEveryMs?: number;
  /** Called when this process becomes the holder (with the new epoch). */
  readonly onAcquired: (epoch: number) => Promise<void> | void;
  /** Called when this process stops being the holder (lost, expired or released). */
  readonly onLost: (epoch: number) => Promise<void> | void;
  readonly logger: MessagingLogger;
}

/** The effective timings of a lease, and the longest a standby waits to take over from a dead holder. */
export interface LeaseTimings {
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  readonly acquireEveryMs: number;
  /**
   * A holder that dies right after renewing leaves a lease valid for `ttlMs`; a standby tries
   * once per `acquireEveryMs`, so it holds the lease at most `ttlMs + acquireEveryMs` after
   * the holder's last renewal (plus a round trip).
   */
  readonly takeoverWithinMs: number;
}

/**
 * The timings a {@link PostgresLease} runs with, defaults applied.
 *
 * @example
 * leaseTimings({ ttlMs: 3000 }) // { ttlMs: 3000, renewEveryMs: 1000, acquireEveryMs: 500, takeoverWithinMs: 3500 }
 */
export function leaseTimings(o: { readonly ttlMs: number; readonly renewEveryMs?: number | undefined; readonly acquireEveryMs?: number | undefined }): LeaseTimings {
  const renewEveryMs = o.renewEveryMs ?? Math.max(50, Math.floor(o.ttlMs / 3));
  const acquireEveryMs = o.acquireEveryMs ?? Math.max(50, Math.floor(o.ttlMs / 6));
  return { ttlMs: o.ttlMs, renewEveryMs, acquireEveryMs, takeoverWithinMs: o.ttlMs + acquireEveryMs };
}

/**
 * A single-actor lease in `scheduler.leases` (name, holder, epoch, expires_at). Acquiring takes
 * an expired (or absent) lease and bumps its epoch; renewing extends it only while holder and
 * epoch still match, so a process that was paused past its lease finds it lost and stops
 * acting. Expiry uses the database clock: one clock for every replica, whatever their own.
 * A process also treats its lease as lost locally once `ttlMs` has passed since its last
 * successful renewal, before anyone else can take it over.
 *
 * The holder renews every `renewEveryMs`; the others try every `acquireEveryMs`, a shorter
 * period, since how soon a standby notices the expiry is what bounds a failover
 * ({@link leaseTimings}). Polling faster changes nobody's safety: acquiring still needs an
 * expired row by the database clock, and takes the next epoch.
 */
export class PostgresLease {
  private timer: NodeJS.Timeout | undefined;
  private epoch: number | undefined;
  private renewedAt = 0;
  private running = false;
  private tick: Promise<void> = Promise.resolve();
  private readonly timings: LeaseTimings;

  constructor(private readonly o: PostgresLeaseOptions) {
    this.timings = leaseTimings(o);
  }

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
    this.scheduleNext();
  }

  /** The next renewal (while holding) or attempt to acquire (while not), after the step in hand. */
  private scheduleNext(): void {
    if (!this.running) return;
    const delay = this.epoch !== undefined ? this.timings.renewEveryMs : this.timings.acquireEveryMs;
    this.timer = setTimeout(() => {
      this.tick = this.step().finally(() => this.scheduleNext());
    }, delay);
  }

  /** Stops renewing and gives the lease up, so another replica takes over at once. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
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
