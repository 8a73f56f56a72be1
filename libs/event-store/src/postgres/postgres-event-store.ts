import { GENESIS_HASH, type EventMetadata, type NewEvent, type Position, type RecordedEvent } from '@baton/contracts';
import { Kysely, PostgresDialect, sql, type Selectable } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { Pool } from 'pg';
import { prepareAppend, validateCount, validateFilter, validateStreamId, validateStreamRead } from '../append-validation';
import { appendInSpan } from '../append-span';
import { CatchUpSubscription, type CatchUpPage, type CatchUpSource } from '../catch-up-subscription';
import { EventStoreUnavailableError } from '../errors';
import { ChainWalk } from '../hash-chain';
import type {
  AppendOptions,
  AppendResult,
  EventFilter,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  SubscribeOptions,
  Subscription,
  TogetherAppend,
  VerifyResult,
} from '../port';
import type { EventStoreDatabase, EventsTable } from './event-store.tables';
import { PgAppender } from './appender';
import { PgNotificationListener } from './postgres-listener';
import { PgNotifier } from './postgres-notifier';
import { functionStatements, hashVersionStatements, notifyChannel, protectionStatements, quoteIdent, schemaStatements } from './schema.sql';

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
  /**
   * Group round trips in flight at once. Appends that arrive while they are all out wait
   * and then go together, as one group commit (one statement, one transaction). Default 1:
   * the statement never waits on a lock, so a group is out for one execution and one
   * commit; measured with 8 concurrent writers, Postgres plus Node CPU per append is then
   * 0.8-1.05x that of a raw single-row commit, and two lanes cost 50-65% more CPU per
   * append for no more appends per second (libs/event-store/README.md has the figures).
   * The write statements keep up to this many connections plus one checked out of the pool
   * between statements, each for as long as it is used at least once a second (held-clients.ts).
   */
  readonly appendsInFlight?: number;
  /** Stream heads kept in memory for appends that chain in Node. Default 20,000. */
  readonly headCacheSize?: number;
}

const DEFAULT_READ_ALL_MAX = 1000;
const VERIFY_PAGE = 1000;
const LIST_PAGE = 500;
const DEFAULT_APPENDS_IN_FLIGHT = 1;
const DEFAULT_HEAD_CACHE_SIZE = 20_000;

/** The feed's horizon: the oldest transaction open on the server (this statement's snapshot's xmin). */
const XMIN_HORIZON = 'SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon';

/**
 * The feed's exact horizon: the oldest transaction open on the server that may still write
 * events, else the snapshot's xmax. Every append takes its streams' advisory locks before it
 * writes, so before it has a transaction id, and holds them until it has ended (a transaction's
 * locks are released after it stops counting as running). So an open transaction with an id
 * that holds no advisory lock writes no events from now on: a read model's, a report's, another
 * service's. One that holds one is a possible writer and keeps the horizon. The locks are read
 * once (the CASE asks for them, so the materialized list exists, before the first status
 * check), then each open transaction of the snapshot is checked: a lock holder, or one that
 * ended after the snapshot was taken (its rows are invisible to this statement, so it must hold
 * the horizon), keeps it; one still running after the locks were read, holding none, does not.
 * `pg_locks` names a transaction by its 32-bit id, so ids are compared modulo 2^32 (the open
 * ones are recent; a false match only holds more back). Conservative by construction: the
 * worst a mistake can do is wait, as the xmin horizon always does.
 */
const EXACT_HORIZON = `
  WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s),
  writers AS MATERIALIZED (
    SELECT t.transactionid::text::bigint AS xid32
      FROM pg_locks t
     WHERE t.locktype = 'transactionid' AND t.granted
       AND t.virtualtransaction IN (SELECT a.virtualtransaction FROM pg_locks a WHERE a.locktype = 'advisory' AND a.granted)
  )
  SELECT coalesce(
           (SELECT min(x::text::bigint) FROM snap, pg_snapshot_xip(snap.s) AS x
             WHERE CASE WHEN (x::text::bigint % 4294967296) IN (SELECT xid32 FROM writers) THEN true
                        ELSE pg_xact_status(x) IS DISTINCT FROM 'in progress' END),
           (SELECT pg_snapshot_xmax(snap.s)::text::bigint FROM snap)) AS horizon`;

