import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import { sessionOf } from './deferred-writes';

/** Options of {@link createKysely}: either a connection string (the Kysely owns its pool) or a pool you own. */
export type CreateKyselyOptions =
  | { readonly connectionString: string; readonly pool?: undefined; readonly maxConnections?: number; readonly applicationName?: string }
  | { readonly pool: Pool; readonly connectionString?: undefined };

/**
 * A pool wrapper whose `end()` does nothing, so destroying a Kysely built on a borrowed
 * pool leaves the caller's pool open (the caller ends it).
 */
function borrowed(pool: Pool): Pool {
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === 'end') return async () => undefined;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The pg pool under each Kysely made by {@link createKysely} (see {@link poolOf}). */
const POOLS = new WeakMap<object, Pool>();

/**
 * The pg pool a Kysely made by {@link createKysely} runs on, or undefined for any other
 * Kysely: for work that needs a plain pg client (a projection's transaction of several
 * statements in one round trip, see ProjectionRunner's `deferWrites`).
 */
export function poolOf(db: object): Pool | undefined {
  return POOLS.get(db);
}

/**
 * Runs `text` with `values` ($1, $2, ...) on `db` and returns its rows: in a projection's
 * deferred session when `db` is that session's (the writes it holds go first, in the same round
 * trip), on the pg pool under `db` when it was made by {@link createKysely}, else (a
 * transaction) through Kysely. For the hot reads whose text never changes: built with the query
 * builder, each call made and compiled a tree of nodes and went through Kysely's executor, and
 * Kysely's own code was 13% of the scheduler's CPU in a drain of `bench:dispatch` (`--profile`).
 * Write the text once, next to the typed row it returns.
 *
 * @example
 * const DUE = 'SELECT timer_id, due_at FROM scheduler.timers WHERE due_at <= $1 ORDER BY due_at LIMIT $2';
 * const rows = await queryRows<{ timer_id: string; due_at: Date }>(db, DUE, [now, 100]);
 */
export async function queryRows<R>(db: { executeQuery(query: CompiledQuery): Promise<{ rows: unknown[] }> }, text: string, values: readonly unknown[]): Promise<R[]> {
  const session = sessionOf(db);
  if (session !== undefined) return session.rows<R>(text, values);
  const pool = POOLS.get(db);
  if (pool !== undefined) return (await pool.query(text, values as unknown[])).rows as R[];
  return (await db.executeQuery(CompiledQuery.raw(text, [...values]))).rows as R[];
}

/**
 * Creates a Kysely instance on PostgreSQL. Use one per process and share it.
 *
 * With `connectionString` the instance owns its pool and `db.destroy()` closes it (calling
 * `destroy` twice is harmless). With `pool` the caller keeps ownership: `db.destroy()`
 * releases Kysely but leaves the pool open.
 * Column types are pg's defaults (`int8` comes back as a string; cast or convert where needed).
 *
 * @example
 * const db = createKysely<AgentRegistryDatabase>({ connectionString: process.env.DATABASE_URL! });
 * try { await db.selectFrom('agent_registry.agents').selectAll().execute(); } finally { await db.destroy(); }
 */
export function createKysely<DB>(options: CreateKyselyOptions): Kysely<DB> {
  let pool: Pool;
  if (options.pool) {
    pool = borrowed(options.pool);
  } else {
    const owned = new Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      application_name: options.applicationName ?? 'baton',
    });
    // An idle client that loses its connection emits 'error' on the pool; without a
    // listener that would crash the process. The next query reconnects.
    owned.on('error', () => undefined);
    let ended = false;
    pool = new Proxy(owned, {
      get(target, prop) {
        if (prop === 'end') {
          return async () => {
            if (ended) return;
            ended = true;
            await target.end();
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  POOLS.set(db, pool);
  return db;
}
