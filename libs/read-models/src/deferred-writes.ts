import {
  CompiledQuery,
  DeleteQueryNode,
  InsertQueryNode,
  Kysely,
  MergeQueryNode,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  UpdateQueryNode,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type Transaction,
} from 'kysely';
import { type PoolClient, type QueryResult as PgResult } from 'pg';
import { prepareValue } from 'pg/lib/utils';

/**
 * One projection transaction in as few round trips as its reads allow (see ProjectionRunner's
 * `deferWrites`). The statements that only write (INSERT, UPDATE, DELETE or MERGE without
 * RETURNING) are held, and go with the next statement that returns rows, or with COMMIT, as
 * one simple-protocol query of several statements: `BEGIN; <checkpoint>; <writes>; COMMIT` is
 * one round trip where it was one per statement. Order is kept (a read is sent after the
 * writes before it, in the same text), and a failing statement stops the rest of its text, so
 * the transaction fails as it would have statement by statement.
 *
 * What a held write gives back is not known when it is held: its result has no
 * `numAffectedRows`. Only code that does not look at its writes' results may run here.
 *
 * Values are written into the text as literals (a simple query has no parameters): each is
 * turned into text exactly as node-postgres does for a parameter (`prepareValue`) and quoted
 * as a string literal, so Postgres infers its type from where it stands, as it does for an
 * untyped parameter.
 */
export class DeferredWriteSession<DB> {
  /** The Kysely that `apply` gets: every statement goes through this session's current transaction. */
  readonly db: Transaction<DB>;
  #client: PoolClient | undefined;
  #pending: string[] = [];
  /** Set once the text with BEGIN went out (so a failure needs a ROLLBACK). */
  #begun = false;
  /** The flush that carried BEGIN and the checkpoint's statement failed. */
  #firstFlushFailed = false;

