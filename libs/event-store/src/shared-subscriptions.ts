import { categoryOf, comparePositions, type Position, type RecordedEvent } from '@baton/contracts';
import { validateCount, validateFilter } from './append-validation';
import { EventStoreUnavailableError } from './errors';
import type { EventFilter, EventStore, SubscribeOptions, Subscription } from './port';
import { SubscriptionLoop } from './subscription-loop';

/** Where subscriptions come from: an event store, or a {@link SharedSubscriptions} feed over one. */
export type SubscriptionFeed = Pick<EventStore, 'subscribe'>;

/** Live events a consumer may have queued before it falls back to reading on its own: a slow consumer costs memory only up to this. */
const DEFAULT_MAX_QUEUED = 10_000;

/** True when every event matching `inner` also matches `outer`. */
function covers(outer: EventFilter | undefined, inner: EventFilter | undefined): boolean {
  const within = (o: readonly string[] | undefined, i: readonly string[] | undefined): boolean => o === undefined || (i !== undefined && i.every((x) => o.includes(x)));
  return within(outer?.categories, inner?.categories) && within(outer?.eventTypes, inner?.eventTypes);
}

function matches(filter: EventFilter | undefined, event: RecordedEvent): boolean {
  if (filter?.categories && !filter.categories.includes(categoryOf(event.streamId))) return false;
  if (filter?.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  return true;
}

/** The narrowest filter every one of `filters` is covered by. */
function unionOf(filters: readonly (EventFilter | undefined)[]): EventFilter | undefined {
  const union = (pick: (f: EventFilter) => readonly string[] | undefined): string[] | undefined => {
    const all = new Set<string>();
    for (const f of filters) {
      const values = f === undefined ? undefined : pick(f);
      if (values === undefined) return undefined;
      for (const v of values) all.add(v);
    }
    return [...all].sort();
  };
  if (filters.length === 0) return undefined;
  const categories = union((f) => f.categories);
  const eventTypes = union((f) => f.eventTypes);
  if (categories === undefined && eventTypes === undefined) return undefined;
  return { ...(categories ? { categories } : {}), ...(eventTypes ? { eventTypes } : {}) };
}

export interface SharedSubscriptionsOptions {
  /** Live events one consumer may have waiting before it drops them and reads on its own again. Default 10 000. */
  readonly maxQueued?: number;
}

/**
 * One read of the store's new events shared by every subscription of a process. A single
 * store subscription (filtered by the union of the consumers' filters) follows the store; each
 * event it delivers is queued for every consumer that has joined, which then applies it at its
 * own pace, from its own checkpoint, with its own filter. A consumer that starts behind (or
 * falls more than `maxQueued` events behind) reads on its own with `readAll` until it is near
 * the end, then joins: it starts queueing the shared events after the shared head, reads once
 * more on its own (that read sees everything up to the head, as it starts after the head was
 * read) and then drains its queue, skipping what it already had. Order, completeness and
 * exactly-once delivery per consumer follow from both reads being complete prefixes of the
 * global order. A handler failure stops that consumer only and goes to its `onError`; a read
 * failure of the shared subscription stops every joined consumer and goes to each `onError`,
 * as the store's own subscriptions do.
 *
 * @example
 * const feed = new SharedSubscriptions(store);
 * new ProjectionRunner({ ..., store, feed });
 * await feed.close();
 */
export class SharedSubscriptions implements SubscriptionFeed {
  private readonly consumers = new Set<FeedConsumer>();
  /** Consumers receiving the shared events. */
  private readonly joined = new Set<FeedConsumer>();
  private shared: Subscription | undefined;
  private sharedFilter: EventFilter | undefined;
  /** Position of the last event the shared subscription delivered (or where it started). */
  private head: Position | 'end' | undefined;
  /** Settled once the shared subscription started last has fixed where it reads from (gone live), or ended. */
  private sharedLive: { readonly settled: Promise<void>; readonly settle: () => void } | undefined;
  /** Serialises starts, restarts and stops of the shared subscription. */
  private switching: Promise<void> = Promise.resolve();
  private closed = false;
  readonly maxQueued: number;

  constructor(
    private readonly store: EventStore,
    options: SharedSubscriptionsOptions = {},
  ) {
    this.maxQueued = validateCount(options.maxQueued, 'maxQueued') ?? DEFAULT_MAX_QUEUED;
  }

  /** Same contract as {@link EventStore.subscribe}. */
  subscribe(options: SubscribeOptions): Subscription {
    validateFilter(options.filter);
    validateCount(options.batchSize, 'batchSize');
    if (this.closed) throw new EventStoreUnavailableError('shared subscriptions are closed');
    const consumer = new FeedConsumer(this, this.store, options);
    this.consumers.add(consumer);
    consumer.begin();
    return consumer;
  }

  /** True while the shared subscription follows the store (some consumer has joined). */
  get isFollowing(): boolean {
    return this.shared !== undefined;
  }

  /** Stops every consumer and the shared subscription. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.stop()));
    await this.serialise(() => this.stopShared());
  }

  /**
   * Makes `consumer` receive every shared event after the returned position (`undefined`:
   * every event the shared subscription will deliver). Starts the shared subscription from
   * `from` if none runs, or restarts it from its head with a wider filter if it does not
   * cover the consumer's.
   */
  async join(consumer: FeedConsumer, from: Position | 'end'): Promise<Position | 'end' | undefined> {
    await this.serialise(async () => {
      if (this.shared !== undefined && covers(this.sharedFilter, consumer.filter)) return;
      const restartFrom = this.shared !== undefined ? this.head : from;
      await this.stopShared();
      this.startShared(restartFrom ?? from);
    });
    this.joined.add(consumer);
    return this.head;
  }

  /**
   * Resolves once the shared subscription (the current one, also after a restart) has fixed
   * where it reads from. Started from 'end', it reads the store's end only when it begins: a
   * consumer from 'end' that went live before that could miss what commits in between.
   */
  async started(): Promise<void> {
    for (;;) {
      const live = this.sharedLive;
      if (live === undefined) return;
      await live.settled;
      if (this.sharedLive === live) return;
    }
  }

  leave(consumer: FeedConsumer): void {
    this.joined.delete(consumer);
  }

  /** A consumer ended: once none is left, nothing reads the store. */
  removed(consumer: FeedConsumer): void {
    this.consumers.delete(consumer);
    this.joined.delete(consumer);
    if (this.consumers.size === 0) {
      void this.serialise(async () => {
        if (this.consumers.size === 0) await this.stopShared();
      });
    }
  }

  private serialise(step: () => Promise<void>): Promise<void> {
    const next = this.switching.then(step);
    this.switching = next.catch(() => undefined);
    return next;
  }

  private startShared(from: Position | 'end'): void {
    // From 'end' there is no position to restart at before the first event: read unfiltered, so no consumer needs a restart.
    this.sharedFilter = from === 'end' ? undefined : unionOf([...this.consumers].map((c) => c.filter));
    this.head = from;
    let settle!: () => void;
    const live = { settled: new Promise<void>((resolve) => (settle = resolve)), settle: () => settle() };
    this.sharedLive = live;
    const sub: Subscription = this.store.subscribe({
      from,
      ...(this.sharedFilter ? { filter: this.sharedFilter } : {}),
      onCaughtUp: () => live.settle(),
      // Synchronous: the head and every joined queue move together, so a consumer joining
      // between two events sees exactly the events after the head it was given.
      onEvent: (event) => {
        this.head = event.position;
        for (const c of this.joined) c.offer(event);
      },
      onError: (err) => {
        live.settle();
        if (this.shared !== sub) return;
        this.shared = undefined;
        for (const c of [...this.joined]) c.fail(err);
      },
    });
    this.shared = sub;
  }

  private async stopShared(): Promise<void> {
    const sub = this.shared;
    this.shared = undefined;
    this.sharedLive?.settle();
    await sub?.stop();
  }
}

/** One subscription of a {@link SharedSubscriptions} feed. */
class FeedConsumer extends SubscriptionLoop {
  readonly filter: EventFilter | undefined;
  /** Nothing at or before this is delivered (the `from` checkpoint). */
  private floor: Position | undefined;
  private queue: RecordedEvent[] = [];
  private overflowed = false;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly feed: SharedSubscriptions,
    private readonly store: EventStore,
    options: SubscribeOptions,
  ) {
    super(options);
    this.filter = options.filter;
    this.floor = options.from === 'start' || options.from === 'end' ? undefined : options.from;
  }

  begin(): void {
    this.done = this.run();
  }

  /** A shared event (called synchronously by the shared subscription). */
  offer(event: RecordedEvent): void {
    if (this.overflowed || !matches(this.filter, event)) return;
    if (this.queue.length >= this.feed.maxQueued) {
      // Too far behind: drop the queue and read on our own from our checkpoint instead.
      this.overflowed = true;
      this.queue = [];
      this.feed.leave(this);
    } else {
      this.queue.push(event);
    }
    this.wake();
  }

  /** The shared subscription failed. */
  fail(error: unknown): void {
    this.failure = { error };
    this.wake();
  }

  private async run(): Promise<void> {
    const batch = this.options.batchSize ?? 500;
    try {
      let from = this.options.from === 'start' ? { commit: 0, prepare: 0 } : this.options.from;
      for (;;) {
        if (from !== 'end') {
          // On our own until near the end: a short page.
          while (!this.stopped && (await this.readOwn(from, batch)) >= batch) from = this.current ?? from;
          if (this.stopped) return;
          from = this.current ?? from;
        }
        this.queue = [];
        this.overflowed = false;
        const head = await this.feed.join(this, from);
        if (this.stopped) return;
        if (from === 'end') {
          // Everything the shared subscription delivers from now on: if it started at 'end' for
          // us, that is the store's "from now on", else what it reads after its head.
          if (head !== undefined && head !== 'end') from = this.floor = head;
          // Live only once the shared subscription has read where the store ends (an event offered meanwhile, or stop(), wakes this too).
          await Promise.race([this.feed.started(), new Promise<void>((resolve) => (this.wakeUp = resolve))]);
          this.wakeUp = undefined;
          if (this.stopped) return;
        } else {
          // Everything up to the head was committed before this read starts: with the queue
          // (everything after the head), nothing is missing.
          if ((await this.readOwn(from, batch)) >= batch) {
            this.feed.leave(this);
            from = this.current ?? from;
            continue;
          }
        }
        this.caughtUp();
        await this.drain();
        if (this.stopped || this.failure) break;
        // Overflowed: catch up on our own again from our checkpoint.
        from = this.current ?? (from === 'end' ? { commit: 0, prepare: 0 } : from);
      }
      if (this.failure) this.failed(this.failure.error);
    } catch (err) {
      this.failed(err);
    } finally {
      this.stopped = true;
      this.feed.removed(this);
    }
  }

  /** One page read on our own after `after`, delivered; returns the page's length. */
  private async readOwn(after: Position, batch: number): Promise<number> {
    const page = await this.store.readAll({ after, maxCount: batch, ...(this.filter ? { filter: this.filter } : {}) });
    for (const event of page) {
      if (this.stopped) return page.length;
      const delivering = this.deliver(event);
      if (delivering !== undefined) await delivering;
    }
    return page.length;
  }

  /**
   * Hands one event to the consumer. A consumer that takes it synchronously (a projection
   * buffering it) costs no promise and no turn of the microtask queue: only a consumer that
   * returns a promise is waited for.
   */
  private deliver(event: RecordedEvent): Promise<void> | undefined {
    const after = this.current ?? this.floor;
    if (after !== undefined && comparePositions(event.position, after) <= 0) return undefined;
    const taking = this.options.onEvent(event);
    if (taking instanceof Promise) {
      return taking.then(() => {
        this.current = event.position;
      });
    }
    this.current = event.position;
    return undefined;
  }

  /** Applies queued shared events until stopped, failed or overflowed. */
  private async drain(): Promise<void> {
    while (!this.stopped && !this.failure && !this.overflowed) {
      const event = this.queue.shift();
      if (event !== undefined) {
        const delivering = this.deliver(event);
        if (delivering !== undefined) await delivering;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
      });
    }
  }
}
