import type { Queryable } from '@baton/messaging';
import {
  CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type Compilable,
  type Transaction,
} from 'kysely';
import type { EscalationDatabase } from './escalation.tables';

/**
 * A Kysely that only builds queries (it has no connection): typed queries for code that runs
 * on a plain `pg` client, such as the inbox transaction of the JetStream consumer.
 */
export const qb = new Kysely<EscalationDatabase>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** Runs a query built with {@link qb} on `client` and returns its rows. */
export async function exec<R>(client: Queryable, query: Compilable<R>): Promise<R[]> {
  const compiled = query.compile();
  const result = await client.query(compiled.sql, [...compiled.parameters]);
  return result.rows as R[];
}

/** A Kysely transaction seen as a plain {@link Queryable} (for the projection, which runs in one). */
export function queryableOf(trx: Transaction<EscalationDatabase>): Queryable {
  return {
    async query(text, values) {
      const r = await trx.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: r.rows as unknown[], rowCount: r.numAffectedRows === undefined ? r.rows.length : Number(r.numAffectedRows) };
    },
  };
}
