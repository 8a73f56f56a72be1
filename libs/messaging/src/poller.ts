import type { MessagingLogger } from './messaging.logger';

/** How a {@link Poller} runs. */
export interface PollerOptions {
  /** Named in the log line of a failed round (`<name> failed: …`). */
  readonly name: string;
  /** The pause between the end of one round and the start of the next. */
  readonly intervalMs: number;
  /** The wait before the first round after `start()`. Default `intervalMs`; timers that must catch up at once pass 0. */
  readonly firstDelayMs?: number;
  readonly logger: MessagingLogger;
}

/**
 * Runs `round` again and again once started, `intervalMs` after the previous round ended:
 * rounds never overlap (a `tick()` during a round joins it), and a failed round is logged, not
 * thrown, so the next one tries again. The timer does not keep the process alive; `stop()`
 * waits for the round in hand. The services' timer pollers and periodic checks run on it: give
 * it the round's work, or extend it and override {@link Poller.run}.
 *
 * @example
 * const poller = new Poller({ name: 'escalation timer poll', intervalMs: 1000, firstDelayMs: 0, logger }, () => fireDueTimers());
 * poller.start();
 * await poller.stop();
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private round: Promise<void> | undefined;

  constructor(
    private readonly pollerOptions: PollerOptions,
    private readonly work?: () => Promise<unknown>,
  ) {}

  /** One round's work: the function given to the constructor, unless a subclass overrides it. */
  protected run(): Promise<unknown> {
    if (!this.work) return Promise.reject(new Error(`${this.pollerOptions.name}: no work given`));
    return this.work();
  }

  /** Starts the rounds (no-op when started). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(this.pollerOptions.firstDelayMs ?? this.pollerOptions.intervalMs);
  }

  /** Stops the rounds and waits for the one in hand. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** One round now (or the one in progress). */
  tick(): Promise<void> {
    this.round ??= this.run()
      .then(() => undefined)
      .catch((err: unknown) => this.pollerOptions.logger.error(`${this.pollerOptions.name} failed: ${(err as Error).message}`))
      .finally(() => {
        this.round = undefined;
      });
    return this.round;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.tick().then(() => this.schedule(this.pollerOptions.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
