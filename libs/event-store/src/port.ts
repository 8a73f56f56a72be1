import type { NewEvent, Position, RecordedEvent } from '@baton/contracts';

/**
 * What the caller expects of the stream before an append:
 * - `'any'`: no check;
 * - `'no_stream'`: the stream must not exist yet;
 * - `'stream_exists'`: the stream must have at least one event;
 * - a number: the revision of the stream's last event must equal it.
 * A mismatch throws `WrongExpectedVersionError` (code WRONG_EXPECTED_VERSION) and appends nothing.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

export interface AppendOptions {
  readonly expectedRevision?: ExpectedRevision;
  /**
   * Idempotency key of the command that produced these events. Appending again with the
   * same command id on the same stream appends nothing and returns the first result, for
   * as long as the stream lives.
   */
  readonly commandId?: string;
}

export interface AppendResult {
  readonly streamId: string;
  /** Revision of the first appended event. */
  readonly firstRevision: number;
  /** Revision of the stream's last event after the append: the next expected revision. */
  readonly nextExpectedRevision: number;
  /** Global position of the last appended event. */
  readonly position: Position;
  readonly eventIds: readonly string[];
  /** True when nothing was appended because the command id or event ids were seen before. */
  readonly duplicate: boolean;
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /**
   * First revision to read (inclusive). Default: start when forwards, end when backwards.
   * Forwards from `'end'` and backwards from `'start'` read nothing.
   */
  readonly fromRevision?: number | 'start' | 'end';
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Default: the start. */
  readonly after?: Position;
  /** At most this many events (default 1000 in both adapters); page with `after`. */
  readonly maxCount?: number;
  readonly filter?: EventFilter;
}

export interface EventFilter {
  /** Stream categories (the part of the stream id before the first dash). */
  readonly categories?: readonly string[];
  readonly eventTypes?: readonly string[];
}

export interface SubscribeOptions {
  /** Exclusive checkpoint: deliver events strictly after it. `'start'` = everything, `'end'` = only new events. */
  readonly from: Position | 'start' | 'end';
  readonly filter?: EventFilter;
  /**
   * Called once per event, in global order. The next event is not delivered until the
   * returned promise settles; a rejection stops the subscription and is reported to `onError`.
   */
  readonly onEvent: (event: RecordedEvent) => Promise<void> | void;
  /** Called when the subscription has delivered all history and is now live. */
  readonly onCaughtUp?: (position: Position | undefined) => void;
  readonly onError?: (error: unknown) => void;
  /** Events fetched per read while catching up. */
  readonly batchSize?: number;
}

export interface Subscription {
  /** Position of the last event delivered, or undefined when none has been. */
  readonly position: Position | undefined;
  /** True once history has been delivered. */
  readonly isLive: boolean;
  /** Stops delivery; resolves when the handler in flight, if any, has finished. */
  stop(): Promise<void>;
}

export type VerifyResult =
  | { readonly ok: true; readonly streamId: string; readonly events: number }
  | {
      readonly ok: false;
      readonly streamId: string;
      readonly events: number;
      /** Revision of the first event whose hash or link does not match. */
      readonly brokenAt: number;
      readonly reason: string;
    };

/**
 * The event store port. The single source of truth of every Baton service. Adapters:
 * `PostgresEventStore` (the local default) and `KurrentEventStore` (EventStoreDB/KurrentDB).
 *
 * @example
 * const r = await store.append('agent-7', [{ type: 'AgentRegistered', data, metadata: { occurredAt } }], {
 *   expectedRevision: 'no_stream', commandId,
 * });
 */
/** One append of {@link EventStore.appendTogether}. */
export interface TogetherAppend {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly options?: AppendOptions;
}

export interface EventStore {
  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * Appends to several streams in one commit: all or none. A shortcut, not a guarantee: it
   * answers undefined when it did not write (Postgres: a stream head not cached in this
   * process, a head that moved, a stream with an append out, a command or event id stored
   * already, the database gone), and the caller then appends one after the other as usual,
   * which answers each of those cases. Absent on stores that cannot (KurrentDB here).
   */
  appendTogether?(appends: readonly TogetherAppend[]): Promise<AppendResult[] | undefined>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Catch-up subscription: history from the checkpoint, then live, with no gap and no duplicate. */
  subscribe(options: SubscribeOptions): Subscription;
  /** Recomputes the stream's hash chain and names the first broken link. */
  verifyStream(streamId: string): Promise<VerifyResult>;
  /** Every stream id, for `baton audit verify`. */
  listStreams(): AsyncIterable<string>;
  close(): Promise<void>;
}
