import type { Position } from '@baton/contracts';
import type { SubscribeOptions, Subscription } from './port';

/**
 * What the store's subscriptions share around their delivery loop: the position of the last
 * event delivered, whether history is behind them, the wake-up of a loop that waits, and
 * `stop()`, which wakes the loop and waits until it has ended.
 */
export abstract class SubscriptionLoop implements Subscription {
  /** Position of the last event delivered. */
  protected current: Position | undefined;
  protected live = false;
  protected stopped = false;
  /** The delivery loop, once started. */
  protected done: Promise<void> = Promise.resolve();
  /** Set while the loop waits: ends the wait. */
  protected wakeUp: (() => void) | undefined;

  protected constructor(protected readonly options: SubscribeOptions) {}

  get position(): Position | undefined {
    return this.current;
  }

  get isLive(): boolean {
    return this.live;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.done;
  }

  /** Ends the wait of the loop, if it waits. */
  protected wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  /** Marks the subscription live (once), telling `onCaughtUp`. */
  protected caughtUp(): void {
    if (this.live) return;
    this.live = true;
    this.options.onCaughtUp?.(this.current);
  }

  /** Stops the subscription on `error`, reported to `onError` unless it had been stopped already. */
  protected failed(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.options.onError?.(error);
  }
}