/** An event row as the store's queries select it (every column but `category`). */
type EventRow = Omit<Selectable<EventsTable>, 'category'>;

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
 * (transaction id, sequence), appends chained and hashed in Node and written by one plain
 * SQL statement (appender.ts, append.sql.ts; schema.sql.ts says why the order is safe),
 * live subscriptions woken by LISTEN/NOTIFY.
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
  private readonly appender: PgAppender;
  private readonly pollIntervalMs: number;
  /** Statement texts of the feed's pages and the stream reads, built once per shape (index: one bit per option). */
  private readonly pageTexts: string[] = [];
  private readonly streamTexts: string[] = [];
  private closed = false;

  constructor(options: PostgresEventStoreOptions) {
    this.schema = options.schema ?? 'baton_es';
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
    this.appender = new PgAppender({
      pool: this.pool,
      schema: this.schema,
      appendsInFlight: Math.max(1, options.appendsInFlight ?? DEFAULT_APPENDS_IN_FLIGHT),
      headCacheSize: options.headCacheSize ?? DEFAULT_HEAD_CACHE_SIZE,
      committed: (notice, notifiedInTx) => {
        this.listener.wakeLocal(notice);
        if (!notifiedInTx) this.notifier.notify(notice);
      },
      mapError: (err) => this.mapError(err),
    });
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
  }

  /**
   * Creates or updates the schema (idempotent; safe to run from several processes at once).
   * `upTo` stops after the named migration, for tests that upgrade an older database.
   */
  async migrate(upTo?: string): Promise<void> {
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
      // Append-only triggers, stream-head anchors, group commit (append_group); same hashes.
      '0003_append_only_anchored_heads': run([...functions, ...protectionStatements(this.schema)]),
      // Appends hashed in Node (hash version 2) and written without PL/pgSQL; older rows keep version 1.
      '0004_hash_version': run(hashVersionStatements(this.schema)),
    };
    const migrator = new Migrator({
      db: this.db,
      provider: { getMigrations: async () => migrations },
      migrationTableSchema: this.schema,
    });
    const { error } = await (upTo === undefined ? migrator.migrateToLatest() : migrator.migrateTo(upTo));
    if (error) throw new EventStoreUnavailableError(`event store migration failed: ${(error as Error).message}`, { cause: error });
  }

  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return appendInSpan('postgresql', streamId, events.length, () => this.appendNow(streamId, events, options));
  }

  /** See {@link EventStore.appendTogether}: one statement, all or none, from the cached stream heads. */
  appendTogether(appends: readonly TogetherAppend[]): Promise<AppendResult[] | undefined> {
    if (this.closed) return Promise.reject(new EventStoreUnavailableError('event store is closed'));
    try {
      return this.appender.appendTogether(appends.map((a) => prepareAppend(a.streamId, a.events, a.options)));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private appendNow(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    try {
      return this.appender.append(prepareAppend(streamId, events, options));
    } catch (err) {
      return Promise.reject(err);
    }
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
    const read = validateStreamRead(streamId, options);
    if (read === undefined) return [];
    const { backwards, from, max } = read;
    const ranged = typeof from === 'number';
    const limited = max !== undefined;
    const shape = (backwards ? 4 : 0) | (ranged ? 2 : 0) | (limited ? 1 : 0);
    const text = (this.streamTexts[shape] ??= streamText(this.schema, backwards, ranged, limited));
    const values: unknown[] = [streamId];
    if (ranged) values.push(from);
    if (limited) values.push(max);
    try {
      const rows = (await this.pool.query<EventRow>(text, values)).rows;
      // A read that reaches the stream's end tells its head: the next append chains from it without asking.
      const head = backwards ? (from === 'end' ? rows[0] : undefined) : max === undefined ? rows[rows.length - 1] : undefined;
      if (head) this.appender.observeHead(streamId, { revision: Number(head.revision), hash: head.hash });
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
  private async readPage(after: Position, limit: number, filter: EventFilter | undefined, exact = false): Promise<CatchUpPage> {
    const categories = filter?.categories !== undefined;
    const types = filter?.eventTypes !== undefined;
    const shape = (exact ? 4 : 0) | (categories ? 2 : 0) | (types ? 1 : 0);
    const text = (this.pageTexts[shape] ??= pageText(this.schema, exact, categories, types));
    const values: unknown[] = [after.commit, after.prepare, limit];
    if (filter?.categories) values.push(filter.categories);
    if (filter?.eventTypes) values.push(filter.eventTypes);
    try {
      const { rows } = await this.pool.query<EventRow & { horizon: string }>(text, values);
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
      readPage: (after, limit, filter, exact) => this.readPage(after, limit, filter, exact),
      endPosition: async () => {
        // Everything below the horizon has committed before now: that is history. Anything
        // at or above it commits from now on, so deliver it.
        const { rows } = await this.pool.query<{ horizon: string }>(XMIN_HORIZON);
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

  /**
   * Walks the stream's chain (each prev_hash against the hash before it, each hash
   * recomputed by its version: version 2 in Node, version 1 in SQL), checks each event
   * against its anchor where an append left one, then the stream's last anchor (nothing
   * deleted after it, nothing written behind the append path) and its head row.
   */
  async verifyStream(streamId: string): Promise<VerifyResult> {
    validateStreamId(streamId);
    const s = sql.table(`${this.schema}.events`);
    const anchors = sql.table(`${this.schema}.stream_anchors`);
    const fn = sql.raw(`${quoteIdent(this.schema)}.event_hash`);
    const walk = new ChainWalk(GENESIS_HASH);
    const broken = (brokenAt: number, reason: string): VerifyResult => ({ ok: false, streamId, events: walk.expectedRevision, brokenAt, reason });
    for (;;) {
      const { rows } = await sql<EventRow & { computed: string | null; anchored: string | null }>`
        SELECT ev.revision, ev.event_id, ev.type, ev.schema_version, ev.data, ev.metadata, ev.prev_hash, ev.hash, ev.hash_version, a.hash AS anchored,
               CASE WHEN ev.hash_version = 1
                    THEN ${fn}(ev.prev_hash, ev.stream_id, ev.revision, ev.event_id, ev.type, ev.schema_version, ev.data, ev.metadata) END AS computed
          FROM ${s} ev LEFT JOIN ${anchors} a ON a.stream_id = ev.stream_id AND a.revision = ev.revision
         WHERE ev.stream_id = ${streamId} AND ev.revision >= ${walk.expectedRevision}
         ORDER BY ev.revision LIMIT ${VERIFY_PAGE}`.execute(this.db);
      for (const r of rows) {
        const revision = Number(r.revision);
        const link = walk.next({
          streamId,
          revision,
          eventId: r.event_id,
          type: r.type,
          schemaVersion: r.schema_version,
          data: r.data,
          metadata: r.metadata,
          prevHash: r.prev_hash,
          hash: r.hash,
          hashVersion: r.hash_version,
          recomputedInSql: r.computed,
        });
        if (link) return broken(link.brokenAt, link.reason);
        if (r.anchored !== null && r.anchored !== r.hash) {
          return broken(revision, `stored hash ${r.hash} is not the hash ${r.anchored} anchored when revision ${revision} was appended (the chain was rewritten)`);
        }
      }
      if (rows.length < VERIFY_PAGE) break;
    }
    const expectedRevision = walk.expectedRevision;
    const prevHash = walk.prevHash;
    const last = expectedRevision - 1;
    const anchor = await this.db
      .withSchema(this.schema)
      .selectFrom('stream_anchors')
      .select(['revision', 'hash'])
      .where('stream_id', '=', streamId)
      .orderBy('revision', 'desc')
      .limit(1)
      .executeTakeFirst();
    const anchoredRevision = anchor ? Number(anchor.revision) : -1;
    if (anchoredRevision > last) {
      return broken(expectedRevision, `revision ${expectedRevision} is missing: append anchored revision ${anchoredRevision} (hash ${anchor!.hash}) but the stream ends at ${last < 0 ? 'no event' : `revision ${last}`} (events were deleted)`);
    }
    if (last > anchoredRevision) {
      return broken(anchoredRevision + 1, `revision ${anchoredRevision + 1} has no anchor: it was not written by append`);
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
      if (headRevision !== last || head.last_hash !== prevHash) {
        return broken(last, `stream head (revision ${headRevision}, hash ${head.last_hash}) does not match the last stored event`);
      }
    } else if (expectedRevision > 0) {
      return broken(last, 'events are stored but the stream head is missing');
    }
    return { ok: true, streamId, events: expectedRevision };
  }

  /** Every stream with a head row or an anchor: a stream whose head was deleted is still listed, and verified. */
  async *listStreams(): AsyncIterable<string> {
    const streams = sql.table(`${this.schema}.streams`);
    const anchors = sql.table(`${this.schema}.stream_anchors`);
    let after = '';
    for (;;) {
      const { rows } = await sql<{ stream_id: string }>`
        SELECT stream_id FROM (
          SELECT stream_id FROM ${streams} WHERE stream_id > ${after}
          UNION
          SELECT DISTINCT stream_id FROM ${anchors} WHERE stream_id > ${after}
        ) ids ORDER BY stream_id LIMIT ${LIST_PAGE}`.execute(this.db);
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
    this.appender.close();
    if (this.ownsPool) await this.db.destroy();
  }
}

const EVENT_COLUMNS = 'ev.tx_id, ev.seq, ev.event_id, ev.stream_id, ev.revision, ev.type, ev.schema_version, ev.data, ev.metadata, ev.prev_hash, ev.hash';

/**
 * The feed's page: events after ($1 commit, $2 prepare) below the horizon, at most $3, then the
 * categories ($4) and event types ($5, or $4 without categories) when filtered. One row with a
 * null event when none is visible, so the horizon always comes back.
 */
function pageText(schema: string, exact: boolean, categories: boolean, types: boolean): string {
  let conds = '';
  if (categories) conds += ' AND ev.category = ANY($4::text[])';
  if (types) conds += ` AND ev.type = ANY($${categories ? 5 : 4}::text[])`;
  return `SELECT h.horizon, e.* FROM (${exact ? EXACT_HORIZON : XMIN_HORIZON}) h
      LEFT JOIN LATERAL (
        SELECT ${EVENT_COLUMNS}
          FROM ${quoteIdent(schema)}.events ev
         WHERE (ev.tx_id, ev.seq) > ($1::bigint, $2::bigint)
           AND ev.tx_id < h.horizon${conds}
         ORDER BY ev.tx_id, ev.seq
         LIMIT $3::bigint
      ) e ON true
      ORDER BY e.tx_id, e.seq`;
}

/** One stream's events ($1), from revision $2 when given, at most $3 (or $2) when given, forwards or backwards. */
function streamText(schema: string, backwards: boolean, from: boolean, max: boolean): string {
  let text = `SELECT ${EVENT_COLUMNS} FROM ${quoteIdent(schema)}.events ev WHERE ev.stream_id = $1::text`;
  if (from) text += ` AND ev.revision ${backwards ? '<=' : '>='} $2::bigint`;
  text += ` ORDER BY ev.revision ${backwards ? 'DESC' : 'ASC'}`;
  if (max) text += ` LIMIT $${from ? 3 : 2}::bigint`;
  return text;
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
