import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { categoryOf, EVENTS_STREAM, Subjects } from '@baton/contracts';
import { EventHeaders } from '@baton/messaging';

/** What the dashboard's pages learn of one domain event: enough to decide whether to redraw. */
export interface LiveEvent {
  readonly type: string;
  readonly streamId: string;
  /** `run`, `task`, `agent`, `handoff`, `escalation`, `conflict`, … */
  readonly category: string;
  /** The run it belongs to (its stream, or the run its command was correlated to); null when none. */
  readonly runId: string | null;
  /** Global position in the event store (`commit/prepare`), for replay links. */
  readonly position: string | null;
}

/** Which events a page wants: some categories, optionally of one run only. */
export interface LiveFilter {
  readonly categories: ReadonlySet<string>;
  readonly runId: string | null;
}

export function matches(filter: LiveFilter, event: LiveEvent): boolean {
  if (filter.categories.size > 0 && !filter.categories.has(event.category)) return false;
  return filter.runId === null || event.runId === filter.runId;
}

type Listener = (event: LiveEvent) => void;

/** The live event of a relayed message's headers (the body is not needed, nor fetched). */
export function liveEventOf(header: (name: string) => string): LiveEvent | undefined {
  const type = header(EventHeaders.eventType);
  const streamId = header(EventHeaders.streamId);
  if (type === '' || streamId === '') return undefined;
  const category = categoryOf(streamId);
  const correlation = header(EventHeaders.correlationId);
  const runId = category === 'run' ? streamId.slice('run-'.length) : correlation !== '' ? correlation : null;
  return { type, streamId, category, runId, position: header(EventHeaders.position) || null };
}

/**
 * Domain events as they are relayed, for this gateway replica's dashboard clients: one ordered
 * JetStream consumer on `baton.evt.>` (ephemeral, headers only, from now on), fanned out in
 * process. Each replica has its own consumer and serves its own clients, so replicas need no
 * coordination, and a replica that stops takes its consumer with it (JetStream removes an
 * inactive ordered consumer by itself). When the stream is not there yet (the gateway started
 * before the services created it), it retries until it is.
 */
export class LiveEvents {
  private readonly listeners = new Set<Listener>();
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
    private readonly retryMs = 2000,
  ) {}

  get clients(): number {
    return this.listeners.size;
  }

  start(): void {
    void this.open();
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    try {
      const consumer = await jetstream(this.nc).consumers.get(EVENTS_STREAM, {
        filter_subjects: [Subjects.allEvents],
        deliver_policy: DeliverPolicy.New,
        headers_only: true,
      });
      const messages = await consumer.consume();
      if (this.stopped) {
        await messages.close();
        return;
      }
      this.messages = messages;
      this.logger.info({ stream: EVENTS_STREAM }, 'dashboard: following the event stream');
      for await (const m of messages) {
        const event = liveEventOf((name) => m.headers?.get(name) ?? '');
        if (event !== undefined) for (const l of this.listeners) l(event);
      }
      // The consumer ended without being stopped (the stream was removed, the connection closed).
      if (!this.stopped) throw new Error('the event stream consumer ended');
    } catch (err) {
      if (this.stopped) return;
      this.logger.warn({ err }, `dashboard: not following ${EVENTS_STREAM}; retrying`);
      this.retry = setTimeout(() => void this.open(), this.retryMs);
    }
  }

  /** Calls `listener` for every event from now on; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.listeners.clear();
    await this.messages?.close().catch(() => undefined);
  }
}
