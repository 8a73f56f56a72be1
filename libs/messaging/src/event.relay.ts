import { BatonError, comparePositions, formatPosition, type Position, type RecordedEvent } from '@baton/contracts';
import type { EventFilter, EventStore, Subscription, SubscriptionFeed } from '@baton/event-store';
import { publishEvent, subjectOfEvent } from './event.publisher';
import type { JetStreamPublish } from './jetstream-publisher';
import { defaultLogger, type MessagingLogger } from './messaging.logger';
import type { CheckpointStore } from './checkpoint.store';
import type { EventInterest } from './relay-interest';

export interface EventRelayOptions {
  /** Checkpoint name, e.g. `relay-agent-registry`. One relay per name at a time. */
  readonly name: string;
  readonly store: EventStore;
  /** Where the relay subscribes: default `store`; a process's shared feed reads the store once for all its subscribers. */
  readonly feed?: SubscriptionFeed;
  /** Where events go: the host's pipelined publisher in services (`ServiceHost.publisher`), or a `JetStreamClient`. */
  readonly js: JetStreamPublish;
  readonly checkpoints: CheckpointStore;
  /** Which events this service publishes (its own categories); default all. */
  readonly filter?: EventFilter;
  /** Save the checkpoint after this many published events. Default 1000. */
  readonly checkpointEvery?: number;
  /** …or after this many milliseconds with unsaved progress. Default 1000. */
  readonly checkpointIntervalMs?: number;
  /** PubAck wait per event. Default 5000. */
  readonly publishTimeoutMs?: number;
  /**
   * Publishes awaiting their PubAck at once (never two of the same stream). Default 256;
   * 1 publishes one event at a time.
   */
  readonly window?: number;
  /** Events read from the store per page. Default 1000. */
  readonly readBatchSize?: number;
  /** Back-off between publish retries while NATS is unavailable: from min, doubling, up to max. Default 100–5000 ms. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly logger?: MessagingLogger;
  /** Injectable clock for the lag figures. */
  readonly now?: () => number;
  /**
   * Publish only the events whose subject this wants (the consumers of the stream, see
   * `StreamInterest`); the others move the checkpoint without a publish. Default: publish all.
   */
  readonly interest?: EventInterest;
  /**
   * Events passed over for want of interest are kept this long (and at most the last 2,000),
   * and published after all when the interest widens to them (a consumer created while they
   * were relayed). Default 10000 ms.
   */
  readonly interestGraceMs?: number;
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
  /** Events passed over because no consumer of the stream reads their subject (`interest`). */
  readonly skipped: number;
  /** Position up to which every event is acked by JetStream (what the checkpoint moves to). */
  readonly lastPosition: Position | undefined;
  /** Last position saved in the checkpoint store. */
  readonly checkpoint: Position | undefined;
  readonly lastPublishedAt: Date | undefined;
  /** Milliseconds since the last publish (since start when nothing was published). */
  readonly msSinceLastPublish: number;
}

/** One event handed to JetStream: acked once its PubAck came back. */
interface InFlight {
  readonly event: RecordedEvent;
  acked: boolean;
  /** Settles (never rejects) once the event is acked, or given up because the relay is stopping. */
  readonly done: Promise<void>;
  readonly settle: () => void;
}

const DEFAULT_WINDOW = 256;
const DEFAULT_READ_BATCH = 1000;
const DEFAULT_CHECKPOINT_EVERY = 1000;
const DEFAULT_INTEREST_GRACE_MS = 10_000;
/** Passed-over events kept for a widening interest, at most (bounds the memory they hold). */
const SKIPPED_KEPT_MAX = 2000;
const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => undefined;

/** An event about to be handed to JetStream. */
function unacked(event: RecordedEvent): InFlight {
  let settle!: () => void;
  const done = new Promise<void>((resolve) => (settle = resolve));
  return { event, acked: false, done, settle };
}

/** An event passed over for want of interest, kept a while in case a consumer appears. */
interface Skipped {
  readonly event: RecordedEvent;
  readonly subject: string;
  readonly at: number;
}

