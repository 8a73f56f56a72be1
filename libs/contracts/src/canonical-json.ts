import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted by code unit at every level, no white space, `undefined`
 * members left out (as `JSON.stringify` does), `undefined` in arrays written as `null`. The same
 * value always gives the same text whatever order its keys were built in, so the text can be
 * hashed: the event hash chain, command fingerprints, ids derived from content.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, undefined] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}

/**
 * A short, stable, id-safe digest of a text: the first `length` hex digits of its SHA-256.
 * For ids derived from other ids or content (run tasks, conflicts), not for secrets.
 *
 * @example
 * shortDigest('run-1\u0000build\u00000\u0000main', 32)
 */
export function shortDigest(text: string, length = 24): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
