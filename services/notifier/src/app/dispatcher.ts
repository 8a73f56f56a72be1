import { serviceContext, type Clock } from '@baton/aggregate';
import type { MessagingLogger } from '@baton/messaging';
import { ExponentialBackoff, handleWhen, retry, TaskCancelledError, timeout, TimeoutStrategy, type RetryPolicy, type TimeoutPolicy } from 'cockatiel';
import type { Kysely } from 'kysely';
import { claimQueued, releaseClaim, renewClaim } from '../read-model/notification.queries';
import type { NotificationRow, NotifierDatabase } from '../read-model/notifier.tables';
import type { NotificationCommands } from './input.consumer';
import { DeliveryError, type ChannelSender } from './ports';
import type { ChannelConfig } from './rules.config';

/** Thrown inside the retry policy once the delivery is settled (delivered or dead-lettered): stops retrying. */
class Settled extends Error {
  constructor(readonly outcome: 'delivered' | 'dead_lettered' | 'stopped') {
    super(outcome);
    this.name = 'Settled';
  }
}

export interface ChannelWorkerOptions {
  readonly channel: ChannelConfig;
  readonly sender: ChannelSender;
  readonly db: Kysely<NotifierDatabase>;
  readonly commands: NotificationCommands;
  readonly clock: Clock;
  readonly logger: MessagingLogger;
  /** Removes secrets from error text before it is logged or recorded. */
  readonly redact: (text: string) => string;
  /** How often the queue is looked at when nothing woke the worker. */
  readonly pollIntervalMs: number;
  /** This process's name on the claims it takes. */
  readonly owner: string;
}

/**
 * Sends one channel's queued deliveries, at most `concurrency` at a time, each through the
 * channel's cockatiel policies: a time limit per attempt, and retries with exponential back-off
 * (with jitter) between attempts. Every attempt's outcome is recorded through the command kernel
 * (`RecordDelivered` / `RecordDeliveryFailed`); the decider dead-letters the delivery when its
 * attempts are used up, which ends the retries. A delivery waiting out its back-off keeps its
 * slot, so a dead channel holds at most `concurrency` deliveries in hand and the rest wait,
 * queued, in Postgres; other channels have workers of their own and are not slowed.
 */
export class ChannelWorker {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly retryPolicy: RetryPolicy;
  private readonly attemptTimeout: TimeoutPolicy;
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private again = false;

  constructor(private readonly o: ChannelWorkerOptions) {
    const d = o.channel.delivery;
    this.retryPolicy = retry(
      handleWhen((err) => !(err instanceof Settled)),
      { maxAttempts: Math.max(0, d.maxAttempts - 1), backoff: new ExponentialBackoff({ initialDelay: d.initialDelayMs, maxDelay: d.maxDelayMs }) },
    );
    this.attemptTimeout = timeout(d.timeoutMs, TimeoutStrategy.Aggressive);
  }

  get name(): string {
    return this.o.channel.name;
  }

  /** Deliveries this worker holds right now (sending, or waiting out a back-off). */
  get busy(): number {
    return this.inFlight.size;
  }

  start(): void {
    const tick = (): void => {
      this.timer = setTimeout(() => {
        void this.poll().finally(() => {
          if (!this.stopping.signal.aborted) tick();
        });
      }, this.o.pollIntervalMs);
    };
    tick();
    this.wake();
  }

  /** Looks at the queue now (the projection queued something). */
  wake(): void {
    if (this.stopping.signal.aborted) return;
    void this.poll();
  }

  private leaseUntil(): Date {
    const d = this.o.channel.delivery;
    return new Date(this.o.clock.now().getTime() + d.timeoutMs + d.maxDelayMs + 30_000);
  }

  private async poll(): Promise<void> {
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = true;
    try {
      do {
        this.again = false;
        const free = this.o.channel.delivery.concurrency - this.inFlight.size;
        if (free <= 0 || this.stopping.signal.aborted) return;
        const rows = await claimQueued(this.o.db, this.name, this.o.owner, free, this.o.clock.now(), this.leaseUntil());
        for (const row of rows) {
          if (this.inFlight.has(row.delivery_id)) continue;
          const work = this.deliver(row).finally(() => {
            this.inFlight.delete(row.delivery_id);
            this.wake();
          });
          this.inFlight.set(row.delivery_id, work);
        }
      } while (this.again);
    } catch (err) {
      this.o.logger.warn(`notifier channel ${this.name}: reading the queue failed: ${this.o.redact((err as Error).message)}`);
    } finally {
      this.polling = false;
    }
  }

  private async deliver(row: NotificationRow): Promise<void> {
    const id = row.delivery_id;
    let attempt = row.attempts;
    try {
      await this.retryPolicy.execute(async () => {
        if (this.stopping.signal.aborted) throw new Settled('stopped');
        attempt++;
        await renewClaim(this.o.db, id, this.o.owner, this.leaseUntil());
        let response: string;
        try {
          response = await this.attemptTimeout.execute((_ctx, signal) => this.o.sender.send(row, attempt, signal), this.stopping.signal);
        } catch (err) {
          if (this.stopping.signal.aborted) throw new Settled('stopped');
          const permanent = err instanceof DeliveryError && err.permanent;
          const message = this.o.redact(err instanceof TaskCancelledError ? `no answer within ${this.o.channel.delivery.timeoutMs} ms` : describe(err));
          const result = await this.o.commands.execute(id, (metadata) => ({ type: 'RecordDeliveryFailed', data: { deliveryId: id, attempt, error: message, permanent }, metadata }), serviceContext('notifier', `failed:${id}:${attempt}`));
          const status = result.state.status;
          this.o.logger.warn(`notification ${id} over ${this.name}: attempt ${attempt} failed: ${message}${status === 'dead_lettered' ? ' (dead-lettered)' : ''}`);
          if (status === 'dead_lettered' || status === 'delivered') throw new Settled(status);
          throw err;
        }
        await this.o.commands.execute(id, (metadata) => ({ type: 'RecordDelivered', data: { deliveryId: id, attempt, response: this.o.redact(response).slice(0, 500) }, metadata }), serviceContext('notifier', `delivered:${id}:${attempt}`));
        throw new Settled('delivered');
      }, this.stopping.signal);
    } catch (err) {
      if (err instanceof Settled && err.outcome !== 'stopped') return;
      // Stopped, or the retry policy gave up before the decider did (a resumed delivery): the
      // claim goes back, and this or another replica picks the delivery up again.
      await releaseClaim(this.o.db, id, this.o.owner).catch(() => undefined);
      if (!(err instanceof Settled) && !this.stopping.signal.aborted) {
        this.o.logger.warn(`notification ${id} over ${this.name}: ${this.o.redact(describe(err))}`);
      }
    }
  }

  /** Stops claiming, aborts attempts in hand and back-off waits, and gives their claims back. */
  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
    await this.o.sender.close?.();
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? `: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` : '';
  return `${err.message}${detail}`.replace(/[\r\n]+/g, ' ').slice(0, 1000);
}

/** One worker per channel, started and stopped together. */
export class Dispatcher {
  private readonly workers = new Map<string, ChannelWorker>();

  constructor(workers: readonly ChannelWorker[]) {
    for (const w of workers) this.workers.set(w.name, w);
  }

  start(): void {
    for (const w of this.workers.values()) w.start();
  }

  /** Wakes the workers of these channels (or all). */
  wake(channels?: Iterable<string>): void {
    if (channels === undefined) {
      for (const w of this.workers.values()) w.wake();
      return;
    }
    for (const c of new Set(channels)) this.workers.get(c)?.wake();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.workers.values()].map((w) => w.stop()));
  }
}
