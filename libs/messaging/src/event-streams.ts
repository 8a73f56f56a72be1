import { nanos } from '@nats-io/transport-node';
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { DEAD_LETTER_STREAM, EVENTS_STREAM, Subjects } from '@baton/contracts';

export interface EnsureEventStreamsOptions {
  /** JetStream de-duplication window (by `Nats-Msg-Id`). Default 2 minutes. */
  readonly duplicateWindowMs?: number;
  /** Replicas: 1 for one server, 3 for a cluster. Default 1. */
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
 * Idempotent; call at start-up from every service and relay.
 *
 * @example
 * await ensureEventStreams(await jetstreamManager(nc));
 */
export async function ensureEventStreams(jsm: JetStreamManager, options: EnsureEventStreamsOptions = {}): Promise<EventStreamsInfo> {
  const replicas = options.replicas ?? 1;
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
