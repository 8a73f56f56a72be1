import { SpanKind } from '@opentelemetry/api';
import { headers as natsHeaders, nanos, type MsgHdrs } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import {
  BatonError,
  RecordedEventSchema,
  ValidationError,
  deadLetterSubject,
  decodeJson,
  errorCodeOf,
  type RecordedEvent,
} from '@baton/contracts';
import { BatonAttributes, MessagingAttributes, NATS_SYSTEM, inSpan } from '@baton/telemetry';
import { extractTraceContext } from './trace-context';
import { defaultLogger, type MessagingLogger } from './messaging.logger';
import type { InboxStore } from './inbox.store';

/** Headers added to a dead-lettered copy (the original headers are kept too). */
export const DeadLetterHeaders = {
  errorCode: 'Baton-Dlq-Error-Code',
  error: 'Baton-Dlq-Error',
  consumer: 'Baton-Dlq-Consumer',
  originalStream: 'Baton-Dlq-Original-Stream',
  originalSubject: 'Baton-Dlq-Original-Subject',
  originalSequence: 'Baton-Dlq-Original-Sequence',
  deliveries: 'Baton-Dlq-Deliveries',
} as const;

/** What a handler learns about the delivery besides the event. */
export interface Delivery {
  readonly subject: string;
  readonly streamSequence: number;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  readonly headers: MsgHdrs | undefined;
}

export interface ConsumeDurableOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** JetStream stream, usually `EVENTS_STREAM`. */
  readonly stream: string;
  /** Durable consumer name; also names the dead-letter subject `baton.dlq.<durable>`. */
  readonly durable: string;
  readonly filterSubject?: string;
  /** Several filters (nats-server ≥ 2.10). */
  readonly filterSubjects?: readonly string[];
  /** Runs once per event; throw to have it redelivered after a back-off. */
  readonly handler: (event: RecordedEvent, delivery: Delivery) => Promise<void> | void;
  /** Attempts before a failing event is dead-lettered. Default 5. */
  readonly maxDeliver?: number;
  /** Redelivery delay per attempt (the last entry repeats), or one delay. Default [1000, 5000, 30000]. */
  readonly backoffMs?: number | readonly number[];
  /** Dedupe by event id; strongly recommended (JetStream's own dedupe window is short). */
  readonly inbox?: InboxStore;
  /** How long the server waits for an ack before redelivering. Default 30000 ms; keep above the slowest handler. */
  readonly ackWaitMs?: number;
  /** Where a new consumer starts. Default `all`. */
  readonly deliverPolicy?: 'all' | 'new';
  readonly logger?: MessagingLogger;
}

export interface DurableConsumerStats {
  processed: number;
  duplicates: number;
  failures: number;
  deadLettered: number;
}

export interface DurableConsumer {
  readonly stats: Readonly<DurableConsumerStats>;
  /** Stops pulling; resolves after the message in hand is settled. */
  stop(): Promise<void>;
}

/** Error codes that mean the message itself is bad: retrying cannot help, dead-letter at once. */
const POISON_CODES = new Set(['INVALID_JSON', 'VALIDATION_FAILED', 'UNKNOWN_SCHEMA_VERSION', 'PAYLOAD_TOO_LARGE']);

function oneLine(text: string, max = 1000): string {
  const s = text.replace(/[\r\n]+/g, ' ');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Decodes and validates a JetStream message as a {@link RecordedEvent}; throws a coded BatonError. */
export function decodeRecordedEvent(data: Uint8Array): RecordedEvent {
  const json = decodeJson(data, Number.MAX_SAFE_INTEGER);
  const parsed = RecordedEventSchema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError('message is not a recorded event', {
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
    });
  }
  return parsed.data as RecordedEvent;
}

/**
 * Consumes events from a durable pull consumer with explicit acks:
 * - the handler runs in a CONSUMER span `process <subject>`, a child of the publish that carried
 *   the event (its `traceparent`);
 * - success: the inbox row is written, then the message acked;
 * - failure: `nak(delay)` with back-off, so JetStream redelivers;
 * - poison (after `maxDeliver` attempts, or at once when the message is not a valid event,
 *   or the handler throws VALIDATION_FAILED/INVALID_JSON/UNKNOWN_SCHEMA_VERSION): a copy is
 *   published to `deadLetterSubject(durable)` with headers naming the error and the original
 *   subject and sequence, then the message is `term()`ed;
 * - an event id the inbox has seen is acked without calling the handler.
 * Events are handled one at a time, in stream order.
 *
 * @example
 * const c = await consumeDurable({ js, jsm, stream: EVENTS_STREAM, durable: 'metrics-tasks',
 *   filterSubject: 'baton.evt.task.>', inbox, handler: (e) => project(e) });
 * // on shutdown: await c.stop();
 */
