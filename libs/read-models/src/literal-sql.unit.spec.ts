import { deleteWhereInSql, insertRowsSql, sqlTable, updateRowSql } from './literal-sql';

describe('literal SQL', () => {
  it('quotes each part of a table name and refuses a name that is not plain', () => {
    expect(sqlTable('scheduler.tasks')).toBe('"scheduler"."tasks"');
    expect(sqlTable('tasks')).toBe('"tasks"');
    expect(() => sqlTable('scheduler.tasks; DROP TABLE x')).toThrow(/invalid SQL name/);
    expect(() => sqlTable('Tasks')).toThrow(/lower-case/);
  });

  it('writes an INSERT of several rows, values as literals in column order, with its conflict clause', () => {
    const insert = insertRowsSql<{ id: string; n: number | null; at: Date }>('s.t', ['id', 'n'], { key: 'id', update: ['n'] });
    expect(insert([{ id: "it's", n: 1, at: new Date(0) }, { id: 'b', n: null, at: new Date(0) }])).toBe(
      `INSERT INTO "s"."t" ("id", "n") VALUES ('it''s', '1'), ('b', NULL) ON CONFLICT ("id") DO UPDATE SET "n" = "excluded"."n"`,
    );
    expect(insertRowsSql<{ id: string }>('s.t', ['id'], { key: 'id', nothing: true })([{ id: 'a' }])).toBe(`INSERT INTO "s"."t" ("id") VALUES ('a') ON CONFLICT ("id") DO NOTHING`);
    expect(insertRowsSql<{ id: string }>('s.t', ['id'])([{ id: 'a' }])).toBe(`INSERT INTO "s"."t" ("id") VALUES ('a')`);
  });

  it('refuses an INSERT with no rows or no columns, an UPDATE with nothing to set and a DELETE with no values', () => {
    expect(() => insertRowsSql<{ id: string }>('s.t', ['id'])([])).toThrow(/needs a row/);
    expect(() => insertRowsSql<{ id: string }>('s.t', [])).toThrow(/needs a column/);
    expect(() => updateRowSql('s.t', {}, 'id', 'a')).toThrow(/needs a column to set/);
    expect(() => deleteWhereInSql('s.t', 'id', [])).toThrow(/needs a value/);
  });

  it('writes an UPDATE of the columns given and a DELETE of the keys given', () => {
    expect(updateRowSql('s.t', { n: 2, note: null, ok: true }, 'id', 'a\\b')).toBe(`UPDATE "s"."t" SET "n" = '2', "note" = NULL, "ok" = 'true' WHERE "id" =  E'a\\\\b'`);
    expect(deleteWhereInSql('s.t', 'task_id', ['a', "b'"])).toBe(`DELETE FROM "s"."t" WHERE "task_id" IN ('a', 'b''')`);
    expect(() => updateRowSql('s.t', { 'n = 1; --': 2 }, 'id', 'a')).toThrow(/invalid SQL name/);
  });
});