/**
 * Publishes a service's committed events from the event store to JetStream, never as a
 * dual write: it follows the store with a catch-up subscription from a stored checkpoint and
 * publishes each event to `baton.evt.<category>.<event>` with `msgID = eventId`. Publishes are
 * pipelined: up to `window` events await their PubAck together, but never two of the same
 * stream, so a publish that fails and is retried cannot land behind a later event of its
 * stream (per-stream order holds in JetStream). The checkpoint moves only to the last event
 * of the acked prefix of the global order, never past an unacked one. Checkpoint writes are
 * batched (every `checkpointEvery` events or `checkpointIntervalMs`, and always on stop), so
 * after a crash the relay republishes at most the events since the last save and those that
 * were in flight; JetStream drops them by msgID inside its duplicate window, and consumers'
 * inboxes drop anything older.
 * With `interest`, an event no consumer of the stream reads is not published: it moves the
 * checkpoint like a published one (it stays in the store, where replay and audit read it).
 * When a consumer appears, the events passed over in the last `interestGraceMs` that it reads
 * are published then, after any later event of theirs already published.
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
  private readonly windowSize: number;
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private running = false;
  private readonly wakers = new Set<() => void>();
  private flushChain: Promise<void> = Promise.resolve();
  /** Events handed to JetStream and not yet retired, in global order; the head is the oldest unacked. */
  private inFlight: InFlight[] = [];
  private inFlightHead = 0;
  /** The last in-flight event of each stream, so the next one of that stream waits for its ack. */
  private readonly lastOfStream = new Map<string, InFlight>();
  /** Handed over by the subscription, not yet given to the NATS client. */
  private unsent: InFlight[] = [];
  private unsaved = 0;
  private saving = false;
  private startedAt = 0;
  private published = 0;
  private duplicates = 0;
  private skipped = 0;
  /** Passed-over events, oldest first from `skippedHead`. */
  private skippedKept: Skipped[] = [];
  private skippedHead = 0;
  private stopInterest: (() => void) | undefined;
  private lastPosition: Position | undefined;
  private savedPosition: Position | undefined;
  private lastPublishedAt: number | undefined;

  constructor(private readonly options: EventRelayOptions) {
    this.logger = options.logger ?? defaultLogger(`EventRelay:${options.name}`);
    this.now = options.now ?? Date.now;
    for (const [key, v] of [
      ['window', options.window],
      ['readBatchSize', options.readBatchSize],
      ['checkpointEvery', options.checkpointEvery],
    ] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
        throw new BatonError('VALIDATION_FAILED', `EventRelay ${key} must be a whole number >= 1, got ${String(v)}`, { option: key });
      }
    }
    this.windowSize = options.window ?? DEFAULT_WINDOW;
  }

  /** Loads the checkpoint and starts following the store. Resolves once subscribed. */
  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    this.running = true;
    this.startedAt = this.now();
    this.inFlight = [];
    this.inFlightHead = 0;
    this.lastOfStream.clear();
    this.unsent = [];
    this.savedPosition = await this.options.checkpoints.load(this.options.name);
    this.lastPosition = this.savedPosition;
    this.logger.log(`starting after ${this.savedPosition ? formatPosition(this.savedPosition) : 'the start'}`);
    const interest = this.options.interest;
    this.stopInterest = interest?.onWidened(() => this.publishPassedOver(interest));
    this.subscribeFrom(this.savedPosition);
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.options.checkpointIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops following, waits for the publishes in flight, and saves the checkpoint. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.stopInterest?.();
    this.stopInterest = undefined;
    for (const wake of [...this.wakers]) wake();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.subscription?.stop();
    this.subscription = undefined;
    await this.drained();
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
      skipped: this.skipped,
      lastPosition: this.lastPosition,
      checkpoint: this.savedPosition,
      lastPublishedAt: this.lastPublishedAt === undefined ? undefined : new Date(this.lastPublishedAt),
      msSinceLastPublish: this.now() - (this.lastPublishedAt ?? this.startedAt),
    };
  }

  /** Saves the checkpoint now if there is unsaved progress. */
  flush(): Promise<void> {
    // A failed save must not poison the chain: the next flush tries again.
    this.flushChain = this.flushChain
      .catch(() => undefined)
      .then(async () => {
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
    this.subscription = (this.options.feed ?? this.options.store).subscribe({
      from: position ?? 'start',
      ...(this.options.filter ? { filter: this.options.filter } : {}),
      batchSize: this.options.readBatchSize ?? DEFAULT_READ_BATCH,
      onEvent: (event) => this.relay(event),
      onCaughtUp: () => this.logger.log(`caught up at ${this.lastPosition ? formatPosition(this.lastPosition) : 'the start'}`),
      onError: (err) => this.onSubscriptionError(err),
    });
  }

  private onSubscriptionError(err: unknown): void {
    if (this.stopping) return;
    this.logger.error(`store subscription failed: ${(err as Error).message}; resubscribing`);
    // Resubscribe from the acked prefix only once nothing is in flight, so no event is handed out twice at once.
    void Promise.all([this.pause(this.options.retryMaxMs ?? 5000), this.drained()]).then(() => {
      if (!this.stopping) this.subscribeFrom(this.lastPosition);
    });
  }

  /** Resolves once every event handed to JetStream is acked or given up. */
  private async drained(): Promise<void> {
    await Promise.all(this.inFlight.slice(this.inFlightHead).map((e) => e.done));
  }

  /**
   * Hands one event to JetStream and returns as soon as the window has room for the next,
   * so the subscription keeps reading while PubAcks are on their way. An event whose stream
   * has one unacked is sent once that one is acked.
   */
  private async relay(event: RecordedEvent): Promise<void> {
    const stoppingError = () => new BatonError('UNAVAILABLE', 'relay is stopping', undefined, true);
    while (this.inFlight.length - this.inFlightHead >= this.windowSize) {
      if (this.stopping) throw stoppingError();
      await this.inFlight[this.inFlightHead]!.done;
    }
    if (this.stopping) throw stoppingError();
    const interest = this.options.interest;
    if (interest !== undefined) {
      const subject = subjectOfEvent(event);
      if (!interest.wants(subject)) {
        this.passOver(event, subject);
        return;
      }
    }
    const entry = unacked(event);
    const previous = this.lastOfStream.get(event.streamId);
    this.inFlight.push(entry);
    this.lastOfStream.set(event.streamId, entry);
    if (previous && !previous.acked) {
      // Held back until its stream's previous event is acked; other streams go on meanwhile.
      void previous.done.then(() => (previous.acked && !this.stopping ? this.send(entry) : entry.settle()));
    } else {
      this.send(entry);
    }
  }

  /**
   * No consumer reads this event: it takes its place in the global order already acked, so
   * the checkpoint moves past it with its neighbours, and it is kept for a while in case a
   * consumer appears. It is not its stream's last in flight: the next event of its stream
   * still waits for the one before it.
   */
  private passOver(event: RecordedEvent, subject: string): void {
    this.inFlight.push({ event, acked: true, done: RESOLVED, settle: noop });
    this.skipped++;
    const at = this.now();
    this.trimPassedOver(at);
    this.skippedKept.push({ event, subject, at });
    this.retireAcked();
  }

  private trimPassedOver(now: number): void {
    const since = now - (this.options.interestGraceMs ?? DEFAULT_INTEREST_GRACE_MS);
    const kept = this.skippedKept;
    while (this.skippedHead < kept.length && (kept[this.skippedHead]!.at < since || kept.length - this.skippedHead >= SKIPPED_KEPT_MAX)) this.skippedHead++;
    if (this.skippedHead > 4096 || this.skippedHead === kept.length) {
      this.skippedKept = kept.slice(this.skippedHead);
      this.skippedHead = 0;
    }
  }

  /**
   * The interest widened (a consumer appeared): publishes the events passed over in the grace
   * period that are wanted now, in their order, each after its stream's event in flight.
   * Outside the checkpoint (which is past them): a crash meanwhile leaves them unpublished.
   */
  private publishPassedOver(interest: EventInterest): void {
    if (this.stopping) return;
    this.trimPassedOver(this.now());
    const kept: Skipped[] = [];
    const now: Skipped[] = [];
    for (let i = this.skippedHead; i < this.skippedKept.length; i++) {
      const s = this.skippedKept[i]!;
      (interest.wants(s.subject) ? now : kept).push(s);
    }
    this.skippedKept = kept;
    this.skippedHead = 0;
    if (now.length === 0) return;
    this.logger.log(`a consumer appeared: publishing ${now.length} event(s) passed over in the last ${this.options.interestGraceMs ?? DEFAULT_INTEREST_GRACE_MS} ms`);
    for (const { event } of now) {
      const entry = unacked(event);
      const previous = this.lastOfStream.get(event.streamId);
      this.lastOfStream.set(event.streamId, entry);
      const go = (): void => {
        this.publishUntilAcked(entry)
          .then(
            (duplicate) => this.acked(entry, duplicate),
            () => undefined,
          )
          .finally(() => {
            if (this.lastOfStream.get(event.streamId) === entry) this.lastOfStream.delete(event.streamId);
            entry.settle();
          });
      };
      if (previous && !previous.acked) void previous.done.then(go);
      else go();
    }
  }

  /** JetStream acked the entry's event (`duplicate`: it had it already). */
  private acked(entry: InFlight, duplicate: boolean): void {
    entry.acked = true;
    this.published++;
    if (duplicate) this.duplicates++;
    this.lastPublishedAt = this.now();
  }

  private send(entry: InFlight): void {
    this.unsent.push(entry);
    if (this.unsent.length === 1) setImmediate(() => this.sendUnsent());
  }

  /**
   * Publishes everything handed over since the last call in one go: the subscription hands
   * over a page of events in one macrotask, so their publishes leave in one socket write.
   */
  private sendUnsent(): void {
    const batch = this.unsent;
    this.unsent = [];
    for (const entry of batch) {
      this.publishUntilAcked(entry)
        .then(
          (duplicate) => {
            this.acked(entry, duplicate);
            this.retireAcked();
          },
          () => undefined,
        )
        .finally(entry.settle);
    }
  }

  /** Publishes until JetStream acks, backing off while it cannot; rejects only when the relay stops. Resolves with the PubAck's `duplicate`. */
  private async publishUntilAcked(entry: InFlight): Promise<boolean> {
    const { event } = entry;
    let delay = this.options.retryMinMs ?? 100;
    for (;;) {
      try {
        const ack = await publishEvent(this.options.js, event, { timeoutMs: this.options.publishTimeoutMs ?? 5000 });
        return ack.duplicate;
      } catch (err) {
        // Every event in the window fails alike when NATS is away: the oldest one speaks for all.
        if (this.inFlight[this.inFlightHead] === entry) {
          this.logger.warn(`publishing ${event.type} ${event.eventId} failed: ${(err as Error).message}; retrying in ${delay} ms`);
        }
        await this.pause(delay);
        if (this.stopping) throw new BatonError('UNAVAILABLE', 'relay is stopping', undefined, true);
        delay = Math.min(delay * 2, this.options.retryMaxMs ?? 5000);
      }
    }
  }

  /** Moves the position past the acked prefix of the window, and saves it every `checkpointEvery` events. */
  private retireAcked(): void {
    let retired = 0;
    while (this.inFlightHead < this.inFlight.length && this.inFlight[this.inFlightHead]!.acked) {
      const entry = this.inFlight[this.inFlightHead++]!;
      this.lastPosition = entry.event.position;
      if (this.lastOfStream.get(entry.event.streamId) === entry) this.lastOfStream.delete(entry.event.streamId);
      retired++;
    }
    if (retired === 0) return;
    if (this.inFlightHead === this.inFlight.length || this.inFlightHead > 4096) {
      this.inFlight = this.inFlight.slice(this.inFlightHead);
      this.inFlightHead = 0;
    }
    this.unsaved += retired;
    if (this.unsaved >= (this.options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY) && !this.saving) {
      // One save at a time: events acked while it runs go with the next one.
      this.saving = true;
      this.flush()
        .catch((err: unknown) => this.logger.warn(`saving the checkpoint failed: ${(err as Error).message}; retrying with the next one`))
        .finally(() => {
          this.saving = false;
        });
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}
