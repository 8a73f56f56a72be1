import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** The definition, written as plainly as possible: the optimized renderer must give the same text. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`${typeof value} is not JSON`);
    return text;
  }
  if (Array.isArray(value)) return `[${Array.from(value, (v) => reference(v === undefined ? null : v)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(record[k])}`).join(',')}}`;
}

/** Deterministic numbers in [0, 1): SHA-256 of the seed and a counter, so a failure names a reproducible seed. */
function random(seed: number): () => number {
  let n = 0;
  return () => createHash('sha256').update(`${seed}:${n++}`).digest().readUInt32BE(0) / 4294967296;
}

const KEY_CHARS = ['a', 'b', 'Z', '_', '0', 'é', '\u{1F600}', '"', '\\', ' ', '\u0001', 'ß'];

function key(r: () => number): string {
  let k = '';
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) k += KEY_CHARS[Math.floor(r() * KEY_CHARS.length)];
  return k;
}

function value(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor(r() * 2000) - 1000;
    case 3:
      return (r() - 0.5) * 1e6;
    case 4:
      return key(r) + key(r);
    case 5:
      return [NaN, Infinity, -0, 1e21, 5e-7][Math.floor(r() * 5)];
    case 6:
      return Array.from({ length: Math.floor(r() * 5) }, () => (r() < 0.1 ? undefined : value(r, depth + 1)));
    default: {
      // Up to 24 keys: both the insertion sort and the built-in one are exercised.
      const o: Record<string, unknown> = {};
      const n = Math.floor(r() * (r() < 0.2 ? 24 : 6));
      for (let i = 0; i < n; i++) o[key(r)] = r() < 0.1 ? undefined : value(r, depth + 1);
      return o;
    }
  }
}

describe('canonicalJson', () => {
  it('renders like its definition for 5,000 generated values (keys in any order, unicode, escapes, undefined members)', () => {
    for (let seed = 1; seed <= 5000; seed++) {
      const v = value(random(seed), 0);
      expect({ seed, text: canonicalJson(v) }).toEqual({ seed, text: reference(v) });
    }
  });

  it('sorts keys by code unit, numeric-looking keys included, and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: 2, B: 3, 10: 'x', 9: 'y', é: 0, u: undefined })).toBe('{"10":"x","9":"y","B":3,"a":2,"b":1,"é":0}');
    expect(canonicalJson([undefined, { z: [], y: {} }])).toBe('[null,{"y":{},"z":[]}]');
  });

  it('renders keys right past the bound of its quoted-key map (keys from users\' data)', () => {
    const many = Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`key "${i}"\\`, i]));
    expect(canonicalJson(many)).toBe(reference(many));
    expect(canonicalJson(many)).toBe(reference(many));
  });

  it('is the same text whatever order the keys were built in', () => {
    const keys = Array.from({ length: 30 }, (_, i) => `k${(i * 7) % 30}`);
    const forward = Object.fromEntries(keys.map((k) => [k, k.length]));
    const backward = Object.fromEntries([...keys].reverse().map((k) => [k, k.length]));
    expect(canonicalJson(forward)).toBe(canonicalJson(backward));
  });

  it('refuses what is not JSON', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
    expect(() => canonicalJson([Symbol('s')])).toThrow(TypeError);
    expect(() => canonicalJson(10n)).toThrow(TypeError);
  });
});
