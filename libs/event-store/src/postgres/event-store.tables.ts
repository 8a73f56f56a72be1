import type { ColumnType, Generated } from 'kysely';

/** bigint columns: pg returns int8 as text. */
type Int8 = ColumnType<string, number | string, never>;

export interface EventsTable {
  tx_id: Generated<string>;
  seq: Generated<string>;
  event_id: string;
  stream_id: string;
  category: string;
  revision: Int8;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  prev_hash: string;
  hash: string;
  /** 1: hashed in SQL over jsonb's text; 2: hashed in Node over canonical JSON (hash-chain.ts). */
  hash_version: Generated<number>;
}

export interface StreamsTable {
  stream_id: string;
  revision: Int8;
  last_hash: string;
}

/** Append-only ledger: the last revision and hash of every append, apart from the head row. */
export interface StreamAnchorsTable {
  stream_id: string;
  revision: Int8;
  hash: string;
}

export interface CommandsTable {
  stream_id: string;
  command_id: string;
  result: unknown;
}

/** The Kysely view of the store's schema (used with `withSchema(schema)`). */
export interface EventStoreDatabase {
  events: EventsTable;
  streams: StreamsTable;
  commands: CommandsTable;
  stream_anchors: StreamAnchorsTable;
}
