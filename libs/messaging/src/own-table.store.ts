import type { Pool } from 'pg';

const IDENT = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** Validates a (schema-qualified) table name before it goes into SQL. */
export function sqlIdentifier(name: string): string {
  if (!IDENT.test(name)) throw new Error(`invalid table name "${name}": use lower-case letters, digits and underscores`);
  return name;
}

/** Where a store of {@link OwnTableStore} keeps its rows. */
export interface OwnTableOptions {
  /** Table name, optionally schema-qualified (each store has its default). */
  readonly table?: string;
}

/**
 * A Postgres store whose rows live in one table of its own: the (validated) table name and
 * {@link ensureSchema}, which creates the table with the store's columns.
 */
export abstract class OwnTableStore {
  protected readonly table: string;

  /** `columns`: the column and constraint definitions of `CREATE TABLE`. */
  protected constructor(
    protected readonly pool: Pool,
    table: string,
    private readonly columns: string,
  ) {
    this.table = sqlIdentifier(table);
  }

  /** Creates the table if it does not exist. */
  async ensureSchema(): Promise<void> {
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.table} (${this.columns})`);
  }
}
