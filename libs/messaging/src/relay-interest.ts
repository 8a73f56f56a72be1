import { BatonError, EVENTS_STREAM } from '@baton/contracts';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { envString, type EnvSource } from '@baton/telemetry';
import { defaultLogger, type MessagingLogger } from './messaging.logger';

/**
 * Does the NATS subject `subject` match the subscription filter `filter`? `*` matches one
 * token, `>` (last token only) one or more.
 *
 * @example
 * subjectMatches('baton.evt.task.>', 'baton.evt.task.assigned') // true
 * subjectMatches('baton.evt.*.created', 'baton.evt.run.completed') // false
 */
export function subjectMatches(filter: string, subject: string): boolean {
  if (filter === subject) return true;
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const token = f[i]!;
    if (token === '>') return i === f.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return f.length === s.length;
}

/** What a relay publishes: `interest`, only events some consumer of the stream reads (the default); `all`, every event. */
export type RelayPublishMode = 'interest' | 'all';

export const RELAY_PUBLISH_MODES: readonly RelayPublishMode[] = ['interest', 'all'];

/** `BATON_RELAY_PUBLISH`: `interest` (default) or `all`; anything else throws an error naming the variable. */
export function relayPublishModeFromEnv(source?: EnvSource): RelayPublishMode {
  const v = envString('BATON_RELAY_PUBLISH', 'interest', source ? { source } : {}).trim().toLowerCase();
  if (v === 'interest' || v === 'all') return v;
  throw new BatonError('VALIDATION_FAILED', `BATON_RELAY_PUBLISH must be one of ${RELAY_PUBLISH_MODES.join(', ')}, got "${v}"`, { variable: 'BATON_RELAY_PUBLISH' });
}

/** Which subjects a relay publishes; `onWidened` listeners hear of every change that adds some. */
export interface EventInterest {
  wants(subject: string): boolean;
  /** Calls `listener` after each change that makes more subjects wanted; returns the unsubscribe. */
  onWidened(listener: () => void): () => void;
}

export interface StreamInterestOptions {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** Default `BATON_EVENTS`. */
  readonly stream?: string;
  /** The consumer list is read again this often besides on each consumer advisory and reconnect (a filter changed in place). Default 60000 ms. */
  readonly refreshMs?: number;
  readonly logger?: MessagingLogger;
}

const DEFAULT_REFRESH_MS = 60_000;

/**
 * The subjects the consumers of a JetStream stream read: the union of their filter subjects
 * (a consumer with none reads everything). Read from the consumer list at start, again on
 * every consumer created or deleted advisory of the stream, after every reconnect (advisories
 * missed meanwhile), and every `refreshMs` (a consumer whose filter was changed in place). While the list is unknown (not read yet, or its read failed)
 * every subject is wanted: the relay never drops an event it cannot tell is unread.
 *
 * @example
 * const interest = new StreamInterest({ nc, jsm });
 * await interest.start();
 * interest.wants('baton.evt.task.created'); // true once some consumer's filter matches it
 */
export class StreamInterest implements EventInterest {
  readonly #stream: string;
  readonly #logger: MessagingLogger;
  readonly #listeners = new Set<() => void>();
  /** The filters, `'all'` when some consumer has none, undefined while unknown. */
  #filters: readonly string[] | 'all' | undefined;
  readonly #cache = new Map<string, boolean>();
  #advisories: Subscription[] = [];
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #failing = false;

  constructor(private readonly options: StreamInterestOptions) {
    this.#stream = options.stream ?? EVENTS_STREAM;
    this.#logger = options.logger ?? defaultLogger(`StreamInterest:${this.#stream}`);
  }

  /** Subscribes to the stream's consumer advisories, then reads the consumer list once. */
  async start(): Promise<void> {
    // Created and deleted only: the other consumer advisories (naks, max deliveries) change no filter.
    this.#advisories = ['CREATED', 'DELETED'].map((kind) =>
      this.options.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.${kind}.${this.#stream}.*`, {
        callback: (err) => {
          if (!err) void this.refresh();
        },
      }),
    );
    void this.#refreshOnReconnect();
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.options.refreshMs ?? DEFAULT_REFRESH_MS);
    this.#timer.unref();
  }

  async #refreshOnReconnect(): Promise<void> {
    for await (const s of this.options.nc.status()) {
      if (this.#stopped) return;
      if (s.type === 'reconnect') void this.refresh();
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const sub of this.#advisories) sub.unsubscribe();
    this.#advisories = [];
  }

  wants(subject: string): boolean {
    const filters = this.#filters;
    if (filters === undefined || filters === 'all') return true;
    let wanted = this.#cache.get(subject);
    if (wanted === undefined) {
      wanted = filters.some((f) => subjectMatches(f, subject));
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(subject, wanted);
    }
    return wanted;
  }

  onWidened(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The filters as last read (`'all'`, or undefined while unknown). */
  get filters(): readonly string[] | 'all' | undefined {
    return this.#filters;
  }

  /** Reads the consumer list now; a call while one is out runs once more after it. */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        await this.#read();
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #read(): Promise<void> {
    let next: readonly string[] | 'all' | undefined;
    try {
      const filters = new Set<string>();
      let all = false;
      for await (const info of this.options.jsm.consumers.list(this.#stream)) {
        const c = info.config;
        const own = [...(c.filter_subjects ?? []), ...(c.filter_subject ? [c.filter_subject] : [])];
        if (own.length === 0) all = true;
        for (const f of own) filters.add(f);
      }
      next = all ? 'all' : [...filters].sort();
      if (this.#failing) this.#logger.log(`consumer list of ${this.#stream} read again: publishing by interest`);
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.#logger.warn(`reading the consumers of ${this.#stream} failed: ${(err as Error).message}; publishing every event until it works`);
      this.#failing = true;
      next = undefined;
    }
    if (this.#stopped) return;
    const before = this.#filters;
    this.#filters = next;
    this.#cache.clear();
    if (widens(before, next)) for (const listener of [...this.#listeners]) listener();
  }
}

/** Does going from `before` to `after` make some subject wanted that was not? (Unknown wants everything.) */
function widens(before: readonly string[] | 'all' | undefined, after: readonly string[] | 'all' | undefined): boolean {
  if (before === undefined || before === 'all') return false;
  if (after === undefined || after === 'all') return true;
  return after.some((f) => !before.includes(f));
}
