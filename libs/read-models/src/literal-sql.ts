import { BatonError } from '@baton/contracts';
import { sqlLiteral } from './deferred-writes';

/**
 * Statements of a projection's hot writes as text, every value a literal (see
 * {@link executeLiteralWrite}). Built with Kysely, a page's upsert of 25 columns made a node
 * per value, a compile, and then `inline` wrote the values back in: 5-10% of the scheduler's
 * CPU in the dispatch and workflow benches. Here the fixed text of a statement (table, columns,
 * conflict clause) is built once, and each call only writes its values.
 *
 * Names are checked (lower-case letters, digits, underscores) and double-quoted; values go
 * through {@link sqlLiteral}, the text node-postgres would send for them as parameters.
 */

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** One name, quoted: `tasks` → `"tasks"`. */
function sqlName(name: string): string {
  if (!NAME.test(name)) throw new BatonError('VALIDATION_FAILED', `invalid SQL name "${name}": use lower-case letters, digits and underscores`);
  return `"${name}"`;
}

/** A table, schema-qualified or not: `scheduler.tasks` → `"scheduler"."tasks"`. */
export function sqlTable(table: string): string {
  return table.split('.').map(sqlName).join('.');
}

/** `(v1, v2, ...)`: the row's values in the order of `columns`; a column the row lacks is NULL. */
function valuesOf<Row>(row: Row, columns: readonly (keyof Row & string)[]): string {
  let out = '(';
  for (let i = 0; i < columns.length; i++) out += (i === 0 ? '' : ', ') + sqlLiteral(row[columns[i]!]);
  return out + ')';
}

/** What an INSERT does with a row whose key is taken: leave the row (`nothing`), or overwrite the columns named. */
export type OnKeyTaken<Row> = { readonly key: keyof Row & string } & ({ readonly nothing: true } | { readonly update: readonly (keyof Row & string)[] });

/**
 * The INSERT of rows into `table` with `columns` (one statement for all of them), its text
 * built once: the function it returns writes the values of the rows it is given.
 *
 * @example
 * const upsertTimers = insertRowsSql<TimerRow>('scheduler.timers', ['timer_id', 'due_at'], { key: 'timer_id', nothing: true });
 * await executeLiteralWrite(trx, upsertTimers(rows));
 */
export function insertRowsSql<Row>(table: string, columns: readonly (keyof Row & string)[], onKeyTaken?: OnKeyTaken<Row>): (rows: readonly Row[]) => string {
  if (columns.length === 0) throw new BatonError('VALIDATION_FAILED', `an INSERT into ${table} needs a column`);
  const head = `INSERT INTO ${sqlTable(table)} (${columns.map(sqlName).join(', ')}) VALUES `;
  let tail = '';
  if (onKeyTaken !== undefined) {
    const conflict = ` ON CONFLICT (${sqlName(onKeyTaken.key)}) DO `;
    tail = 'nothing' in onKeyTaken ? `${conflict}NOTHING` : `${conflict}UPDATE SET ${onKeyTaken.update.map((c) => `${sqlName(c)} = "excluded".${sqlName(c)}`).join(', ')}`;
  }
  return (rows) => {
    if (rows.length === 0) throw new BatonError('VALIDATION_FAILED', `an INSERT into ${table} needs a row`);
    let values = '';
    for (let i = 0; i < rows.length; i++) values += (i === 0 ? '' : ', ') + valuesOf(rows[i]!, columns);
    return head + values + tail;
  };
}

/** `UPDATE table SET c = v, ... WHERE key = id`: the columns `set` holds, each to its value. */
export function updateRowSql(table: string, set: Readonly<Record<string, unknown>>, key: string, id: unknown): string {
  const columns = Object.keys(set);
  if (columns.length === 0) throw new BatonError('VALIDATION_FAILED', `an UPDATE of ${table} needs a column to set`);
  return `UPDATE ${sqlTable(table)} SET ${columns.map((c) => `${sqlName(c)} = ${sqlLiteral(set[c])}`).join(', ')} WHERE ${sqlName(key)} = ${sqlLiteral(id)}`;
}

/** `DELETE FROM table WHERE column IN (v, ...)`. */
export function deleteWhereInSql(table: string, column: string, values: readonly unknown[]): string {
  if (values.length === 0) throw new BatonError('VALIDATION_FAILED', `a DELETE from ${table} needs a value of ${column}`);
  return `DELETE FROM ${sqlTable(table)} WHERE ${sqlName(column)} IN (${values.map(sqlLiteral).join(', ')})`;
}
