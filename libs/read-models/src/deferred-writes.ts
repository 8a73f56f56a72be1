import {
  DeleteQueryNode,
  InsertQueryNode,
  Kysely,
  MergeQueryNode,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  UpdateQueryNode,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type Transaction,
} from 'kysely';
import { escapeLiteral, type PoolClient, type QueryResult as PgResult } from 'pg';
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

/** An INSERT, UPDATE, DELETE or MERGE without RETURNING: nothing comes back that the caller reads. */
function isPlainWrite(compiled: CompiledQuery): boolean {
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
  return escapeLiteral(String(prepared));
}

/**
 * The compiled statement with its `$n` parameters written in as literals. Placeholders are
 * replaced only outside quoted strings and identifiers (Kysely's own texts have none inside
 * them, but a raw fragment might).
 */
export function inline(compiled: CompiledQuery): string {
  const { sql: text, parameters } = compiled;
  if (parameters.length === 0) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      // Copy the quoted run whole; a doubled quote inside it is an escaped one.
      let j = i + 1;
      for (;;) {
        const k = text.indexOf(ch, j);
        if (k < 0) {
          j = text.length;
          break;
        }
        if (text[k + 1] === ch) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      out += text.slice(i, j);
      i = j;
      continue;
    }
    if (ch === '$') {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
      if (j > i + 1) {
        const n = Number(text.slice(i + 1, j));
        if (n < 1 || n > parameters.length) throw new Error(`statement names parameter $${n} of ${parameters.length}`);
        out += sqlLiteral(parameters[n - 1]);
        i = j;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}
