import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';

/** The event that changes a row: its `revision` and `updated_at` columns take these. */
export interface RowVersion {
  readonly revision: number;
  readonly at: Date;
}

/** The tables of `DB` that carry `revision` and `updated_at` columns (see {@link patchRow}). */
export type VersionedTable<DB> = {
  [T in keyof DB & string]: DB[T] extends { revision: unknown; updated_at: unknown } ? T : never;
}[keyof DB & string];

// The helpers take the table and key column as values, which Kysely's builders cannot type for an
// arbitrary `DB`; the public signatures keep callers typed, the queries run on this loose view.
type LooseRow = Record<string, unknown>;
type LooseDb = Kysely<Record<string, LooseRow>>;

/**
 * Inserts a read-model row, or replaces every other column of the row with the same key: the
 * write of a projection whose event carries the whole row (a registration, a raise).
 *
 * @example
 * await upsertRow(trx, 'agent_registry.agents', 'agent_id', { agent_id: d.agentId, ... });
 */
export async function upsertRow<DB, T extends keyof DB & string>(db: Kysely<DB> | Transaction<DB>, table: T, key: NoInfer<keyof DB[T] & string>, row: NoInfer<Insertable<DB[T]>>): Promise<void> {
  const column: string = key;
  const { [column]: _key, ...rest } = row as LooseRow;
  await (db as unknown as LooseDb)
    .insertInto(table as string)
    .values(row as LooseRow)
    .onConflict((oc) => oc.column(column).doUpdateSet(rest))
    .execute();
}

/**
 * Changes some columns of the row with key `id`, stamping the revision and time of the event
 * that changed them; returns the row after the change (undefined when there is none).
 *
 * @example
 * await patchRow(trx, 'agent_registry.agents', 'agent_id', agentId, { online: false }, { revision, at });
 */
export async function patchRow<DB, T extends VersionedTable<DB>>(
  db: Kysely<DB> | Transaction<DB>,
  table: T,
  key: NoInfer<keyof DB[T] & string>,
  id: string,
  patch: NoInfer<Updateable<DB[T]>>,
  version: RowVersion,
): Promise<Selectable<DB[T]> | undefined> {
  const column: string = key;
  const row = await (db as unknown as LooseDb)
    .updateTable(table as string)
    .set({ ...(patch as LooseRow), revision: version.revision, updated_at: version.at })
    .where(column, '=', id)
    .returningAll()
    .executeTakeFirst();
  return row as Selectable<DB[T]> | undefined;
}
