import { BatonError, comparePositions, type Position, type RecordedEvent } from '@baton/contracts';
import type { EventStore, Subscription, SubscriptionFeed } from '@baton/event-store';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Pool } from 'pg';
import { DeferredWriteSession, sqlLiteral } from './deferred-writes';
import { sqlTable } from './literal-sql';
import { poolOf } from './kysely';
import { assertSchemaName, ensureSchema } from './migrations';
import { ageMs, isAfterCheckpoint, laterOf, positionFromColumns, type ProjectionFilter } from './projection-checkpoint';

/** Options of a {@link ProjectionRunner}. */
export interface ProjectionRunnerOptions<DB> {
  /** Unique per schema; the key of the checkpoint row, e.g. `agents`. */
  readonly name: string;
  /** The service schema holding the read model and `projection_checkpoints`. */
  readonly schema: string;
  readonly db: Kysely<DB>;
  readonly store: EventStore;
  /** Where the runner subscribes: default `store`; a process's shared feed reads the store once for all its subscribers. */
  readonly feed?: SubscriptionFeed;
  readonly filter?: ProjectionFilter;
  /** Applies one event to the read model, inside the transaction that also moves the checkpoint. */
  readonly apply?: (trx: Transaction<DB>, event: RecordedEvent) => Promise<void>;
  /**
   * Instead of `apply`: applies the events of one transaction together (in order, none at or
   * before the checkpoint), so a projection can write a page with a few multi-row statements
   * instead of a few statements per event. Exactly one of `apply` and `applyBatch` is given.
   */
  readonly applyBatch?: (trx: Transaction<DB>, events: readonly RecordedEvent[]) => Promise<void>;
  /**
   * Hold the statements of a transaction that only write (INSERT, UPDATE, DELETE without
   * RETURNING) and send them with its next read or its COMMIT, as one text of several
   * statements (see deferred-writes.ts): a batch whose `apply` reads nothing is one round trip
   * (BEGIN, the checkpoint's move, the writes, COMMIT), each read one more. `apply` must not look
   * at its writes' results (they carry no `numAffectedRows`). `'after-checkpoint'`: BEGIN and
   * the checkpoint's move go before `apply` runs, as without this option, so replicas take
   * turns before `apply` acts outside the transaction (a process manager's commands); only
   * the writes wait for COMMIT. Used only with a `db` made by `createKysely` (see `poolOf`).
   */
  readonly deferWrites?: boolean | 'after-checkpoint';
  /** Empties the read model, before a rebuild replays the store from the start. */
  readonly reset: (trx: Transaction<DB>) => Promise<void>;
  /** The clock; default the system clock. */
  readonly now?: () => Date;
  /** Events per store read while catching up (default 500). */
  readonly batchSize?: number;
  /**
   * Most events applied in one transaction (default 200). Events the subscription has handed
   * over are buffered and applied together when the buffer is full or the subscription is idle
   * (the end of a page, or a live event), with one checkpoint read and update per transaction.
   */
  readonly applyBatchSize?: number;
  /**
   * Least time between the starts of two transactions while events keep coming, in ms (default
   * 0). Under load a transaction then applies what arrived over that interval, instead of one
   * transaction per commit the store's feed brings; after a quiet spell an event is applied at
   * once. The read model may lag this much behind under load; a full buffer is applied at once.
   */
  readonly minApplyIntervalMs?: number;
  /**
   * Tells the events `apply` would do nothing for: no statement, no command, no effect outside
   * (a process manager's events of tasks it does not track, a read model's events that change
   * none of its rows). A batch of only these takes no transaction: the checkpoint moves in
   * memory (`onApplied` is called as for a transaction), and the stored one follows with the
   * next transaction, or `inertStoreMs` later when none comes. They are not applied again in
   * this process; after a restart the ones not stored yet are, so they must be no-ops. May
   * read the caller's memory, as long as `apply` would find the same in it.
   */
  readonly inert?: (event: RecordedEvent) => boolean;
  /** With `inert`: how long the stored checkpoint may stay behind inert events with no transaction to carry it, in ms (default 1000). */
  readonly inertStoreMs?: number;
  /**
   * Called after each committed transaction with the events it covered, in order (including
   * any skipped as already applied). For wake-ups; must not throw (errors are ignored).
   */
  readonly onApplied?: (events: readonly RecordedEvent[]) => void;
  /** Delay before the runner resubscribes after a failure (default 1000 ms). */
  readonly retryDelayMs?: number;
  /** Told about every failure (the runner then retries from its stored checkpoint). */
  readonly onError?: (error: unknown) => void;
}

