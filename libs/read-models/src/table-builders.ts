import { isExpression, type ColumnDataType, type CreateTableBuilder, type Expression, type SchemaModule } from 'kysely';

/** A column's SQL type: a type kysely knows (`'text'`, `'timestamptz'`) or raw SQL (sql`text[]`). */
export type ColumnType = ColumnDataType | Expression<unknown>;

/** What {@link primaryKey} and {@link notNull} take besides the type. */
export interface ColumnOptions {
  /** `DEFAULT`: a literal (`0`, `false`, `'IDLE'`) or raw SQL (sql`'{}'`). */
  readonly defaultTo?: unknown;
  /** An inline `CHECK`; Postgres names it `<table>_<column>_check`. */
  readonly check?: Expression<unknown>;
}

/** One column: its type, whether it is the primary key or NOT NULL, and its default and check. */
export interface ColumnSpec extends ColumnOptions {
  readonly type: ColumnType;
  readonly primaryKey?: boolean;
  readonly notNull?: boolean;
}

/**
 * A table's columns, in order, by name: a bare {@link ColumnType} for a plain nullable column,
 * else a {@link ColumnSpec} (usually from {@link primaryKey} or {@link notNull}). The order of
 * the keys is the order of the columns (column names are never integer-like, which objects sort first).
 */
export type ColumnSpecs = Readonly<Record<string, ColumnType | ColumnSpec>>;

/** A `PRIMARY KEY` column (for a key of several columns, chain `addPrimaryKeyConstraint` instead). */
export function primaryKey(type: ColumnType, options: ColumnOptions = {}): ColumnSpec {
  return { ...options, type, primaryKey: true };
}

/** A `NOT NULL` column. */
export function notNull(type: ColumnType, options: ColumnOptions = {}): ColumnSpec {
  return { ...options, type, notNull: true };
}

function specOf(column: ColumnType | ColumnSpec): ColumnSpec {
  return typeof column === 'string' || isExpression(column) ? { type: column } : column;
}

/**
 * `CREATE TABLE` of a read model from a compact column list, for migrations: the same DDL as
 * one `addColumn` call a column, in the order given. Chain table constraints
 * (`addPrimaryKeyConstraint`) on the result, then `execute()`; create indexes apart.
 *
 * @example
 * const s = db.schema.withSchema('scheduler');
 * await createTable(s, 'runs', {
 *   run_id: primaryKey('text'),
 *   state: notNull('text', { check: sql`state IN ('running', 'success')` }),
 *   ended_at: 'timestamptz',
 *   revision: notNull('integer', { defaultTo: 0 }),
 * }).execute();
 */
export function createTable<TB extends string, S extends ColumnSpecs>(
  schema: SchemaModule,
  table: TB,
  columns: S,
): CreateTableBuilder<TB, keyof S & string> {
  let builder: CreateTableBuilder<TB, string> = schema.createTable(table);
  for (const [name, column] of Object.entries(columns)) {
    const spec = specOf(column);
    builder = builder.addColumn(name, spec.type, (c) => {
      let definition = spec.primaryKey ? c.primaryKey() : c;
      if (spec.notNull) definition = definition.notNull();
      if (spec.defaultTo !== undefined) definition = definition.defaultTo(spec.defaultTo);
      return spec.check === undefined ? definition : definition.check(spec.check);
    });
  }
  return builder as CreateTableBuilder<TB, keyof S & string>;
}
