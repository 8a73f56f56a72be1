import { BatonError } from '@baton/contracts';

/**
 * A counting semaphore: at most `limit` holders at a time; `acquire` waits (first come, first
 * served) for a free slot. The inbox loop takes a slot before it starts a handler, so an agent
 * never works more tasks at once than its `maxConcurrency`.
 */
export class ConcurrencyLimiter {
  private held = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly freeWaiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new BatonError('VALIDATION_FAILED', `concurrency limit must be a positive integer, got ${limit}`);
  }

  /** Slots in use now. */
  get inUse(): number {
    return this.held;
  }

  /** Waits for a free slot and takes it. */
  acquire(): Promise<void> {
    if (this.held < this.limit) {
      this.held++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Gives a slot back (to the first waiter, if any). */
  release(): void {
    if (this.held === 0) throw new BatonError('INTERNAL', 'release() without a matching acquire()');
    const next = this.waiting.shift();
    if (next) {
      next();
      return;
    }
    this.held--;
    for (const w of this.freeWaiters.splice(0)) w();
    if (this.held === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when a slot is free (without taking it). */
  free(): Promise<void> {
    return this.held < this.limit ? Promise.resolve() : new Promise((resolve) => this.freeWaiters.push(resolve));
  }

  /** Resolves when no slot is held. */
  idle(): Promise<void> {
    return this.held === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
