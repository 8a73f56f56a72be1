import { CompiledQuery, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type Driver } from 'kysely';
import { escapeLiteral } from 'pg';
import { inline, quoteLiteral, sqlLiteral } from './deferred-writes';

interface Db {
  't.items': { id: string; n: number; tags: string[]; at: Date; doc: string; flag: boolean | null };
}

// A Kysely that only compiles (no driver is ever asked for a connection).
const compileOnly = new Kysely<Db>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => ({}) as Driver,
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

describe('sqlLiteral', () => {
  it("quotes what node-postgres would send for a parameter, so Postgres infers the type from the statement", () => {
    expect(sqlLiteral(null)).toBe('NULL');
    expect(sqlLiteral(undefined)).toBe('NULL');
    expect(sqlLiteral('plain')).toBe("'plain'");
    expect(sqlLiteral("it's")).toBe("'it''s'");
    // A backslash makes it an escape string, with the backslash doubled.
    expect(sqlLiteral('a\\b')).toBe(" E'a\\\\b'");
    expect(sqlLiteral(42)).toBe("'42'");
    expect(sqlLiteral(-1.5)).toBe("'-1.5'");
    expect(sqlLiteral(12345678901234567890n)).toBe("'12345678901234567890'");
    expect(sqlLiteral(true)).toBe("'true'");
    expect(sqlLiteral(['a', 'b,c'])).toBe(`'{"a","b,c"}'`);
    // An array element with a quote is escaped with a backslash, which the literal doubles.
    expect(sqlLiteral(['d"e'])).toBe(String.raw` E'{"d\\"e"}'`);
    expect(sqlLiteral(Buffer.from([0, 255]))).toBe("'\\x00ff'");
    expect(sqlLiteral({ k: "v'" })).toBe(`'{"k":"v''"}'`);
    const at = new Date('2026-12-07T01:02:03.004Z');
    // The same text node-postgres sends (a local time with its offset): the same instant.
    expect(new Date(sqlLiteral(at).slice(1, -1)).getTime()).toBe(at.getTime());
  });
});

describe('quoteLiteral', () => {
  it("writes what pg's escapeLiteral writes, on 5,000 generated strings of quotes, backslashes and other characters", () => {
    // A small deterministic generator (no Math.random: a failure must reproduce).
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = ["'", '\\', '"', 'a', ' ', '$', '1', 'é', '\u{1F600}', '\n', ',', '{'];
    for (let i = 0; i < 5000; i++) {
      let text = '';
      const length = Math.floor(next() * 12);
      for (let c = 0; c < length; c++) text += alphabet[Math.floor(next() * alphabet.length)];
      expect(quoteLiteral(text)).toBe(escapeLiteral(text));
    }
    expect(quoteLiteral('')).toBe("''");
  });
});

describe('inline', () => {
  it('writes each $n of a compiled statement as its literal, $10 as the tenth, not $1 and a 0', () => {
    const values = Array.from({ length: 11 }, (_, i) => `v${i + 1}`);
    const text = `SELECT ${values.map((_, i) => `$${i + 1}`).join(', ')}`;
    expect(inline(CompiledQuery.raw(text, values))).toBe(`SELECT ${values.map((v) => `'${v}'`).join(', ')}`);
  });

  it('leaves $n inside quoted strings and identifiers alone, doubled quotes included', () => {
    const q = CompiledQuery.raw(`SELECT '$1 it''s $2', "col$1""x", $1, $2`, ['a', 'b']);
    expect(inline(q)).toBe(`SELECT '$1 it''s $2', "col$1""x", 'a', 'b'`);
  });

  it('returns the text as it is when there is nothing to write in', () => {
    expect(inline(CompiledQuery.raw('COMMIT'))).toBe('COMMIT');
  });

  it('refuses a placeholder the statement has no value for', () => {
    expect(() => inline(CompiledQuery.raw('SELECT $2', ['only one']))).toThrow('statement names parameter $2 of 1');
  });

  it('inlines a Kysely upsert whole', () => {
    const compiled = compileOnly
      .insertInto('t.items')
      .values({ id: "x'1", n: 3, tags: ['a'], at: new Date(0), doc: JSON.stringify({ a: 1 }), flag: null })
      .onConflict((oc) => oc.column('id').doUpdateSet({ n: sql`t.items.n + ${1}` }))
      .compile();
    const text = inline(compiled);
    expect(text).not.toMatch(/\$\d/);
    expect(text).toContain(`values ('x''1', '3', '{"a"}', '`);
    expect(text).toContain(`'{"a":1}', NULL)`);
    expect(text).toContain(`"n" = t.items.n + '1'`);
  });
});
