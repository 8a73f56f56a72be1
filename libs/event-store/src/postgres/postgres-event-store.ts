import {
  WrongExpectedVersionError,
  type EventMetadata,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from '@baton/contracts';
import { Kysely, PostgresDialect, sql, type RawBuilder } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { Pool, type DatabaseError } from 'pg';
import {
  expectedRevisionText,
  prepareAppend,
  validateCount,
  validateFilter,
  validateStreamId,
} from '../append-validation';
import { CatchUpSubscription, type CatchUpPage, type CatchUpSource } from '../catch-up-subscription';
import { DuplicateEventIdError, EventStoreUnavailableError } from '../errors';
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
import type { EventStoreDatabase } from './event-store.tables';
import { PgNotificationListener } from './postgres-listener';
import { PgNotifier } from './postgres-notifier';
import {
  DUPLICATE_EVENT_ID_SQLSTATE,
  WRONG_EXPECTED_VERSION_SQLSTATE,
  functionStatements,
  notifyChannel,
  quoteIdent,
  schemaStatements,
} from './schema.sql';

export interface PostgresEventStoreOptions {
  /** Where to connect; the store owns (and closes) the pool it creates. */
  readonly connectionString?: string;
  /**
   * An existing pool; the store never ends it. The store keeps up to two of its
   * connections for itself: one LISTENing once something subscribes, one sending the
   * post-commit NOTIFY once something appends. Size the pool accordingly.
   */
  readonly pool?: Pool;
  /** Schema holding the store's tables and functions. Default `baton_es`. */
  readonly schema?: string;
  /** Size of the pool created from `connectionString`. Default 20. */
  readonly poolSize?: number;
  /** Safety-net poll of live subscriptions, in ms. Default 500. */
  readonly pollIntervalMs?: number;
  /** Run the idempotent schema migration on creation. Default true. */
  readonly migrate?: boolean;
}

const DEFAULT_READ_ALL_MAX = 1000;
const VERIFY_PAGE = 1000;
const LIST_PAGE = 500;

interface EventRow {
  tx_id: string;
  seq: string;
  event_id: string;
  stream_id: string;
  revision: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  prev_hash: string;
  hash: string;
}

interface AppendRow {
  firstRevision: number;
  nextExpectedRevision: number;
  commit: number;
  prepare: number;
  eventIds: string[];
  duplicate: boolean;
}

/**
 * Creates a Postgres event store and (by default) migrates its schema, idempotently.
 * Use it as the `EventStore` of a service on a single machine, in local runs and in CI.
 *
 * @example
 * const store = await createPostgresEventStore({ connectionString: process.env.DATABASE_URL });
 * await store.append('task-1', [{ type: 'TaskCreated', data: {}, metadata: { occurredAt } }], { expectedRevision: 'no_stream' });
 * await store.close();
 */
export async function createPostgresEventStore(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
  const store = new PostgresEventStore(options);
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return store;
}

/**
 * The Postgres adapter of the `EventStore` port: schema `baton_es`, global order by
 * (transaction id, sequence), appends through one PL/pgSQL call (see schema.sql.ts for
 * why it is safe), live subscriptions woken by LISTEN/NOTIFY.
 */
export class PostgresEventStore implements EventStore {
  readonly schema: string;
  /** Kysely over the store's pool, for callers that want to query the store's tables. */
  readonly db: Kysely<EventStoreDatabase>;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly listener: PgNotificationListener;
  private readonly notifier: PgNotifier;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly appendSql: string;
  private readonly appendName: string;
  private readonly pollIntervalMs: number;
  private closed = false;
  private appendsInFlight = 0;

  constructor(options: PostgresEventStoreOptions) {
    this.schema = options.schema ?? 'baton_es';
    const s = quoteIdent(this.schema);
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else if (options.connectionString) {
      this.pool = new Pool({ connectionString: options.connectionString, max: options.poolSize ?? 20 });
      this.ownsPool = true;
    } else {
      throw new EventStoreUnavailableError('createPostgresEventStore needs a connectionString or a pool');
    }
    // An idle pooled connection that dies must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
    this.db = new Kysely<EventStoreDatabase>({ dialect: new PostgresDialect({ pool: this.pool }) });
    this.listener = new PgNotificationListener(this.pool, notifyChannel(this.schema));
    this.notifier = new PgNotifier(this.pool, notifyChannel(this.schema));
    this.appendSql = `SELECT ${s}.append($1, $2, $3, $4::jsonb, $5) AS r`;
    this.appendName = `baton_es_append_${this.schema}`;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
  }

  /** Creates or updates the schema (idempotent; safe to run from several processes at once). */
  async migrate(): Promise<void> {
    const statements = schemaStatements(this.schema);
    const functions = functionStatements(this.schema);
    const run = (list: string[]): Migration => ({
      async up(db) {
        for (const statement of list) await sql.raw(statement).execute(db);
      },
    });
    // Static list (no directory scan): works the same compiled and under Jest.
    const migrations: Record<string, Migration> = {
      '0001_event_store': run(statements),
      // Single-event fast path in append(): same signature and hashes, new body.
      '0002_append_single_event_path': run(functions),
    };
    const migrator = new Migrator({
      db: this.db,
      provider: { getMigrations: async () => migrations },
      migrationTableSchema: this.schema,
    });
    const { error } = await migrator.migrateToLatest();
    if (error) throw new EventStoreUnavailableError(`event store migration failed: ${(error as Error).message}`, { cause: error });
  }

  async append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    const p = prepareAppend(streamId, events, options);
    const payload = JSON.stringify(
      p.events.map((e) => ({ eventId: e.eventId, type: e.type, schemaVersion: e.schemaVersion, data: e.data, metadata: e.metadata })),
    );
    // Who sends the NOTIFY (see schema.sql.ts): an append that runs alone in this process
    // notifies inside its own transaction (no second transaction; nobody here waits on the
    // notify lock); appends that overlap others leave it to the coalesced post-commit
    // PgNotifier, so concurrent commits are not serialized on that lock.
    const notifyInTx = this.appendsInFlight === 0;
    this.appendsInFlight++;
    let row: AppendRow;
    try {
      // Named statement: parsed and planned once per connection; one round trip per append.
      const res = await this.pool.query<{ r: AppendRow }>({
        name: this.appendName,
        text: this.appendSql,
        values: [p.streamId, expectedRevisionText(p.expected), p.commandId ?? null, payload, notifyInTx],
      });
      row = res.rows[0]!.r;
    } catch (err) {
      throw this.mapAppendError(err, p.streamId, p.events[0]!.eventId);
    } finally {
      this.appendsInFlight--;
    }
    const commit = Number(row.commit);
    if (row.duplicate !== true) {
      this.listener.wakeLocal(commit);
      if (!notifyInTx) this.notifier.notify(commit);
    }
    return {
      streamId: p.streamId,
      firstRevision: Number(row.firstRevision),
      nextExpectedRevision: Number(row.nextExpectedRevision),
      position: { commit, prepare: Number(row.prepare) },
      eventIds: row.eventIds,
      duplicate: row.duplicate === true,
    };
  }

  private mapAppendError(err: unknown, streamId: string, firstEventId: string): unknown {
    const e = err as Partial<DatabaseError>;
    if (e.code === WRONG_EXPECTED_VERSION_SQLSTATE) {
      const d = JSON.parse(e.detail ?? '{}') as { expected?: string; actual?: string };
      return new WrongExpectedVersionError(streamId, d.expected ?? '?', d.actual ?? '?');
    }
    if (e.code === DUPLICATE_EVENT_ID_SQLSTATE) {
      const d = JSON.parse(e.detail ?? '{}') as { eventId?: string; existingStreamId?: string };
      return new DuplicateEventIdError(d.eventId ?? firstEventId, d.existingStreamId ?? '?', streamId);
    }
    if (e.code === '23505' && e.constraint === 'events_event_id_uq') {
      return new DuplicateEventIdError(/\(event_id\)=\(([^)]+)\)/.exec(e.detail ?? '')?.[1] ?? firstEventId, '?', streamId);
    }
    return this.mapError(err);
  }

  private mapError(err: unknown): unknown {
    const code = (err as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (code.startsWith('08') || code === '57P01' || code === '57P03' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT')
    ) {
      return new EventStoreUnavailableError(`event store unavailable: ${(err as Error).message}`, { cause: err });
    }
    return err;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    validateStreamId(streamId);
    const max = validateCount(options.maxCount, 'maxCount');
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    if ((backwards && from === 'start') || (!backwards && from === 'end')) return [];
    let q = this.db.withSchema(this.schema).selectFrom('events').selectAll().where('stream_id', '=', streamId);
    if (typeof from === 'number') q = q.where('revision', backwards ? '<=' : '>=', String(from));
    q = q.orderBy('revision', backwards ? 'desc' : 'asc');
    if (max !== undefined) q = q.limit(max);
    try {
      const rows = (await q.execute()) as unknown as EventRow[];
      return rows.map(toRecorded);
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /**
   * Events after a position in global order. Only events whose transaction is below the
   * oldest transaction still running are returned, so a caller that checkpoints on the
   * last position never skips a late commit; an event may therefore show up a moment
   * after its append returned, while an older transaction is still open.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const max = validateCount(options.maxCount, 'maxCount') ?? DEFAULT_READ_ALL_MAX;
    const page = await this.readPage(options.after ?? { commit: 0, prepare: 0 }, max, validateFilter(options.filter));
    return [...page.events];
  }

  /**
   * Events after `after` whose transaction is below the horizon (the oldest running
   * transaction id, from this statement's own snapshot, so "below the horizon" and
   * "visible" agree). Returns the horizon too, so a subscriber can tell that a commit it
   * was notified of is still hidden behind an open transaction.
   */
  private async readPage(after: Position, limit: number, filter: EventFilter | undefined): Promise<CatchUpPage> {
    const conds: RawBuilder<unknown>[] = [];
    if (filter?.categories) conds.push(sql`AND ev.category = ANY(${[...filter.categories]}::text[])`);
    if (filter?.eventTypes) conds.push(sql`AND ev.type = ANY(${[...filter.eventTypes]}::text[])`);
    const query = sql<EventRow & { horizon: string }>`
      SELECT h.horizon, e.* FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon) h
      LEFT JOIN LATERAL (
        SELECT ev.tx_id, ev.seq, ev.event_id, ev.stream_id, ev.revision, ev.type, ev.schema_version,
               ev.data, ev.metadata, ev.prev_hash, ev.hash
          FROM ${sql.table(`${this.schema}.events`)} ev
         WHERE (ev.tx_id, ev.seq) > (${after.commit}::bigint, ${after.prepare}::bigint)
           AND ev.tx_id < h.horizon ${sql.join(conds, sql` `)}
         ORDER BY ev.tx_id, ev.seq
         LIMIT ${limit}
      ) e ON true
      ORDER BY e.tx_id, e.seq`;
    try {
      const { rows } = await query.execute(this.db);
      const horizon = Number(rows[0]?.horizon ?? 0);
      return { events: rows.filter((r) => r.tx_id !== null).map(toRecorded), horizon };
    } catch (err) {
      throw this.mapError(err);
    }
  }

  subscribe(options: SubscribeOptions): Subscription {
    validateFilter(options.filter);
    validateCount(options.batchSize, 'batchSize');
    if (this.closed) throw new EventStoreUnavailableError('event store is closed');
    const source: CatchUpSource = {
      readPage: (after, limit, filter) => this.readPage(after, limit, filter),
      endPosition: async () => {
        // Everything below the horizon has committed before now: that is history. Anything
        // at or above it commits from now on, so deliver it.
        const { rows } = await sql<{ horizon: string }>`SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon`.execute(this.db);
        return { commit: Number(rows[0]!.horizon) - 1, prepare: Number.MAX_SAFE_INTEGER };
      },
      listen: (wake) => this.listener.add(wake),
      unlisten: (wake) => this.listener.remove(wake),
      pollIntervalMs: this.pollIntervalMs,
    };
    const sub: CatchUpSubscription = new CatchUpSubscription(source, options, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    return sub;
  }

  async verifyStream(streamId: string): Promise<VerifyResult> {
    validateStreamId(streamId);
    const s = sql.table(`${this.schema}.events`);
    const fn = sql.raw(`${quoteIdent(this.schema)}.event_hash`);
    let expectedRevision = 0;
    let prevHash = '0'.repeat(64);
    const broken = (brokenAt: number, reason: string): VerifyResult => ({ ok: false, streamId, events: expectedRevision, brokenAt, reason });
    for (;;) {
      const { rows } = await sql<{ revision: string; prev_hash: string; hash: string; computed: string }>`
        SELECT revision, prev_hash, hash,
               ${fn}(prev_hash, stream_id, revision, event_id, type, schema_version, data, metadata) AS computed
          FROM ${s} WHERE stream_id = ${streamId} AND revision >= ${expectedRevision}
         ORDER BY revision LIMIT ${VERIFY_PAGE}`.execute(this.db);
      for (const r of rows) {
        const revision = Number(r.revision);
        if (revision !== expectedRevision) return broken(expectedRevision, `revision ${expectedRevision} is missing (next stored revision is ${revision})`);
        if (r.prev_hash !== prevHash) {
          return broken(revision, `prev_hash ${r.prev_hash} does not match the hash ${prevHash} of revision ${revision - 1}`);
        }
        if (r.computed !== r.hash) {
          return broken(revision, `stored event does not match its hash: expected ${r.hash}, recomputed ${r.computed} (data, metadata or header was changed)`);
        }
        prevHash = r.hash;
        expectedRevision++;
      }
      if (rows.length < VERIFY_PAGE) break;
    }
    const head = await this.db
      .withSchema(this.schema)
      .selectFrom('streams')
      .select(['revision', 'last_hash'])
      .where('stream_id', '=', streamId)
      .executeTakeFirst();
    if (head) {
      const headRevision = Number(head.revision);
      if (headRevision >= expectedRevision) {
        return broken(expectedRevision, `stream head is at revision ${headRevision} but revision ${expectedRevision} is missing`);
      }
      if (headRevision !== expectedRevision - 1 || head.last_hash !== prevHash) {
        return broken(expectedRevision - 1, `stream head (revision ${headRevision}, hash ${head.last_hash}) does not match the last stored event`);
      }
    } else if (expectedRevision > 0) {
      return broken(expectedRevision - 1, 'events are stored but the stream head is missing');
    }
    return { ok: true, streamId, events: expectedRevision };
  }

  async *listStreams(): AsyncIterable<string> {
    let after: string | undefined;
    for (;;) {
      let q = this.db.withSchema(this.schema).selectFrom('streams').select('stream_id').orderBy('stream_id').limit(LIST_PAGE);
      if (after !== undefined) q = q.where('stream_id', '>', after);
      const rows = await q.execute();
      for (const r of rows) yield r.stream_id;
      if (rows.length < LIST_PAGE) return;
      after = rows[rows.length - 1]!.stream_id;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await Promise.all([this.listener.close(), this.notifier.close()]);
    if (this.ownsPool) await this.db.destroy();
  }
}

function toRecorded(r: EventRow): RecordedEvent {
  return {
    eventId: r.event_id,
    type: r.type,
    schemaVersion: r.schema_version,
    streamId: r.stream_id,
    revision: Number(r.revision),
    position: { commit: Number(r.tx_id), prepare: Number(r.seq) },
    data: r.data,
    metadata: r.metadata as EventMetadata,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
