import { BatonError, comparePositions, type Position, type RecordedEvent } from '@baton/contracts';
import type { EventStore, Subscription } from '@baton/event-store';
import { sql, type Kysely, type Transaction } from 'kysely';
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
  readonly filter?: ProjectionFilter;
  /** Applies one event to the read model, inside the transaction that also moves the checkpoint. */
  readonly apply: (trx: Transaction<DB>, event: RecordedEvent) => Promise<void>;
  /** Empties the read model, before a rebuild replays the store from the start. */
  readonly reset: (trx: Transaction<DB>) => Promise<void>;
  /** The clock; default the system clock. */
  readonly now?: () => Date;
  /** Events per store read while catching up (default 500). */
  readonly batchSize?: number;
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

/**
 * Keeps one read model in step with the event store. Each event is applied in a Postgres
 * transaction that also advances the checkpoint row in `<schema>.projection_checkpoints`,
 * after locking that row and skipping anything at or before it; so each event changes the
 * read model exactly once, across restarts and redeliveries.
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
  #live = false;
  #lastError: unknown;
  #retryTimer: NodeJS.Timeout | undefined;
  #starting: Promise<void> | undefined;
  readonly #listeners = new Set<() => void>();

  constructor(options: ProjectionRunnerOptions<DB>) {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(options.name)) {
      throw new BatonError('VALIDATION_FAILED', `invalid projection name "${options.name}"`);
    }
    this.name = options.name;
    this.schema = assertSchemaName(options.schema);
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
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
    const sub = this.#subscription;
    this.#subscription = undefined;
    this.#state = 'stopped';
    this.#live = false;
    if (sub) await sub.stop();
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
    const row = await this.#readCheckpointRow();
    if (expected !== this.#generation) return;
    this.#checkpoint = row?.checkpoint;
    const generation = ++this.#generation;
    this.#live = false;
    this.#state = 'running';
    this.#subscription = this.#o.store.subscribe({
      from: this.#checkpoint ?? 'start',
      ...(this.#o.filter ? { filter: this.#o.filter } : {}),
      batchSize: this.#o.batchSize ?? 500,
      onEvent: (event) => this.#applyOne(generation, event),
      onCaughtUp: () => {
        if (generation !== this.#generation) return;
        this.#live = true;
        this.#notify();
      },
      onError: (error) => this.#fail(generation, error),
    });
  }

  async #applyOne(generation: number, event: RecordedEvent): Promise<void> {
    if (generation !== this.#generation) return;
    let applied = false;
    await this.#o.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ commit_position: string | null; prepare_position: string | null }>`
        SELECT commit_position, prepare_position FROM ${this.#table()} WHERE name = ${this.name} FOR UPDATE`.execute(trx);
      const row = rows[0];
      if (!row) throw new BatonError('INTERNAL', `checkpoint row of projection ${this.name} is missing`);
      if (!isAfterCheckpoint(positionFromColumns(row.commit_position, row.prepare_position), event.position)) return;
      await this.#o.apply(trx, event);
      const occurredAt = typeof event.metadata.occurredAt === 'string' && !Number.isNaN(Date.parse(event.metadata.occurredAt))
        ? event.metadata.occurredAt
        : null;
      await sql`
        UPDATE ${this.#table()}
           SET commit_position = ${event.position.commit}, prepare_position = ${event.position.prepare},
               last_event_id = ${event.eventId}, last_event_at = ${occurredAt},
               events_applied = events_applied + 1, updated_at = ${this.#now().toISOString()}
         WHERE name = ${this.name}`.execute(trx);
      applied = true;
    });
    if (applied || this.#checkpoint === undefined || comparePositions(event.position, this.#checkpoint) > 0) {
      this.#checkpoint = event.position;
    }
    this.#lastError = undefined;
    this.#notify();
  }

  #fail(generation: number, error: unknown): void {
    if (generation !== this.#generation) return;
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
