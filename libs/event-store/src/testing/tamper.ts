import type { Pool, QueryResult } from 'pg';
import { quoteIdent } from '../postgres/schema.sql';
import { inTransaction } from '../postgres/transaction';

/**
 * Runs one statement against the store's tables the way an attacker holding the table
 * owner's (or a superuser's) rights would: every protection trigger of the schema switched
 * off, the statement run, the triggers switched back on, in one transaction. For tests
 * that prove `verifyStream` / `baton audit verify` still name what such a person changed.
 */
export async function tamperAsTableOwner(pool: Pool, statement: string, values: readonly unknown[] = [], schema = 'baton_es'): Promise<QueryResult> {
  const s = quoteIdent(schema);
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [schema]);
    const tables = rows.map((r) => `${s}.${quoteIdent(r.t)}`);
    for (const t of tables) await client.query(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
    const result = await client.query(statement, [...values]);
    for (const t of tables) await client.query(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
    return result;
  });
}
