import { nanos } from '@nats-io/transport-node';
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { BatonError, DEAD_LETTER_STREAM, EVENTS_STREAM, Subjects } from '@baton/contracts';

export interface EnsureEventStreamsOptions {
  /** JetStream de-duplication window (by `Nats-Msg-Id`). Default 2 minutes. */
  readonly duplicateWindowMs?: number;
  /** Replicas: 1 for one server, 3 for a cluster. Default: `BATON_STREAM_REPLICAS` ({@link streamReplicasFromEnv}). */
  readonly replicas?: number;
  /** Maximum age of events in the stream; 0 keeps them forever (the store is the source of truth anyway). Default 0. */
  readonly maxAgeMs?: number;
  /** Maximum age of dead letters. Default 30 days. */
  readonly deadLetterMaxAgeMs?: number;
}

export interface EventStreamsInfo {
  readonly events: StreamInfo;
  readonly deadLetters: StreamInfo;
}

const DLQ_SUBJECTS = 'baton.dlq.>';

/** JetStream's own bound on stream replicas. */
const MAX_STREAM_REPLICAS = 5;

/**
 * How many replicas the JetStream streams Baton creates get: `BATON_STREAM_REPLICAS`, 1 (one
 * server) when unset or blank, 3 on a three-node cluster (the Helm chart's `streamReplicas`).
 * Anything but a whole number from 1 to 5 throws a VALIDATION_FAILED error naming the
 * variable, so a service refuses to start rather than create streams with the wrong
 * durability.
 *
 * @example
 * await ensureAgentInboxStream(jsm, { replicas: streamReplicasFromEnv(process.env) });
 */
export function streamReplicasFromEnv(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.BATON_STREAM_REPLICAS?.trim();
  if (raw === undefined || raw === '') return 1;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_STREAM_REPLICAS) {
    throw new BatonError('VALIDATION_FAILED', `BATON_STREAM_REPLICAS: must be a whole number from 1 to ${MAX_STREAM_REPLICAS} (3 on a three-node NATS cluster), got "${raw}"`, {
      variable: 'BATON_STREAM_REPLICAS',
    });
  }
  return n;
}

async function upsert(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<StreamInfo> {
  const existing = await jsm.streams.info(config.name).catch((err: unknown) => {
    if ((err as { name?: string }).name === 'StreamNotFoundError') return undefined;
    throw err;
  });
  if (!existing) {
    try {
      return await jsm.streams.add(config);
    } catch (err) {
      // Another replica created it between our info and add: fall through to update.
      if (!/already in use/i.test((err as Error).message)) throw err;
    }
  }
  const { name, storage: _storage, retention: _retention, ...mutable } = config;
  return jsm.streams.update(name, mutable);
}

/**
 * Creates or updates the two JetStream streams every Baton service relies on:
 * `EVENTS_STREAM` (`baton.evt.>`, file storage, a de-duplication window so a relay that
 * republishes after a crash is harmless) and `DEAD_LETTER_STREAM` (`baton.dlq.>`).
 * Idempotent; call at start-up from every service and relay. Replicas come from
 * `BATON_STREAM_REPLICAS` unless `options.replicas` is given; an existing stream is updated to
 * that count (a single server refuses more than 1).
 *
 * @example
 * await ensureEventStreams(await jetstreamManager(nc));
 */
export async function ensureEventStreams(jsm: JetStreamManager, options: EnsureEventStreamsOptions = {}): Promise<EventStreamsInfo> {
  const replicas = options.replicas ?? streamReplicasFromEnv(process.env);
  const events = await upsert(jsm, {
    name: EVENTS_STREAM,
    subjects: [Subjects.allEvents],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
    max_age: nanos(options.maxAgeMs ?? 0),
    num_replicas: replicas,
  });
  const deadLetters = await upsert(jsm, {
    name: DEAD_LETTER_STREAM,
    subjects: [DLQ_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(120_000),
    max_age: nanos(options.deadLetterMaxAgeMs ?? 30 * 24 * 3600 * 1000),
    num_replicas: replicas,
  });
  return { events, deadLetters };
}
