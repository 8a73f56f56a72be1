import { assertJsonDepth, jsonNestingDepth, MAX_JSON_DEPTH } from './envelope';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('jsonNestingDepth', () => {
  it('counts objects and arrays, not scalars', () => {
    expect(jsonNestingDepth('1')).toBe(0);
    expect(jsonNestingDepth('{}')).toBe(1);
    expect(jsonNestingDepth('{"a":[1,{"b":2}],"c":{}}')).toBe(3);
    expect(jsonNestingDepth(bytes('[[[]],[]]'))).toBe(3);
  });

  it('ignores brackets inside strings, escaped quotes included, in bytes as in text', () => {
    const text = JSON.stringify({ s: '{[{[ \\" ]}"{', é: 'ü{' });
    expect(jsonNestingDepth(text)).toBe(1);
    expect(jsonNestingDepth(bytes(text))).toBe(1);
  });

  it('stops once the depth passes the bound', () => {
    expect(jsonNestingDepth('['.repeat(1000), 32)).toBe(33);
  });
});

describe('assertJsonDepth', () => {
  it(`refuses more than ${MAX_JSON_DEPTH} levels with VALIDATION_FAILED naming the bound`, () => {
    expect(() => assertJsonDepth('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => assertJsonDepth('['.repeat(MAX_JSON_DEPTH + 1))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: { maxDepth: MAX_JSON_DEPTH } }));
    expect(() => assertJsonDepth('{"a":{"b":{}}}', 2)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: { maxDepth: 2 } }));
  });
});
