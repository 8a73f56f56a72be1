import type { MessagingLogger } from '@baton/messaging';

/**
 * Runs `round` every `intervalMs` once started; rounds never overlap (a tick during a round
 * joins it), and a failed round is logged, not thrown: the next one tries again.
 */
export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly round: () => Promise<unknown>,
    private readonly logger: MessagingLogger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round now (or the one in progress). */
  tick(): Promise<void> {
    this.running ??= this.round()
      .then(() => undefined)
      .catch((err: unknown) => this.logger.error(`${this.name} failed: ${(err as Error).message}`))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
