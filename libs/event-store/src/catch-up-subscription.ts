import { comparePositions, type Position, type RecordedEvent } from '@baton/contracts';
import { noticeConcerns, type CommitNotice } from './commit-notice';
import type { EventFilter, SubscribeOptions } from './port';
import { SubscriptionLoop } from './subscription-loop';

/**
 * Longest pause between re-reads while a notified commit is hidden behind an older open
 * append: bounds the extra delivery delay once it ends (an append that fails writes nothing,
 * so no notification announces its end). One indexed read per pause.
 */
const HIDDEN_RETRY_MAX_MS = 5;

/** One page read by a catch-up subscription. */
export interface CatchUpPage {
  readonly events: readonly RecordedEvent[];
  /**
   * Positions with `commit` at or above this may still appear (Postgres: the oldest
   * running transaction id). Undefined when the source has no such notion.
   */
  readonly horizon?: number;
}

/** What a catch-up subscription needs from its store. */
export interface CatchUpSource {
  /**
   * Events strictly after `after`, in global order, at most `limit`, matching `filter`.
   * `exact`: the horizon counts only open transactions that may still write events (Postgres:
   * those holding an advisory lock, which every append takes before it writes), not every open
   * one: dearer to compute, so asked for only while a notified commit is hidden.
   */
  readPage(after: Position, limit: number, filter: EventFilter | undefined, exact?: boolean): Promise<CatchUpPage>;
  /** The exclusive checkpoint that means "only events committed from now on". */
  endPosition(): Promise<Position>;
  /** Registers a wake-up callback (called with each commit's notice); resolves once it is active. */
  listen(wake: (notice: CommitNotice) => void): Promise<void>;
  unlisten(wake: (notice: CommitNotice) => void): void;
  /** Slow safety-net poll while live, in ms. */
  readonly pollIntervalMs: number;
}

/**
 * A pull-based catch-up subscription: reads pages after its checkpoint until a short page,
 * then waits for a wake-up (notification, safety-net poll, or a short back-off while a
 * notified commit is still hidden behind an older open append) and reads again.
 * History and live use the same read from the same checkpoint, so the switch-over can
 * neither skip nor repeat an event.
 */
export class CatchUpSubscription extends SubscriptionLoop {
  private dirty = false;
  /** A wake with no commit came since the last read began: read again, whatever the horizon says. */
  private blindWake = false;
  private maxNotified = 0;
  /** Horizon of the last short page: every commit below it had been read already. */
  private readHorizon = 0;
  private readonly onWake = (notice: CommitNotice): void => {
    const { commit } = notice;
    // Our own process wakes us directly and again through NOTIFY; the second is stale.
    if (commit !== undefined && commit < this.readHorizon) return;
    // A commit of categories this subscription does not read has nothing for it, unless a
    // commit it was told about is still hidden behind an older open transaction: then any
    // commit may be the one that ends the wait, and the read goes at once.
    if (!noticeConcerns(notice, this.options.filter) && this.maxNotified < this.readHorizon) return;
    // A wake with no commit (the listener reconnected) reads once; it is no commit to wait for.
    // (It was Number.MAX_SAFE_INTEGER before: every commit then looked hidden, and each
    // subscription re-read every 5 ms for as long as it lived, some 150 reads a second at idle.)
    if (commit !== undefined && commit > this.maxNotified) this.maxNotified = commit;
    if (commit === undefined) this.blindWake = true;
    this.dirty = true;
    this.wake();
  };

  constructor(
    private readonly source: CatchUpSource,
    options: SubscribeOptions,
    private readonly onStopped?: () => void,
  ) {
    super(options);
    this.done = this.run();
  }

  private async run(): Promise<void> {
    const { options, source } = this;
    const batch = options.batchSize ?? 500;
    let backoffMs = 1;
    // The last page showed a notified commit hidden behind an open transaction: read with the exact horizon.
    let exact = false;
    try {
      // Listen before the first read, so nothing committed during catch-up goes unnoticed.
      await source.listen(this.onWake);
      let checkpoint: Position =
        options.from === 'start' ? { commit: 0, prepare: 0 } : options.from === 'end' ? await source.endPosition() : options.from;
      while (!this.stopped) {
        this.dirty = false;
        this.blindWake = false;
        const page = await source.readPage(checkpoint, batch, options.filter, exact);
        for (const event of page.events) {
          if (this.stopped) return;
          if (comparePositions(event.position, checkpoint) <= 0) continue;
          await options.onEvent(event);
          checkpoint = event.position;
          this.current = event.position;
        }
        if (page.events.length >= batch) continue;
        if (page.horizon !== undefined) this.readHorizon = page.horizon;
        this.caughtUp();
        // A commit we were told about is not readable yet: an older transaction is still
        // open. Most such transactions write no events (a read model's, another service's):
        // read again at once with the exact horizon, which does not wait for those. If an
        // append of its own is open, retry soon (no notification announces its end when it
        // writes nothing after all).
        const hidden = page.horizon !== undefined && this.maxNotified >= page.horizon;
        const firstLook = hidden && !exact;
        exact = hidden;
        // Woken while reading: read again, unless the page's horizon shows the read covered every
        // commit told of meanwhile (each one below the horizon had committed before the read's
        // snapshot). The process's own wake and the NOTIFY of one commit often come one during
        // the other's read: that second read found nothing, about one per commit.
        const wokenForMore = this.dirty && (page.horizon === undefined || this.blindWake || hidden);
        if (wokenForMore || this.stopped || firstLook) continue;
        if (page.events.length > 0) backoffMs = 1;
        await this.sleep(hidden ? backoffMs : source.pollIntervalMs);
        if (hidden) backoffMs = Math.min(backoffMs * 2, HIDDEN_RETRY_MAX_MS);
      }
    } catch (err) {
      this.failed(err);
    } finally {
      source.unlisten(this.onWake);
      this.onStopped?.();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
