import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerConfig, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { BatonError, EVENTS_STREAM, RecordedEventSchema, Subjects, decodeJson, type RecordedEvent } from '@baton/contracts';
import { stderrLogger, type AgentLogger } from './activity';

/**
 * Where a new subscription starts in the event stream. Only a new durable uses it: an existing one
 * resumes after the last event it acknowledged, whatever `start` says (and keeps the subjects it
 * was created with: follow other subjects under another durable name).
 * - `all`: from the first event kept; `new`: only events published from now on;
 * - `sequence`: from stream sequence N (the `streamSequence` a handler saw, plus one, to go on from there);
 * - `time`: from the first event stored at or after that time.
 */
export type EventStart =
  | { readonly from: 'all' }
  | { readonly from: 'new' }
  | { readonly from: 'sequence'; readonly sequence: number }
  | { readonly from: 'time'; readonly time: Date | string };

/** Where an event was in the stream and how often it was delivered. */
export interface EventDelivery {
  readonly subject: string;
  readonly streamSequence: number;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
}

/**
 * Event ids already handled. JetStream redelivers an event whose acknowledgement was lost, and a
 * relay may publish an event again after its de-duplication window: both arrive with the same
 * event id. Keep it in your own store (in the same transaction as the handler's effect) to be
 * exact across restarts; {@link memoryDedupe} covers one process.
 */
export interface EventDedupe {
  has(eventId: string): boolean | Promise<boolean>;
  add(eventId: string): void | Promise<void>;
}

/** The last `capacity` event ids in memory (oldest forgotten first). */
export function memoryDedupe(capacity = 10_000): EventDedupe {
  const ids = new Set<string>();
  return {
    has: (id) => ids.has(id),
    add: (id) => {
      ids.add(id);
      if (ids.size > capacity) ids.delete(ids.values().next().value as string);
    },
  };
}

export interface EventSubscriptionOptions {
  /** A connection whose credentials may read the events (and create its consumer). Not closed by `stop`. */
  readonly connection: NatsConnection;
  /** Durable consumer name (letters, digits, dash, underscore): the subscription's position is kept under it. */
  readonly durable: string;
  /** Subjects to follow. Default every event, `baton.evt.>`; e.g. `['baton.evt.task.>', 'baton.evt.handoff.rejected']`. */
  readonly subjects?: readonly string[];
  /** Where a new durable starts. Default `{ from: 'new' }`. */
  readonly start?: EventStart;
  /** Runs once per event, in stream order; throw to have it delivered again after `retryDelayMs` (after the events behind it). */
  readonly handler: (event: RecordedEvent, delivery: EventDelivery) => Promise<void> | void;
  /** Default {@link memoryDedupe}. */
  readonly dedupe?: EventDedupe;
  /** How long the server waits for an acknowledgement before delivering again. Default 30000 ms. */
  readonly ackWaitMs?: number;
  /** Delay before a failed event is delivered again. Default 1000 ms. */
  readonly retryDelayMs?: number;
  readonly logger?: AgentLogger;
}

export interface EventSubscriptionStats {
  /** Events handed to the handler and acknowledged. */
  handled: number;
  /** Deliveries of an event id already handled: acknowledged without calling the handler. */
  duplicates: number;
  /** Handler failures (each delivered again). */
  failures: number;
  /** Highest stream sequence whose acknowledgement the server confirmed, 0 before the first. */
  lastSequence: number;
}

export interface EventSubscription {
  readonly stats: Readonly<EventSubscriptionStats>;
  /** Stops pulling; resolves once the event in hand is settled. The durable keeps the position. */
  stop(): Promise<void>;
}

const DURABLE = /^[A-Za-z0-9_-]{1,200}$/;

function startConfig(start: EventStart): Partial<ConsumerConfig> {
  switch (start.from) {
    case 'all':
      return { deliver_policy: DeliverPolicy.All };
    case 'new':
      return { deliver_policy: DeliverPolicy.New };
    case 'sequence':
      if (!Number.isInteger(start.sequence) || start.sequence < 1) throw new BatonError('VALIDATION_FAILED', `start sequence must be a positive integer, got ${start.sequence}`);
      return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.sequence };
    case 'time': {
      const time = new Date(start.time);
      if (Number.isNaN(time.getTime())) throw new BatonError('VALIDATION_FAILED', `start time "${String(start.time)}" is not a date`);
      return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: time.toISOString() };
    }
    default: {
      const unreachable: never = start;
      throw new BatonError('VALIDATION_FAILED', `unknown start ${JSON.stringify(unreachable)}`);
    }
  }
}

