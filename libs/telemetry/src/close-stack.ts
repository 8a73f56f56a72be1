/**
 * Resources a composition root opened, closed in reverse order. Every close runs even when
 * an earlier one fails; failures are reported together.
 *
 * @example
 * const resources = new CloseStack('scheduler');
 * const pool = new Pool(...); resources.defer(() => pool.end());
 * await resources.closeAll();
 */
export class CloseStack {
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(private readonly owner: string) {}

  /** Registers how to close something just opened. */
  defer(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  /** Closes everything registered, newest first; throws an AggregateError if any close failed. */
  async closeAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${this.owner} did not close cleanly`);
  }
}