/** How far a projection is behind the store. */
export interface ProjectionLag {
  readonly name: string;
  /** Position of the last applied event; undefined when none has been applied. */
  readonly checkpoint: Position | undefined;
  /** Events in the store after the checkpoint that match the filter. */
  readonly eventsBehind: number;
  /** `occurredAt` of the last applied event. */
  readonly lastEventAt: string | undefined;
  /** Now minus `lastEventAt`, in milliseconds. */
  readonly lastEventAgeMs: number | undefined;
  /** True once the subscription has delivered all history and is following live events. */
  readonly live: boolean;
  readonly state: ProjectionState;
}

export type ProjectionState = 'stopped' | 'running' | 'failed';

const SCAN_PAGE = 1000;
const DEFAULT_APPLY_BATCH = 200;

/** SQLSTATE of a division by zero: the checkpoint's move found the row moved (see #applyInTransaction). */
const DIVISION_BY_ZERO = '22012';

/** Thrown inside a batch's transaction when the stored checkpoint is not the one expected (another replica moved it). */
const CHECKPOINT_MOVED = new Error('the stored checkpoint moved');
/** Times a batch is retried after finding the checkpoint moved (each time against the checkpoint read anew). */
const MOVED_RETRIES = 3;

/** Thrown from `onEvent` after a batch failed, so the subscription stops delivering; not reported. */
const BROKEN = new Error('projection batch failed; waiting to resubscribe from the checkpoint');

/**
 * Keeps one read model in step with the event store. Events are applied in Postgres
 * transactions (a batch of up to `applyBatchSize` while catching up, usually one when live)
 * that also advance the checkpoint row in `<schema>.projection_checkpoints`, after locking that
 * row and skipping anything at or before it; so each event changes the read model exactly
 * once, across restarts and redeliveries. When a batch fails it is rolled back and its events
 * are retried one per transaction, so the events before a poison event are applied and the
 * runner then fails (and resubscribes from its checkpoint after `retryDelayMs`) at that event.
 *
 * @example
 * const runner = new ProjectionRunner({
 *   name: 'agents', schema: 'agent_registry', db, store,
 *   filter: { categories: ['agent'] },
 *   apply: (trx, e) => applyAgentEvent(trx, e),
 *   reset: (trx) => trx.deleteFrom('agent_registry.agents').execute().then(() => undefined),
 * });
 * await runner.start();
 * await runner.waitUntilCaughtUp();
 */
export class ProjectionRunner<DB> {
  readonly name: string;
  readonly schema: string;
  readonly #o: ProjectionRunnerOptions<DB>;
  readonly #now: () => Date;
  #state: ProjectionState = 'stopped';
  #subscription: Subscription | undefined;
  #generation = 0;
  #checkpoint: Position | undefined;
  /** The checkpoint as stored, as this process last wrote or read it: what a batch expects to move on from. */
  #stored: Position | undefined;
  #live = false;
  #lastError: unknown;
  #retryTimer: NodeJS.Timeout | undefined;
  #starting: Promise<void> | undefined;
  readonly #listeners = new Set<() => void>();
  /** Delivered by the subscription of the current generation, not yet applied. */
  #buffer: RecordedEvent[] = [];
  /** The drain of {@link #buffer} in flight, if any (one at a time). */
  #flushing: Promise<void> | undefined;
  /** When the last transaction started (performance.now()), for `minApplyIntervalMs`. */
  #lastDrainAt = Number.NEGATIVE_INFINITY;
  /** Generation a flush is scheduled for (on the next turn of the event loop), if any. */
  #flushScheduledFor: number | undefined;
  /** Generation whose batch (or subscription) failed: nothing more is applied until it resubscribes. */
  #broken: number | undefined;
  /** Inert events (see `inert`) applied in memory past {@link #stored}: the last of them and how many. */
  #inert: { readonly last: RecordedEvent; readonly count: number } | undefined;
  /** The timer that stores {@link #inert} when no transaction carried it. */
  #inertTimer: NodeJS.Timeout | undefined;
  /** The checkpoint table and this runner's name as SQL text, for the statement that moves the checkpoint (built per batch without Kysely). */
  readonly #checkpointTable: string;
  readonly #nameLiteral: string;
  /** With `deferWrites`: the pool and the session its transactions run in (one at a time, as batches are applied). */
  readonly #deferred: { readonly pool: Pool; readonly session: DeferredWriteSession<DB>; readonly checkpointFirst: boolean } | undefined;

