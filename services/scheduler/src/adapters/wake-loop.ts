import type { MessagingLogger } from '@baton/messaging';

/**
 * Runs `pass` whenever woken, and at the latest every `idleMs` (a slow safety-net poll, not a
 * busy loop). A wake during a pass runs one more pass right after it. `pass` may return how
 * long to sleep before the next one (e.g. until the next timer is due).
 */
export class WakeLoop {
  private running = false;
  private dirty = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    private readonly pass: () => Promise<number | void>,
    private readonly idleMs: number,
    private readonly logger: MessagingLogger,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.dirty = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    this.loop = undefined;
  }

  wake(): void {
    this.dirty = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.dirty = false;
      let sleepMs = this.idleMs;
      try {
        const next = await this.pass();
        if (typeof next === 'number') sleepMs = Math.max(0, Math.min(next, this.idleMs));
      } catch (err) {
        this.logger.error(`${this.name} pass failed: ${(err as Error).message}`);
      }
      if (!this.running) break;
      if (this.dirty) continue;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          this.wakeUp = undefined;
          resolve();
        };
        const t = setTimeout(done, sleepMs);
        this.wakeUp = done;
      });
    }
  }
}