export async function consumeDurable(options: ConsumeDurableOptions): Promise<DurableConsumer> {
  const logger = options.logger ?? defaultLogger(`Consumer:${options.durable}`);
  const maxDeliver = options.maxDeliver ?? 5;
  if (maxDeliver < 1) throw new BatonError('VALIDATION_FAILED', 'maxDeliver must be at least 1');
  const backoff = typeof options.backoffMs === 'number' ? [options.backoffMs] : [...(options.backoffMs ?? [1000, 5000, 30000])];
  const delayFor = (deliveryCount: number): number => backoff[Math.min(deliveryCount - 1, backoff.length - 1)] ?? 1000;

  const filters = options.filterSubjects ?? (options.filterSubject ? [options.filterSubject] : []);
  const config: Partial<ConsumerConfig> = {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: options.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
    // One more than our own limit: if the process dies during the last attempt, the
    // next delivery dead-letters the message instead of the server dropping it silently.
    max_deliver: maxDeliver + 1,
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    ...(filters.length === 1 ? { filter_subject: filters[0] } : filters.length > 1 ? { filter_subjects: [...filters] } : {}),
  };
  try {
    await options.jsm.consumers.add(options.stream, config);
  } catch (err) {
    if (!/already exists|already in use/i.test((err as Error).message)) throw err;
    const { durable_name: _d, deliver_policy: _p, ack_policy: _a, ...mutable } = config;
    await options.jsm.consumers.update(options.stream, options.durable, mutable);
  }

  const stats: DurableConsumerStats = { processed: 0, duplicates: 0, failures: 0, deadLettered: 0 };
  const consumer = await options.js.consumers.get(options.stream, options.durable);
  const messages = await consumer.consume({ max_messages: 64 });

  const deadLetter = async (m: JsMsg, err: unknown): Promise<void> => {
    const code = errorCodeOf(err) ?? 'INTERNAL';
    const h = natsHeaders();
    if (m.headers) {
      for (const [k, values] of m.headers) {
        if (/^nats-/i.test(k)) continue;
        for (const v of values) h.append(k, v);
      }
    }
    h.set(DeadLetterHeaders.errorCode, code);
    h.set(DeadLetterHeaders.error, oneLine(err instanceof Error ? err.message : String(err)));
    h.set(DeadLetterHeaders.consumer, options.durable);
    h.set(DeadLetterHeaders.originalStream, m.info.stream);
    h.set(DeadLetterHeaders.originalSubject, m.subject);
    h.set(DeadLetterHeaders.originalSequence, String(m.seq));
    h.set(DeadLetterHeaders.deliveries, String(m.info.deliveryCount));
    try {
      await options.js.publish(deadLetterSubject(options.durable), m.data, {
        msgID: `${m.info.stream}:${options.durable}:${m.seq}`,
        headers: h,
      });
    } catch (pubErr) {
      logger.error(`could not dead-letter ${m.subject} #${m.seq}: ${(pubErr as Error).message}; will retry`);
      m.nak(delayFor(m.info.deliveryCount));
      return;
    }
    m.term(`dead-lettered: ${code}`);
    stats.deadLettered++;
    logger.warn(`dead-lettered ${m.subject} #${m.seq} after ${m.info.deliveryCount} deliveries: ${code} ${oneLine(String((err as Error)?.message ?? err), 200)}`);
  };

  const handle = async (m: JsMsg): Promise<void> => {
    let event: RecordedEvent;
    try {
      event = decodeRecordedEvent(m.data);
    } catch (err) {
      await deadLetter(m, err);
      return;
    }
    try {
      if (options.inbox && (await options.inbox.seenBefore(options.durable, event.eventId))) {
        stats.duplicates++;
        m.ack();
        return;
      }
    } catch (err) {
      logger.error(`inbox lookup failed for ${event.eventId}: ${(err as Error).message}`);
      m.nak(delayFor(m.info.deliveryCount));
      return;
    }
    const delivery: Delivery = { subject: m.subject, streamSequence: m.seq, deliveryCount: m.info.deliveryCount, headers: m.headers };
    try {
      await inSpan(
        `process ${m.subject}`,
        {
          kind: SpanKind.CONSUMER,
          parent: extractTraceContext(m.headers),
          attributes: () => ({
            [MessagingAttributes.system]: NATS_SYSTEM,
            [MessagingAttributes.operationType]: 'process',
            [MessagingAttributes.destinationName]: m.subject,
            [MessagingAttributes.consumerGroup]: options.durable,
            [MessagingAttributes.messageId]: event.eventId,
            [MessagingAttributes.bodySize]: m.data.byteLength,
            [BatonAttributes.eventType]: event.type,
            [BatonAttributes.streamId]: event.streamId,
            'messaging.nats.delivery_count': m.info.deliveryCount,
          }),
        },
        () => options.handler(event, delivery),
      );
    } catch (err) {
      stats.failures++;
      const code = errorCodeOf(err);
      if ((code && POISON_CODES.has(code)) || m.info.deliveryCount >= maxDeliver) {
        await deadLetter(m, err);
      } else {
        logger.warn(`handler failed on ${event.type} ${event.eventId} (attempt ${m.info.deliveryCount}/${maxDeliver}): ${(err as Error).message}`);
        m.nak(delayFor(m.info.deliveryCount));
      }
      return;
    }
    try {
      if (options.inbox) await options.inbox.markProcessed(options.durable, event.eventId);
    } catch (err) {
      logger.error(`inbox write failed for ${event.eventId}: ${(err as Error).message}`);
      m.nak(delayFor(m.info.deliveryCount));
      return;
    }
    m.ack();
    stats.processed++;
  };

  const loop = (async () => {
    for await (const m of messages) {
      try {
        await handle(m);
      } catch (err) {
        logger.error(`unexpected error on ${m.subject} #${m.seq}: ${(err as Error).message}`);
        m.nak(delayFor(m.info.deliveryCount));
      }
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    stats,
    stop() {
      stopping ??= (async () => {
        await messages.close();
        await loop;
      })();
      return stopping;
    },
  };
}
