import type { JetStreamClient } from '@nats-io/jetstream';
import { BatonError, comparePositions, formatPosition, type Position, type RecordedEvent } from '@baton/contracts';
import type { EventFilter, EventStore, Subscription } from '@baton/event-store';
import { publishEvent } from './event.publisher';
import { defaultLogger, type MessagingLogger } from './messaging.logger';
import type { CheckpointStore } from './checkpoint.store';

export interface EventRelayOptions {
  /** Checkpoint name, e.g. `relay-agent-registry`. One relay per name at a time. */
  readonly name: string;
  readonly store: EventStore;
  readonly js: JetStreamClient;
  readonly checkpoints: CheckpointStore;
  /** Which events this service publishes (its own categories); default all. */
  readonly filter?: EventFilter;
  /** Save the checkpoint after this many published events. Default 100. */
  readonly checkpointEvery?: number;
  /** …or after this many milliseconds with unsaved progress. Default 1000. */
  readonly checkpointIntervalMs?: number;
  /** PubAck wait per event. Default 5000. */
  readonly publishTimeoutMs?: number;
  /** Back-off between publish retries while NATS is unavailable: from min, doubling, up to max. Default 100–5000 ms. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly logger?: MessagingLogger;
  /** Injectable clock for the lag figures. */
  readonly now?: () => number;
}

/** How far the relay has got, for health checks and metrics. */
export interface RelayLag {
  readonly name: string;
  readonly running: boolean;
  /** True once the relay has published all history and follows live appends. */
  readonly live: boolean;
  /** Events published (acked by JetStream) since start, duplicates included. */
  readonly published: number;
  /** Of those, how many JetStream reported as duplicates (republished after a restart). */
  readonly duplicates: number;
  /** Position of the last event acked by JetStream. */
  readonly lastPosition: Position | undefined;
  /** Last position saved in the checkpoint store. */
  readonly checkpoint: Position | undefined;
  readonly lastPublishedAt: Date | undefined;
  /** Milliseconds since the last publish (since start when nothing was published). */
  readonly msSinceLastPublish: number;
}

/**
 * Publishes a service's committed events from the event store to JetStream, never as a
 * dual write: it follows the store with a catch-up subscription from a stored checkpoint,
 * publishes each event to `baton.evt.<category>.<event>` with `msgID = eventId`, waits for
 * the PubAck, and only then counts the event as done. Checkpoint writes are batched (every
 * `checkpointEvery` events or `checkpointIntervalMs`, and always on stop), so after a crash
 * the relay republishes at most the events since the last save; JetStream drops them by
 * msgID inside its duplicate window, and consumers' inboxes drop anything older.
 * Run one relay per name at a time (hold a lease when a service has several replicas).
 *
 * @example
 * const relay = new EventRelay({ name: 'relay-agent-registry', store, js, checkpoints,
 *   filter: { categories: ['agent'] } });
 * await relay.start();
 * // on shutdown: await relay.stop();
 */
export class EventRelay {
  private readonly logger: MessagingLogger;
  private readonly now: () => number;
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private running = false;
  private wake: (() => void) | undefined;
  private flushChain: Promise<void> = Promise.resolve();
  private unsaved = 0;
  private startedAt = 0;
  private published = 0;
  private duplicates = 0;
  private lastPosition: Position | undefined;
  private savedPosition: Position | undefined;
  private lastPublishedAt: number | undefined;

  constructor(private readonly options: EventRelayOptions) {
    this.logger = options.logger ?? defaultLogger(`EventRelay:${options.name}`);
    this.now = options.now ?? Date.now;
  }

  /** Loads the checkpoint and starts following the store. Resolves once subscribed. */
  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    this.running = true;
    this.startedAt = this.now();
    this.savedPosition = await this.options.checkpoints.load(this.options.name);
    this.lastPosition = this.savedPosition;
    this.logger.log(`starting after ${this.savedPosition ? formatPosition(this.savedPosition) : 'the start'}`);
    this.subscribeFrom(this.savedPosition);
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.options.checkpointIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops following, waits for the event in hand, and saves the checkpoint. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.wake?.();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.subscription?.stop();
    this.subscription = undefined;
    await this.flush();
    this.running = false;
  }

  /** Progress figures: events published, last position, time since the last publish. */
  lag(): RelayLag {
    return {
      name: this.options.name,
      running: this.running,
      live: this.subscription?.isLive ?? false,
      published: this.published,
      duplicates: this.duplicates,
      lastPosition: this.lastPosition,
      checkpoint: this.savedPosition,
      lastPublishedAt: this.lastPublishedAt === undefined ? undefined : new Date(this.lastPublishedAt),
      msSinceLastPublish: this.now() - (this.lastPublishedAt ?? this.startedAt),
    };
  }

  /** Saves the checkpoint now if there is unsaved progress. */
  flush(): Promise<void> {
    this.flushChain = this.flushChain.then(async () => {
      const pos = this.lastPosition;
      if (!pos || (this.savedPosition && comparePositions(pos, this.savedPosition) <= 0)) return;
      const unsaved = this.unsaved;
      await this.options.checkpoints.save(this.options.name, pos);
      this.savedPosition = pos;
      this.unsaved = Math.max(0, this.unsaved - unsaved);
    });
    return this.flushChain;
  }

  private subscribeFrom(position: Position | undefined): void {
    this.subscription = this.options.store.subscribe({
      from: position ?? 'start',
      ...(this.options.filter ? { filter: this.options.filter } : {}),
      onEvent: (event) => this.relay(event),
      onCaughtUp: () => this.logger.log(`caught up at ${this.lastPosition ? formatPosition(this.lastPosition) : 'the start'}`),
      onError: (err) => this.onSubscriptionError(err),
    });
  }

  private onSubscriptionError(err: unknown): void {
    if (this.stopping) return;
    this.logger.error(`store subscription failed: ${(err as Error).message}; resubscribing`);
    void this.pause(this.options.retryMaxMs ?? 5000).then(() => {
      if (!this.stopping) this.subscribeFrom(this.lastPosition);
    });
  }

  private async relay(event: RecordedEvent): Promise<void> {
    let delay = this.options.retryMinMs ?? 100;
    for (;;) {
      if (this.stopping) throw new BatonError('UNAVAILABLE', 'relay is stopping', undefined, true);
      try {
        const ack = await publishEvent(this.options.js, event, { timeoutMs: this.options.publishTimeoutMs ?? 5000 });
        if (ack.duplicate) this.duplicates++;
        break;
      } catch (err) {
        this.logger.warn(`publishing ${event.type} ${event.eventId} failed: ${(err as Error).message}; retrying in ${delay} ms`);
        await this.pause(delay);
        delay = Math.min(delay * 2, this.options.retryMaxMs ?? 5000);
      }
    }
    this.published++;
    this.lastPosition = event.position;
    this.lastPublishedAt = this.now();
    this.unsaved++;
    if (this.unsaved >= (this.options.checkpointEvery ?? 100)) await this.flush();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
