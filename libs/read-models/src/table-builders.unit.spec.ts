import { Kysely, PostgresDialect, sql } from 'kysely';
import { createTable, notNull, primaryKey } from './table-builders';

// Only compiled, never executed: the pool is never asked for.
const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: () => Promise.reject(new Error('compile only')) }) });
const s = db.schema.withSchema('rm_test');

describe('createTable', () => {
  it('declares each kind of column as the matching addColumn call would, in the order given', () => {
    const declared = createTable(s, 'things', {
      thing_id: primaryKey('text', { check: sql`thing_id <> ''` }),
      label: 'text',
      tags: notNull(sql`text[]`, { defaultTo: sql`'{}'` }),
      state: notNull('text', { defaultTo: 'IDLE', check: sql`state IN ('IDLE', 'BUSY')` }),
      hits: notNull('integer', { defaultTo: 0 }),
      live: notNull('boolean', { defaultTo: false }),
      outcome: { type: 'text', check: sql`outcome IN ('ok', 'failed')` },
      seq: notNull('bigserial'),
    });
    const chained = s
      .createTable('things')
      .addColumn('thing_id', 'text', (c) => c.primaryKey().check(sql`thing_id <> ''`))
      .addColumn('label', 'text')
      .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .addColumn('state', 'text', (c) => c.notNull().defaultTo('IDLE').check(sql`state IN ('IDLE', 'BUSY')`))
      .addColumn('hits', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('live', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('outcome', 'text', (c) => c.check(sql`outcome IN ('ok', 'failed')`))
      .addColumn('seq', 'bigserial', (c) => c.notNull());

    expect(declared.compile().sql).toBe(chained.compile().sql);
    expect(declared.compile().sql).toBe(
      'create table "rm_test"."things" (' +
        `"thing_id" text primary key check (thing_id <> ''), ` +
        '"label" text, ' +
        `"tags" text[] default '{}' not null, ` +
        `"state" text default 'IDLE' not null check (state IN ('IDLE', 'BUSY')), ` +
        '"hits" integer default 0 not null, ' +
        '"live" boolean default false not null, ' +
        `"outcome" text check (outcome IN ('ok', 'failed')), ` +
        '"seq" bigserial not null)',
    );
  });

  it('leaves table constraints to chain on the result', () => {
    const sqlText = createTable(s, 'pairs', { a: notNull('text'), b: notNull('integer') })
      .addPrimaryKeyConstraint('pairs_pk', ['a', 'b'])
      .compile().sql;
    expect(sqlText).toBe('create table "rm_test"."pairs" ("a" text not null, "b" integer not null, constraint "pairs_pk" primary key ("a", "b"))');
  });
});