function decodeEvent(m: JsMsg): RecordedEvent {
  const parsed = RecordedEventSchema.safeParse(decodeJson(m.data, Number.MAX_SAFE_INTEGER));
  if (!parsed.success) throw new BatonError('VALIDATION_FAILED', `message #${m.seq} on ${m.subject} is not a recorded event: ${parsed.error.message}`);
  return parsed.data as RecordedEvent;
}

/**
 * Follows Baton's domain events (`baton.evt.>`, or some of them) through a durable JetStream
 * consumer, for clients outside Baton (dashboards, bridges, other agents) granted read access.
 * Each event reaches the handler once: it is acknowledged after the handler returns, a delivery
 * of an event id already handled is acknowledged without calling the handler, and a restart with
 * the same `durable` goes on after the last acknowledged event. A message that is not an event is
 * dropped (terminated) with an error in the log.
 *
 * @example
 * const sub = await subscribeEvents({
 *   connection: nc,
 *   durable: 'dashboard-tasks',
 *   subjects: ['baton.evt.task.>'],
 *   start: { from: 'sequence', sequence: 1 },
 *   handler: (event, { streamSequence }) => console.log(streamSequence, event.type, event.streamId),
 * });
 * // later: await sub.stop();
 */
export async function subscribeEvents(options: EventSubscriptionOptions): Promise<EventSubscription> {
  if (!DURABLE.test(options.durable)) throw new BatonError('VALIDATION_FAILED', `durable "${options.durable}" must be letters, digits, dash or underscore (1-200)`);
  const logger = options.logger ?? stderrLogger(`events:${options.durable}`);
  const subjects = options.subjects && options.subjects.length > 0 ? [...options.subjects] : [Subjects.allEvents];
  const dedupe = options.dedupe ?? memoryDedupe();
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const nc = options.connection;
  // No API check ($JS.API.INFO): a reader's credentials allow only its own consumer (docs/security.md).
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const config: Partial<ConsumerConfig> = {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    ...(subjects.length === 1 ? { filter_subject: subjects[0] } : { filter_subjects: subjects }),
    ...startConfig(options.start ?? { from: 'new' }),
  };
  const exists = await jsm.consumers.info(EVENTS_STREAM, options.durable).then(
    () => true,
    () => false,
  );
  if (!exists) await jsm.consumers.add(EVENTS_STREAM, config);

  const stats: EventSubscriptionStats = { handled: 0, duplicates: 0, failures: 0, lastSequence: 0 };
  const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, options.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 64 });

  // Acknowledgements confirmed by the server (ackAck), not awaited before the next event is
  // handled: a round trip per event held every later one back (three events of one commit
  // waited two round trips). Order of handling is unchanged; one that fails is redelivered and
  // recognised by its event id. stop() waits for those still out.
  const acking = new Set<Promise<void>>();
  const ack = (m: JsMsg): void => {
    const p = m.ackAck().then(
      () => {
        stats.lastSequence = Math.max(stats.lastSequence, m.seq);
      },
      (err: unknown) => logger.warn(`acknowledgement of #${m.seq} failed (${(err as Error).message}); it comes back and is recognised by its event id`),
    );
    acking.add(p);
    void p.finally(() => acking.delete(p));
  };

  const handle = async (m: JsMsg): Promise<void> => {
    let event: RecordedEvent;
    try {
      event = decodeEvent(m);
    } catch (err) {
      logger.error(`${(err as Error).message}; dropped`);
      m.term('not a recorded event');
      return;
    }
    try {
      if (await dedupe.has(event.eventId)) {
        stats.duplicates++;
        ack(m);
        return;
      }
      await options.handler(event, { subject: m.subject, streamSequence: m.seq, deliveryCount: m.info.deliveryCount });
    } catch (err) {
      stats.failures++;
      logger.warn(`event ${event.eventId} (#${m.seq}) failed: ${(err as Error).message}; delivered again in ${retryDelayMs} ms`);
      m.nak(retryDelayMs);
      return;
    }
    stats.handled++;
    try {
      await dedupe.add(event.eventId);
    } catch (err) {
      logger.warn(`event ${event.eventId}: the dedupe store failed (${(err as Error).message})`);
    }
    ack(m);
  };

  const loop = (async () => {
    for await (const m of messages) await handle(m);
  })().catch((err: unknown) => logger.error(`event subscription ended: ${(err as Error).message}`));

  return {
    stats,
    stop: async () => {
      await messages.close().catch(() => undefined);
      await loop;
      await Promise.all([...acking]);
    },
  };
}