  constructor() {
    const connection: DatabaseConnection = {
      executeQuery: <R>(compiled: CompiledQuery) => this.#execute<R>(compiled),
      streamQuery: () => {
        throw new Error('a projection transaction does not stream');
      },
    };
    const driver: Driver = {
      init: async () => undefined,
      acquireConnection: async () => connection,
      beginTransaction: async () => {
        throw new Error('a projection transaction is begun by its runner');
      },
      commitTransaction: async () => {
        throw new Error('a projection transaction is committed by its runner');
      },
      rollbackTransaction: async () => {
        throw new Error('a projection transaction is rolled back by its runner');
      },
      releaseConnection: async () => undefined,
      destroy: async () => undefined,
    };
    // Typed as a transaction, as the runner's other path hands `apply` one.
    this.db = new Kysely<DB>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => driver,
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    }) as unknown as Transaction<DB>;
    SESSIONS.set(this.db, this as DeferredWriteSession<unknown>);
  }

  /** A read given as text and values (see `queryRows`), in this session's transaction, without going through Kysely's executor. */
  async rows<R>(text: string, values: readonly unknown[]): Promise<R[]> {
    return (await this.#execute<R>(CompiledQuery.raw(text, [...values]))).rows as R[];
  }

  /** Holds a plain write whose values are all literals (see {@link executeLiteralWrite}), without going through Kysely. */
  hold(text: string): void {
    this.#open();
    this.#pending.push(text);
  }

  /** Starts a transaction on `client`: `first` (BEGIN and what must come first, all literals) goes with the first flush. */
  open(client: PoolClient, first: string): void {
    if (this.#client !== undefined) throw new Error('a projection transaction is already open on this session');
    this.#client = client;
    this.#pending = [first];
    this.#begun = false;
    this.#firstFlushFailed = false;
  }

  /** Sends what is held now, with nothing after it (the transaction stays open). */
  async flush(): Promise<void> {
    if (this.#pending.length > 0) await this.#send(this.#take());
  }

  /** Sends what is held with COMMIT, and ends the session's transaction. */
  async commit(): Promise<void> {
    const client = this.#open();
    this.#pending.push('COMMIT');
    const text = this.#take();
    await this.#send(text);
    if (this.#client === client) this.#client = undefined;
  }

  /**
   * Ends the session's transaction after a failure: a ROLLBACK when BEGIN went out (the error,
   * if that fails too, so the caller can discard the connection), nothing held is sent.
   */
  async abandon(): Promise<unknown> {
    const client = this.#client;
    const begun = this.#begun;
    this.#client = undefined;
    this.#pending = [];
    this.#begun = false;
    if (client === undefined || !begun) return undefined;
    try {
      await client.query('ROLLBACK');
      return undefined;
    } catch (err) {
      return err;
    }
  }

  /** True when the failure came from the text that carried BEGIN and the runner's first statement. */
  get firstFlushFailed(): boolean {
    return this.#firstFlushFailed;
  }

  async #execute<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    this.#open();
    if (isPlainWrite(compiled)) {
      this.#pending.push(inline(compiled));
      return { rows: [] };
    }
    if (this.#pending.length === 0) {
      // Nothing held: the statement goes as it is, with its parameters.
      return resultOf<R>(await this.#client!.query(compiled.sql, compiled.parameters as unknown[]));
    }
    this.#pending.push(inline(compiled));
    const results = await this.#send(this.#take());
    return resultOf<R>(results[results.length - 1]!);
  }

  #open(): PoolClient {
    if (this.#client === undefined) throw new Error('no projection transaction is open on this session');
    return this.#client;
  }

  #take(): string {
    const text = this.#pending.join(';\n');
    this.#pending = [];
    return text;
  }

  async #send(text: string): Promise<PgResult[]> {
    const client = this.#open();
    const first = !this.#begun;
    this.#begun = true;
    try {
      const r = (await client.query(text)) as PgResult | PgResult[];
      return Array.isArray(r) ? r : [r];
    } catch (err) {
      if (first) this.#firstFlushFailed = true;
      throw err;
    }
  }
}

/** Each session's `db`, so {@link executeLiteralWrite} can hold a write there without Kysely's executor. */
const SESSIONS = new WeakMap<object, DeferredWriteSession<unknown>>();

/** The deferred session whose `db` this is, if any. */
export function sessionOf(db: object): DeferredWriteSession<unknown> | undefined {
  return SESSIONS.get(db);
}

/** Statements run by {@link executeLiteralWrite}: plain writes whose text holds every value. */
const LITERAL_WRITES = new WeakSet<CompiledQuery>();

/**
 * Runs `text`, an INSERT, UPDATE or DELETE without RETURNING whose values are all written in
 * it as literals (see literal-sql.ts), on `db`. In a deferred session it is held like any plain
 * write built with Kysely; elsewhere (a runner without `deferWrites`, a plain transaction) it
 * goes as it is, with no parameters.
 */
export async function executeLiteralWrite(db: { executeQuery(query: CompiledQuery): Promise<unknown> }, text: string): Promise<void> {
  const session = SESSIONS.get(db);
  if (session !== undefined) {
    session.hold(text);
    return;
  }
  const compiled = CompiledQuery.raw(text);
  LITERAL_WRITES.add(compiled);
  await db.executeQuery(compiled);
}

/** An INSERT, UPDATE, DELETE or MERGE without RETURNING: nothing comes back that the caller reads. */
function isPlainWrite(compiled: CompiledQuery): boolean {
  if (LITERAL_WRITES.has(compiled)) return true;
  const node = compiled.query;
  if (InsertQueryNode.is(node) || UpdateQueryNode.is(node) || DeleteQueryNode.is(node)) return node.returning === undefined;
  if (MergeQueryNode.is(node)) return node.returning === undefined;
  return false;
}

function resultOf<R>(r: PgResult): QueryResult<R> {
  const counted = r.command === 'INSERT' || r.command === 'UPDATE' || r.command === 'DELETE' || r.command === 'MERGE';
  return { rows: (r.rows ?? []) as R[], ...(counted && r.rowCount !== null ? { numAffectedRows: BigInt(r.rowCount) } : {}) };
}

/** One value as a literal: what node-postgres would send for it as a parameter, quoted. */
export function sqlLiteral(value: unknown): string {
  const prepared = prepareValue(value);
  if (prepared === null || prepared === undefined) return 'NULL';
  if (Buffer.isBuffer(prepared)) return `'\\x${prepared.toString('hex')}'`;
  return quoteLiteral(String(prepared));
}

/**
 * A string as a Postgres literal, as pg's `escapeLiteral` writes it (quotes doubled; with a
 * backslash, an `E'...'` literal with backslashes doubled), without building it a character at
 * a time: most values hold neither and are only wrapped in quotes.
 */
export function quoteLiteral(text: string): string {
  const quote = text.includes("'");
  const backslash = text.includes('\\');
  const doubled = quote ? text.replaceAll("'", "''") : text;
  return backslash ? ` E'${doubled.replaceAll('\\', '\\\\')}'` : `'${doubled}'`;
}

const QUOTE = 39; // '
const DOUBLE_QUOTE = 34; // "
const DOLLAR = 36; // $
const ZERO = 48;
const NINE = 57;

/**
 * The compiled statement with its `$n` parameters written in as literals. Placeholders are
 * replaced only outside quoted strings and identifiers (Kysely's own texts have none inside
 * them, but a raw fragment might). The text between placeholders is copied a run at a time:
 * built a character at a time, it was the scheduler's largest source of garbage (a tenth of
 * what it allocated at 1,000 tasks/s).
 */
export function inline(compiled: CompiledQuery): string {
  const { sql: text, parameters } = compiled;
  if (parameters.length === 0) return text;
  const n = text.length;
  let out = '';
  // Where the text not copied yet starts.
  let from = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE || c === DOUBLE_QUOTE) {
      // Past the quoted run; a doubled quote inside it is an escaped one.
      let j = i + 1;
      for (;;) {
        const k = text.indexOf(c === QUOTE ? "'" : '"', j);
        if (k < 0) {
          j = n;
          break;
        }
        if (text.charCodeAt(k + 1) === c) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      i = j;
      continue;
    }
    if (c === DOLLAR) {
      let j = i + 1;
      let index = 0;
      for (let d = text.charCodeAt(j); j < n && d >= ZERO && d <= NINE; d = text.charCodeAt(++j)) index = index * 10 + (d - ZERO);
      if (j > i + 1) {
        if (index < 1 || index > parameters.length) throw new Error(`statement names parameter $${index} of ${parameters.length}`);
        out += text.slice(from, i) + sqlLiteral(parameters[index - 1]);
        from = i = j;
        continue;
      }
    }
    i++;
  }
  return from === 0 ? text : out + text.slice(from);
}