  constructor(options: ProjectionRunnerOptions<DB>) {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(options.name)) {
      throw new BatonError('VALIDATION_FAILED', `invalid projection name "${options.name}"`);
    }
    if ((options.apply === undefined) === (options.applyBatch === undefined)) {
      throw new BatonError('VALIDATION_FAILED', `projection "${options.name}" needs exactly one of apply and applyBatch`);
    }
    this.name = options.name;
    this.schema = assertSchemaName(options.schema);
    this.#checkpointTable = sqlTable(`${this.schema}.projection_checkpoints`);
    this.#nameLiteral = sqlLiteral(this.name);
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    const pool = options.deferWrites ? poolOf(options.db) : undefined;
    this.#deferred = pool === undefined ? undefined : { pool, session: new DeferredWriteSession<DB>(), checkpointFirst: options.deferWrites === 'after-checkpoint' };
  }

  get state(): ProjectionState {
    return this.#state;
  }

  /** True once history has been applied and the runner follows live events. */
  get isLive(): boolean {
    return this.#state === 'running' && this.#live;
  }

  /** Position of the last event applied by this process (or loaded from the checkpoint at start). */
  get checkpoint(): Position | undefined {
    return this.#checkpoint;
  }

  get lastError(): unknown {
    return this.#lastError;
  }

  /** Creates the checkpoint table if needed and subscribes from the stored checkpoint. Idempotent. */
  async start(): Promise<void> {
    // 'failed' retries on its own timer; 'running' has nothing to do.
    if (this.#state !== 'stopped') return;
    if (this.#starting) return this.#starting;
    const generation = this.#generation;
    this.#starting = (async () => {
      await this.#ensureCheckpointRow();
      await this.#subscribeFromStoredCheckpoint(generation);
    })().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  /** Stops delivery; resolves when the event in flight, if any, is committed or rolled back. */
  async stop(): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => undefined);
    this.#generation++;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#inertTimer) clearTimeout(this.#inertTimer);
    this.#inertTimer = undefined;
    const sub = this.#subscription;
    this.#subscription = undefined;
    this.#state = 'stopped';
    this.#live = false;
    if (sub) await sub.stop();
    await this.#settleFlush();
    this.#notify();
  }

  /**
   * Drops and rebuilds the read model: stops, then in one transaction calls `reset` and
   * clears the checkpoint, then replays the store from the start.
   */
  async rebuild(): Promise<void> {
    await this.stop();
    await this.#ensureCheckpointRow();
    await this.#o.db.transaction().execute(async (trx) => {
      await sql`SELECT 1 FROM ${this.#table()} WHERE name = ${this.name} FOR UPDATE`.execute(trx);
      await this.#o.reset(trx);
      await sql`
        UPDATE ${this.#table()}
           SET commit_position = NULL, prepare_position = NULL, last_event_id = NULL, last_event_at = NULL,
               events_applied = 0, updated_at = ${this.#now().toISOString()}
         WHERE name = ${this.name}`.execute(trx);
    });
    this.#checkpoint = undefined;
    this.#stored = undefined;
    this.#inert = undefined;
    await this.start();
  }

  /** Reads the stored checkpoint and counts matching events after it in the store. */
  async lag(): Promise<ProjectionLag> {
    const row = await this.#readCheckpointRow();
    const checkpoint = row?.checkpoint;
    const { count } = await this.#scanAfter(checkpoint);
    const lastEventAt = row?.lastEventAt;
    return {
      name: this.name,
      checkpoint,
      eventsBehind: count,
      lastEventAt,
      lastEventAgeMs: ageMs(this.#now(), lastEventAt),
      live: this.isLive,
      state: this.#state,
    };
  }

  /**
   * Resolves when the subscription is live and every event that matched the filter and was
   * readable when this was called has been applied; with `until`, also that position (pass an
   * `AppendResult.position` to read your own write: a store may hold back a just-committed
   * event while older transactions are still open). Rejects with TIMEOUT (naming the last
   * failure, if any) after `timeoutMs` (default 30 s).
   */
  async waitUntilCaughtUp(options: { readonly timeoutMs?: number; readonly until?: Position } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const { last: head } = await this.#scanAfter(this.#checkpoint);
    const target = laterOf(head, options.until);
    const reached = (): boolean =>
      this.isLive && (target === undefined || (this.#checkpoint !== undefined && comparePositions(this.#checkpoint, target) >= 0));
    if (reached()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listeners.delete(listener);
        const last = this.#lastError instanceof Error ? `; last error: ${this.#lastError.message}` : '';
        reject(
          new BatonError('TIMEOUT', `projection ${this.name} did not catch up within ${timeoutMs} ms (state ${this.#state})${last}`, {
            projection: this.name,
            target,
            checkpoint: this.#checkpoint,
          }),
        );
      }, timeoutMs);
      const listener = (): void => {
        if (!reached()) return;
        clearTimeout(timer);
        this.#listeners.delete(listener);
        resolve();
      };
      this.#listeners.add(listener);
    });
  }

  #table() {
    return sql.id(this.schema, 'projection_checkpoints');
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }

  async #ensureCheckpointRow(): Promise<void> {
    await ensureSchema(this.#o.db as Kysely<unknown>, this.schema);
    await this.#o.db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`baton.checkpoints.${this.schema}`}))`.execute(trx);
      await sql`
        CREATE TABLE IF NOT EXISTS ${this.#table()} (
          name text PRIMARY KEY,
          commit_position bigint,
          prepare_position bigint,
          last_event_id text,
          last_event_at timestamptz,
          events_applied bigint NOT NULL DEFAULT 0,
          updated_at timestamptz NOT NULL
        )`.execute(trx);
      await sql`
        INSERT INTO ${this.#table()} (name, updated_at) VALUES (${this.name}, ${this.#now().toISOString()})
        ON CONFLICT (name) DO NOTHING`.execute(trx);
    });
  }

  async #readCheckpointRow(): Promise<{ checkpoint: Position | undefined; lastEventAt: string | undefined } | undefined> {
    const { rows } = await sql<{ commit_position: string | null; prepare_position: string | null; last_event_at: Date | null }>`
      SELECT commit_position, prepare_position, last_event_at FROM ${this.#table()} WHERE name = ${this.name}`.execute(this.#o.db);
    const row = rows[0];
    if (!row) return undefined;
    return {
      checkpoint: positionFromColumns(row.commit_position, row.prepare_position),
      lastEventAt: row.last_event_at ? row.last_event_at.toISOString() : undefined,
    };
  }

  /** Counts the matching events after `after` and finds the last one, paging through the store. */
  async #scanAfter(after: Position | undefined): Promise<{ count: number; last: Position | undefined }> {
    let cursor = after;
    let count = 0;
    let last: Position | undefined;
    for (;;) {
      const page = await this.#o.store.readAll({
        ...(cursor ? { after: cursor } : {}),
        maxCount: SCAN_PAGE,
        ...(this.#o.filter ? { filter: this.#o.filter } : {}),
      });
      count += page.length;
      const tail = page[page.length - 1];
      if (tail) {
        last = tail.position;
        cursor = tail.position;
      }
      if (page.length < SCAN_PAGE) break;
    }
    return { count, last };
  }

  /** Subscribes unless the runner was stopped (or restarted) since `expected` was read. */
  async #subscribeFromStoredCheckpoint(expected: number): Promise<void> {
    await this.#settleFlush();
    const row = await this.#readCheckpointRow();
    if (expected !== this.#generation) return;
    this.#checkpoint = row?.checkpoint;
    this.#stored = row?.checkpoint;
    // Inert events not stored yet come again from the subscription.
    this.#inert = undefined;
    const generation = ++this.#generation;
    this.#live = false;
    this.#state = 'running';
    this.#subscription = (this.#o.feed ?? this.#o.store).subscribe({
      from: this.#checkpoint ?? 'start',
      ...(this.#o.filter ? { filter: this.#o.filter } : {}),
      batchSize: this.#o.batchSize ?? 500,
      onEvent: (event) => this.#deliver(generation, event),
      onCaughtUp: () => {
        if (generation !== this.#generation) return;
        // Live once what the subscription delivered so far (all of history) is applied.
        void this.#flushAll(generation).then(() => {
          if (generation !== this.#generation || this.#broken === generation) return;
          this.#live = true;
          this.#notify();
        });
      },
      onError: (error) => {
        if (error !== BROKEN) this.#fail(generation, error);
      },
    });
  }

  /** Waits for the drain in flight, if any, and drops what an earlier subscription left buffered. */
  async #settleFlush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    this.#buffer = [];
  }

  /**
   * The subscription's `onEvent`: buffers, synchronously (no promise for the subscription to
   * wait on); applies now (backpressure) when the buffer is full, and then returns that wait.
   */
  #deliver(generation: number, event: RecordedEvent): Promise<void> | undefined {
    if (generation !== this.#generation) return undefined;
    if (this.#broken === generation) throw BROKEN;
    this.#buffer.push(event);
    const max = this.#o.applyBatchSize ?? DEFAULT_APPLY_BATCH;
    if (this.#buffer.length < max) {
      this.#scheduleFlush(generation);
      return undefined;
    }
    return this.#applyFull(generation, max);
  }

  /** Backpressure: applies while the buffer holds `max` events or more. */
  async #applyFull(generation: number, max: number): Promise<void> {
    while (this.#buffer.length >= max && generation === this.#generation && this.#broken !== generation) {
      await this.#flush(generation);
    }
    if (this.#broken === generation) throw BROKEN;
  }

  /** Applies the buffer once the subscription pauses (after the page it is delivering). */
  #scheduleFlush(generation: number): void {
    if (this.#flushScheduledFor === generation) return;
    this.#flushScheduledFor = generation;
    const flush = (): void => {
      if (this.#flushScheduledFor === generation) this.#flushScheduledFor = undefined;
      void this.#flush(generation).then(() => {
        // Delivered while the drain was finishing: apply on the next turn.
        if (this.#buffer.length > 0 && generation === this.#generation && this.#broken !== generation) this.#scheduleFlush(generation);
      });
    };
    const wait = this.#lastDrainAt + (this.#o.minApplyIntervalMs ?? 0) - performance.now();
    if (wait > 0) setTimeout(flush, wait);
    else setImmediate(flush);
  }

  /** Applies everything buffered so far and waits for the drain in flight. */
  async #flushAll(generation: number): Promise<void> {
    while (this.#buffer.length > 0 && generation === this.#generation && this.#broken !== generation) await this.#flush(generation);
    while (this.#flushing) await this.#flushing;
  }

  /** Drains the buffer in batches, one drain at a time. Never rejects: a failure goes to {@link #fail}. */
  #flush(generation: number): Promise<void> {
    if (!this.#flushing) {
      this.#flushing = this.#drain(generation).finally(() => {
        this.#flushing = undefined;
      });
    }
    return this.#flushing;
  }

  async #drain(generation: number): Promise<void> {
    const max = this.#o.applyBatchSize ?? DEFAULT_APPLY_BATCH;
    while (this.#buffer.length > 0 && generation === this.#generation && this.#broken !== generation) {
      // Events that came while the last transaction ran: gather the interval's worth first (a full buffer goes at once).
      const wait = this.#lastDrainAt + (this.#o.minApplyIntervalMs ?? 0) - performance.now();
      if (wait > 0 && this.#buffer.length < max) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      this.#lastDrainAt = performance.now();
      const batch = this.#buffer.splice(0, max);
      try {
        await this.#applyBatch(generation, batch);
      } catch (err) {
        this.#fail(generation, err);
        return;
      }
    }
  }

  /** One transaction for the batch; if it fails, one per event, so a poison event fails alone. */
  async #applyBatch(generation: number, events: readonly RecordedEvent[]): Promise<void> {
    try {
      await this.#applyInTransaction(generation, events);
    } catch (err) {
      if (events.length === 1) throw err;
      for (const event of events) {
        if (generation !== this.#generation) return;
        await this.#applyInTransaction(generation, [event]);
      }
    }
  }

  /**
   * One transaction for the events after the stored checkpoint: its first statement moves the
   * checkpoint row from the position this process expects to the batch's last event (which also
   * locks it, so replicas applying the same projection take turns); when another replica moved
   * it meanwhile, the transaction rolls back and the batch is tried again against the checkpoint
   * read anew. No read of the checkpoint on the way, and no transaction when nothing is new.
   */
  async #applyInTransaction(generation: number, events: readonly RecordedEvent[]): Promise<void> {
    if (generation !== this.#generation || events.length === 0) return;
    const inert = this.#o.inert;
    if (inert !== undefined && events.every(inert)) {
      this.#skipInert(generation, events);
      return;
    }
    await this.#moveCheckpoint(generation, events);
    const tail = events[events.length - 1]!.position;
    if (this.#checkpoint === undefined || comparePositions(tail, this.#checkpoint) > 0) this.#checkpoint = tail;
    this.#applied(events);
  }

  /** The checkpoint moved past `events` and they are applied: errors cleared, `onApplied` and the waiters told. */
  #applied(events: readonly RecordedEvent[]): void {
    this.#lastError = undefined;
    try {
      this.#o.onApplied?.(events);
    } catch {
      // wake-ups only
    }
    this.#notify();
  }

  /** A batch of inert events (see `inert`): the checkpoint moves in memory; the stored one follows later. */
  #skipInert(generation: number, events: readonly RecordedEvent[]): void {
    const from = this.#inert?.last.position ?? this.#stored;
    const fresh = events.filter((e) => isAfterCheckpoint(from, e.position));
    const last = fresh[fresh.length - 1];
    if (last !== undefined) {
      this.#inert = { last, count: (this.#inert?.count ?? 0) + fresh.length };
      this.#storeInertLater(generation);
    }
    const tail = events[events.length - 1]!.position;
    if (this.#checkpoint === undefined || comparePositions(tail, this.#checkpoint) > 0) this.#checkpoint = tail;
    this.#applied(events);
  }

  /** Stores the inert events' checkpoint `inertStoreMs` from now, unless a transaction carries it first. */
  #storeInertLater(generation: number): void {
    if (this.#inertTimer !== undefined) return;
    this.#inertTimer = setTimeout(() => {
      this.#inertTimer = undefined;
      if (generation !== this.#generation || this.#broken === generation || this.#inert === undefined) return;
      // One transaction at a time: the drain under way may carry it; if not, this comes back.
      if (this.#flushing) {
        this.#storeInertLater(generation);
        return;
      }
      this.#flushing = this.#moveCheckpoint(generation, [])
        .catch((err: unknown) => this.#fail(generation, err))
        .finally(() => {
          this.#flushing = undefined;
        });
    }, this.#o.inertStoreMs ?? 1000);
    this.#inertTimer.unref();
  }

  /**
   * The transaction of {@link #applyInTransaction}: applies the events after the stored
   * checkpoint and moves it past them, and past the inert events applied before them in memory
   * (with no events, only those).
   */
  async #moveCheckpoint(generation: number, events: readonly RecordedEvent[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (generation !== this.#generation) return;
      const expected = this.#stored;
      const fresh: RecordedEvent[] = [];
      let checkpoint = expected;
      for (const event of events) {
        if (!isAfterCheckpoint(checkpoint, event.position)) continue;
        fresh.push(event);
        checkpoint = event.position;
      }
      // Inert events applied in memory after the stored checkpoint go with this move (they come before `fresh`).
      const inert = this.#inert !== undefined && isAfterCheckpoint(expected, this.#inert.last.position) ? this.#inert : undefined;
      const last = fresh[fresh.length - 1] ?? inert?.last;
      if (!last) {
        this.#inert = undefined;
        break;
      }
      const count = fresh.length + (inert?.count ?? 0);
      const occurredAt = typeof last.metadata.occurredAt === 'string' && !Number.isNaN(Date.parse(last.metadata.occurredAt))
        ? last.metadata.occurredAt
        : null;
      // BEGIN and the checkpoint's move in one simple query of two statements (a simple query has
      // no parameters, so the values are written in as literals: `sqlLiteral`). When another replica moved the
      // checkpoint, the division by zero fails the query and with it the transaction.
      const begin = `BEGIN; WITH moved AS (
              UPDATE ${this.#checkpointTable}
                 SET commit_position = ${sqlLiteral(last.position.commit)}, prepare_position = ${sqlLiteral(last.position.prepare)},
                     last_event_id = ${sqlLiteral(last.eventId)}, last_event_at = ${sqlLiteral(occurredAt)},
                     events_applied = events_applied + ${sqlLiteral(count)}, updated_at = ${sqlLiteral(this.#now().toISOString())}
               WHERE name = ${this.#nameLiteral}
                 AND commit_position IS NOT DISTINCT FROM ${sqlLiteral(expected?.commit ?? null)}::bigint
                 AND prepare_position IS NOT DISTINCT FROM ${sqlLiteral(expected?.prepare ?? null)}::bigint
              RETURNING 1
            ) SELECT 1 / count(*) FROM moved`;
      try {
        if (this.#deferred) await this.#applyDeferred(this.#deferred, begin, fresh);
        else {
          await this.#o.db.connection().execute(async (conn) => {
            try {
              await sql.raw(begin).execute(conn);
            } catch (err) {
              await sql`ROLLBACK`.execute(conn).catch(() => undefined);
              throw (err as { code?: unknown }).code === DIVISION_BY_ZERO ? CHECKPOINT_MOVED : err;
            }
            try {
              // The connection, inside the transaction begun above: what `apply` writes commits with the checkpoint.
              await this.#applyEvents(conn as unknown as Transaction<DB>, fresh);
              await sql`COMMIT`.execute(conn);
            } catch (err) {
              await sql`ROLLBACK`.execute(conn).catch(() => undefined);
              throw err;
            }
          });
        }
        this.#stored = last.position;
        if (this.#inert !== undefined && !isAfterCheckpoint(last.position, this.#inert.last.position)) this.#inert = undefined;
        break;
      } catch (err) {
        if (err !== CHECKPOINT_MOVED) throw err;
        const row = await this.#readCheckpointRow();
        if (!row) throw new BatonError('INTERNAL', `checkpoint row of projection ${this.name} is missing`);
        this.#stored = row.checkpoint;
        if (attempt >= MOVED_RETRIES) throw new BatonError('CONFLICT', `projection ${this.name}: the stored checkpoint kept moving (${MOVED_RETRIES + 1} attempts)`);
      }
    }
  }

  async #applyEvents(trx: Transaction<DB>, events: readonly RecordedEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (this.#o.applyBatch) await this.#o.applyBatch(trx, events);
    else for (const event of events) await this.#o.apply!(trx, event);
  }

  /**
   * The batch's transaction with its writes held (`deferWrites`): `begin` (BEGIN and the
   * checkpoint's move) goes with the first read or with the writes and COMMIT, or first of all
   * with `'after-checkpoint'`. A division by zero in the text that carried it is the
   * checkpoint's (the writes of a projection divide nothing).
   */
  async #applyDeferred(d: { readonly pool: Pool; readonly session: DeferredWriteSession<DB>; readonly checkpointFirst: boolean }, begin: string, events: readonly RecordedEvent[]): Promise<void> {
    const client = await d.pool.connect();
    let broken: unknown;
    try {
      d.session.open(client, begin);
      try {
        if (d.checkpointFirst) await d.session.flush();
        await this.#applyEvents(d.session.db, events);
        await d.session.commit();
      } catch (err) {
        const moved = d.session.firstFlushFailed && (err as { code?: unknown }).code === DIVISION_BY_ZERO;
        broken = await d.session.abandon();
        throw moved ? CHECKPOINT_MOVED : err;
      }
    } finally {
      client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true);
    }
  }

  #fail(generation: number, error: unknown): void {
    if (generation !== this.#generation) return;
    this.#broken = generation;
    this.#buffer = [];
    this.#lastError = error;
    this.#state = 'failed';
    this.#live = false;
    this.#o.onError?.(error);
    this.#notify();
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (generation !== this.#generation) return;
      void this.#restart(generation);
    }, this.#o.retryDelayMs ?? 1000);
    this.#retryTimer.unref();
  }

  async #restart(generation: number): Promise<void> {
    const sub = this.#subscription;
    this.#subscription = undefined;
    try {
      if (sub) await sub.stop();
      if (generation !== this.#generation) return;
      await this.#ensureCheckpointRow();
      await this.#subscribeFromStoredCheckpoint(generation);
    } catch (err) {
      this.#fail(generation, err);
    }
  }
}
