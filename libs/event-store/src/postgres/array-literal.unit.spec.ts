import { prepareValue } from 'pg/lib/utils';
import { integerArrayLiteral, textArrayLiteral } from './array-literal';

describe('array literals', () => {
  it("write what node-postgres sends for the same JS array, on 2,000 generated arrays of quotes, backslashes, NULLs and other text", () => {
    // A small deterministic generator (no Math.random: a failure must reproduce).
    let seed = 11;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = ['"', '\\', "'", 'a', ' ', ',', '{', '}', 'NULL', 'é', '\u{1F600}', '\n', '-'];
    for (let i = 0; i < 2000; i++) {
      const values: (string | null)[] = Array.from({ length: Math.floor(next() * 6) }, () => {
        if (next() < 0.15) return null;
        let text = '';
        const length = Math.floor(next() * 10);
        for (let c = 0; c < length; c++) text += alphabet[Math.floor(next() * alphabet.length)];
        return text;
      });
      expect(textArrayLiteral(values)).toBe(prepareValue(values));
    }
  });

  it('write integers as node-postgres does, without the quotes it puts around each (the same array to Postgres), the empty array as {}', () => {
    for (const values of [[], [0], [-1, 0, 1], [Number.MAX_SAFE_INTEGER, 42]]) expect(integerArrayLiteral(values)).toBe((prepareValue(values) as string).replaceAll('"', ''));
    expect(textArrayLiteral([])).toBe('{}');
  });
});
