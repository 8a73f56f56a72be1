import {
  comparePositions,
  GENESIS_HASH,
  WrongExpectedVersionError,
  type EventMetadata,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from '@baton/contracts';
import {
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  NO_STREAM,
  START,
  eventTypeFilter,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type Filter,
  type ReadPosition,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import { actualRevisionText, expectedRevisionText, prepareAppend, satisfiesExpected, validateCount, validateFilter, validateStreamId, validateStreamRead, type PreparedEvent } from '../append-validation';
import { appendInSpan } from '../append-span';
import { EventIntegrityError, EventStoreUnavailableError } from '../errors';
import { eventHash } from '../hash-chain';
import type {
  AppendOptions,
  AppendResult,
  EventFilter,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  SubscribeOptions,
  Subscription,
  VerifyResult,
} from '../port';
import { commandEventId } from './deterministic-id';

export interface KurrentEventStoreOptions {
  /** `kurrentdb://host:2113?tls=false` (or `esdb://…`). The store owns the client it creates. */
  readonly connectionString?: string;
  /** An existing client; the store never disposes it. */
  readonly client?: KurrentDBClient;
  /** How far back (events) to look for an earlier append of the same command or event ids. Default 1000. */
  readonly idempotencyWindow?: number;
  /** Retries of an `'any'`/`'stream_exists'` append that lost a race (the chain must be recomputed). Default 10. */
  readonly maxRetries?: number;
}

/** Metadata key holding Baton's envelope fields inside a KurrentDB event's metadata. */
const BATON_KEY = '_baton';

interface BatonMeta {
  readonly schemaVersion: number;
  readonly prevHash: string;
  readonly hash: string;
}

interface StoredEvent {
  readonly streamId: string;
  readonly id: string;
  readonly type: string;
  readonly revision: bigint;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly position?: { commit: bigint; prepare: bigint };
}

const DEFAULT_READ_ALL_MAX = 1000;

/**
 * Creates a `KurrentEventStore` (EventStoreDB/KurrentDB adapter of the `EventStore` port).
 *
 * @example
 * const store = createKurrentEventStore({ connectionString: 'kurrentdb://127.0.0.1:2113?tls=false' });
 */
export function createKurrentEventStore(options: KurrentEventStoreOptions): KurrentEventStore {
  return new KurrentEventStore(options);
}

/**
 * KurrentDB adapter. The server keeps global order and optimistic concurrency; the hash
 * chain is computed here over canonical JSON and kept in each event's metadata
 * (`_baton: { schemaVersion, prevHash, hash }`); command idempotency uses event ids
 * derived from (stream, command, index), checked here and by the server's own
 * idempotent-append rule.
 */
export class KurrentEventStore implements EventStore {
  private readonly client: KurrentDBClient;
  private readonly ownsClient: boolean;
  private readonly window: number;
  private readonly maxRetries: number;
  private readonly subscriptions = new Set<KurrentSubscription>();

  constructor(options: KurrentEventStoreOptions) {
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else if (options.connectionString) {
      this.client = KurrentDBClient.connectionString(options.connectionString);
      this.ownsClient = true;
    } else {
      throw new EventStoreUnavailableError('createKurrentEventStore needs a connectionString or a client');
    }
    this.window = options.idempotencyWindow ?? 1000;
    this.maxRetries = options.maxRetries ?? 10;
  }

  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return appendInSpan('kurrentdb', streamId, events.length, () => this.appendNow(streamId, events, options));
  }

  private async appendNow(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    const p = prepareAppend(streamId, events, options);
    const commandId = p.commandId;
    const prepared: PreparedEvent[] = commandId
      ? p.events.map((e, i) => (events[i]!.eventId === undefined ? { ...e, eventId: commandEventId(p.streamId, commandId, i) } : e))
      : [...p.events];
    const checkDuplicates = commandId !== undefined || events.some((e) => e.eventId !== undefined);
    for (let attempt = 0; ; attempt++) {
      try {
        if (checkDuplicates) {
          const dup = await this.findEarlierAppend(p.streamId, prepared);
          if (dup) return dup;
        }
        const head = await this.head(p.streamId);
        const current = head ? Number(head.revision) : -1;
        if (!satisfiesExpected(p.expected, current)) {
          throw new WrongExpectedVersionError(p.streamId, expectedRevisionText(p.expected), actualRevisionText(current));
        }
        let prevHash = head ? (batonMeta(head)?.hash ?? GENESIS_HASH) : GENESIS_HASH;
        const data = prepared.map((e, i) => {
          const fields = { streamId: p.streamId, revision: current + 1 + i, eventId: e.eventId, type: e.type, schemaVersion: e.schemaVersion, data: e.data, metadata: e.metadata };
          const hash = eventHash(prevHash, fields);
          const baton: BatonMeta = { schemaVersion: e.schemaVersion, prevHash, hash };
          prevHash = hash;
          return jsonEvent({ id: e.eventId, type: e.type, data: e.data as never, metadata: { ...e.metadata, [BATON_KEY]: baton } as never });
        });
        // Always pin the revision we chained on, whatever the caller expected.
        const result = await this.client.appendToStream(p.streamId, data, { streamState: current < 0 ? NO_STREAM : BigInt(current) });
        const position = result.position ? toPosition(result.position) : { commit: 0, prepare: 0 };
        return {
          streamId: p.streamId,
          firstRevision: current + 1,
          nextExpectedRevision: Number(result.nextExpectedRevision),
          position,
          eventIds: prepared.map((e) => e.eventId),
          duplicate: false,
        };
      } catch (err) {
        if (isKurrentWrongVersion(err)) {
          // Someone appended between our read of the head and our write.
          if ((p.expected === 'any' || p.expected === 'stream_exists') && attempt < this.maxRetries) continue;
          const actual = (err as { actualState?: unknown }).actualState;
          throw new WrongExpectedVersionError(
            p.streamId,
            expectedRevisionText(p.expected),
            typeof actual === 'bigint' ? String(actual) : actual === NO_STREAM ? 'no_stream' : 'unknown',
          );
        }
        throw mapError(err);
      }
    }
  }

  /** The earlier append of these event ids on this stream, if any (retried command or event ids). */
  private async findEarlierAppend(streamId: string, events: readonly PreparedEvent[]): Promise<AppendResult | undefined> {
    const ids = new Set(events.map((e) => e.eventId));
    const found: StoredEvent[] = [];
    for await (const e of this.iterateStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: BigInt(this.window) })) {
      if (ids.has(e.id)) found.push(e);
      if (found.length === ids.size) break;
    }
    if (found.length === 0) return undefined;
    found.sort((a, b) => Number(a.revision - b.revision));
    const last = found[found.length - 1]!;
    return {
      streamId,
      firstRevision: Number(found[0]!.revision),
      nextExpectedRevision: Number(last.revision),
      position: last.position ? toPosition(last.position) : { commit: 0, prepare: 0 },
      eventIds: found.map((e) => e.id),
      duplicate: true,
    };
  }

  private async head(streamId: string): Promise<StoredEvent | undefined> {
    for await (const e of this.iterateStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1n })) return e;
    return undefined;
  }

  private async *iterateStream(
    streamId: string,
    options: { direction: typeof FORWARDS | typeof BACKWARDS; fromRevision: typeof START | typeof END | bigint; maxCount?: bigint },
  ): AsyncGenerator<StoredEvent> {
    try {
      for await (const r of this.client.readStream(streamId, options)) {
        const e = storedOf(r);
        if (e) yield e;
      }
    } catch (err) {
      if ((err as { type?: unknown }).type === 'stream-not-found') return;
      throw mapError(err);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const read = validateStreamRead(streamId, options);
    if (read === undefined) return [];
    const { backwards, from, max } = read;
    const out: RecordedEvent[] = [];
    for await (const e of this.iterateStream(streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: typeof from === 'number' ? BigInt(from) : from === 'start' ? START : END,
      ...(max !== undefined ? { maxCount: BigInt(max) } : {}),
    })) {
      out.push(toRecorded(e, true));
    }
    return out;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const max = validateCount(options.maxCount, 'maxCount') ?? DEFAULT_READ_ALL_MAX;
    const filter = validateFilter(options.filter);
    const out: RecordedEvent[] = [];
    let from: ReadPosition = options.after ? toKurrentPosition(options.after) : START;
    let after = options.after;
    for (;;) {
      let seen = 0;
      try {
        for await (const r of this.client.readAll({ fromPosition: from, maxCount: BigInt(max + 1), direction: FORWARDS, ...serverFilter(filter) })) {
          seen++;
          const e = storedOf(r);
          if (!e?.position) continue;
          const pos = toPosition(e.position);
          if (after && comparePositions(pos, after) <= 0) continue;
          after = pos;
          if (!matches(e, filter)) continue;
          out.push(toRecorded(e, true));
          if (out.length >= max) return out;
        }
      } catch (err) {
        throw mapError(err);
      }
      if (seen < max + 1 || !after) return out;
      from = toKurrentPosition(after);
    }
  }

  subscribe(options: SubscribeOptions): Subscription {
    const filter = validateFilter(options.filter);
    validateCount(options.batchSize, 'batchSize');
    const sub: KurrentSubscription = new KurrentSubscription(this.client, options, filter, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    return sub;
  }

  async verifyStream(streamId: string): Promise<VerifyResult> {
    validateStreamId(streamId);
    let prevHash = GENESIS_HASH;
    let expected = 0;
    for await (const e of this.iterateStream(streamId, { direction: FORWARDS, fromRevision: START })) {
      const revision = Number(e.revision);
      const broken = (reason: string): VerifyResult => ({ ok: false, streamId, events: expected, brokenAt: revision, reason });
      if (revision !== expected) return { ok: false, streamId, events: expected, brokenAt: expected, reason: `revision ${expected} is missing` };
      const meta = batonMeta(e);
      if (!meta) return broken('event has no hash metadata (written outside Baton)');
      if (meta.prevHash !== prevHash) return broken(`prevHash ${meta.prevHash} does not match the hash ${prevHash} of revision ${revision - 1}`);
      const recomputed = hashOf(e, meta, prevHash);
      if (recomputed !== meta.hash) return broken(`stored event does not match its hash: expected ${meta.hash}, recomputed ${recomputed}`);
      prevHash = meta.hash;
      expected++;
    }
    return { ok: true, streamId, events: expected };
  }

  async *listStreams(): AsyncIterable<string> {
    const seen = new Set<string>();
    let from: ReadPosition = START;
    let last: Position | undefined;
    for (;;) {
      let n = 0;
      for await (const r of this.client.readAll({ fromPosition: from, maxCount: 1000n, direction: FORWARDS })) {
        n++;
        const e = r.event;
        if (!e?.position) continue;
        const pos = toPosition(e.position);
        if (last && comparePositions(pos, last) <= 0) continue;
        last = pos;
        if (e.streamId.startsWith('$') || seen.has(e.streamId)) continue;
        seen.add(e.streamId);
        yield e.streamId;
      }
      if (n < 1000 || !last) return;
      from = toKurrentPosition(last);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    if (this.ownsClient) await this.client.dispose();
  }
}

/** A catch-up subscription over `subscribeToAll`, with the handler awaited per event. */
class KurrentSubscription implements Subscription {
  private current: Position | undefined;
  private live = false;
  private stopped = false;
  private readonly sub: AllStreamSubscription;
  private readonly done: Promise<void>;

  constructor(
    client: KurrentDBClient,
    private readonly options: SubscribeOptions,
    private readonly filter: EventFilter | undefined,
    private readonly onStopped: () => void,
  ) {
    const from = options.from;
    this.sub = client.subscribeToAll({
      fromPosition: from === 'start' ? START : from === 'end' ? END : toKurrentPosition(from),
      ...serverFilter(filter),
    });
    this.sub.on('caughtUp', () => {
      if (this.live) return;
      this.live = true;
      options.onCaughtUp?.(this.current);
    });
    this.done = this.run();
  }

  get position(): Position | undefined {
    return this.current;
  }

  get isLive(): boolean {
    return this.live;
  }

  private async run(): Promise<void> {
    const checkpoint = typeof this.options.from === 'object' ? this.options.from : undefined;
    try {
      for await (const r of this.sub) {
        if (this.stopped) break;
        const e = storedOf(r as AllStreamResolvedEvent);
        if (!e?.position || !matches(e, this.filter)) continue;
        const pos = toPosition(e.position);
        if ((this.current ?? checkpoint) && comparePositions(pos, (this.current ?? checkpoint)!) <= 0) continue;
        await this.options.onEvent(toRecorded(e, false));
        this.current = pos;
      }
    } catch (err) {
      if (!this.stopped) this.options.onError?.(mapError(err));
    } finally {
      this.stopped = true;
      await this.sub.unsubscribe().catch(() => undefined);
      this.onStopped();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.sub.unsubscribe().catch(() => undefined);
    await this.done;
  }
}

function storedOf(r: ResolvedEvent | AllStreamResolvedEvent): StoredEvent | undefined {
  const e = r.event;
  if (!e || !e.isJson || e.type.startsWith('$') || e.streamId.startsWith('$')) return undefined;
  return { streamId: e.streamId, id: e.id, type: e.type, revision: e.revision, data: e.data, metadata: e.metadata, ...(e.position ? { position: e.position } : {}) };
}

function batonMeta(e: StoredEvent): BatonMeta | undefined {
  const m = e.metadata as Record<string, unknown> | undefined;
  const b = m?.[BATON_KEY] as Partial<BatonMeta> | undefined;
  if (!b || typeof b.hash !== 'string' || typeof b.prevHash !== 'string') return undefined;
  return { schemaVersion: typeof b.schemaVersion === 'number' ? b.schemaVersion : 1, prevHash: b.prevHash, hash: b.hash };
}

function userMetadata(e: StoredEvent): EventMetadata {
  const { [BATON_KEY]: _omit, ...rest } = (e.metadata ?? {}) as Record<string, unknown>;
  return rest as unknown as EventMetadata;
}

function hashOf(e: StoredEvent, meta: BatonMeta, prevHash: string): string {
  return eventHash(prevHash, {
    streamId: e.streamId,
    revision: Number(e.revision),
    eventId: e.id,
    type: e.type,
    schemaVersion: meta.schemaVersion,
    data: e.data,
    metadata: userMetadata(e),
  });
}

/** Maps a stored event; with `verify`, checks its own hash (the link is checked by verifyStream). */
function toRecorded(e: StoredEvent, verify: boolean): RecordedEvent {
  const meta = batonMeta(e);
  if (!meta) throw new EventIntegrityError(e.streamId, Number(e.revision), 'event has no hash metadata');
  if (verify && hashOf(e, meta, meta.prevHash) !== meta.hash) throw new EventIntegrityError(e.streamId, Number(e.revision), 'stored event does not match its hash');
  return {
    eventId: e.id,
    type: e.type,
    schemaVersion: meta.schemaVersion,
    streamId: e.streamId,
    revision: Number(e.revision),
    position: e.position ? toPosition(e.position) : { commit: 0, prepare: 0 },
    data: e.data,
    metadata: userMetadata(e),
    prevHash: meta.prevHash,
    hash: meta.hash,
  };
}

function toPosition(p: { commit: bigint; prepare: bigint }): Position {
  return { commit: Number(p.commit), prepare: Number(p.prepare) };
}

function toKurrentPosition(p: Position): { commit: bigint; prepare: bigint } {
  return { commit: BigInt(p.commit), prepare: BigInt(p.prepare) };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Server-side filter: categories by stream-name regex, else event types by regex. Both are re-checked locally. */
function serverFilter(filter: EventFilter | undefined): { filter?: Filter } {
  if (filter?.categories) {
    return { filter: streamNameFilter({ regex: `^(?:${filter.categories.map(escapeRegex).join('|')})(?:-|$)` }) };
  }
  if (filter?.eventTypes) return { filter: eventTypeFilter({ regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$` }) };
  return {};
}

function matches(e: StoredEvent, filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.categories) {
    const i = e.streamId.indexOf('-');
    if (!filter.categories.includes(i < 0 ? e.streamId : e.streamId.slice(0, i))) return false;
  }
  return !filter.eventTypes || filter.eventTypes.includes(e.type);
}

function isKurrentWrongVersion(err: unknown): boolean {
  return (err as { type?: unknown }).type === 'wrong-expected-version';
}

function mapError(err: unknown): unknown {
  const type = (err as { type?: unknown }).type;
  if (type === 'unavailable' || type === 'deadline-exceeded' || type === 'timeout' || type === 'not-leader') {
    return new EventStoreUnavailableError(`KurrentDB unavailable: ${(err as Error).message}`, { cause: err });
  }
  return err;
}
