import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted by code unit at every level, no white space, `undefined`
 * members left out (as `JSON.stringify` does), `undefined` in arrays written as `null`. The same
 * value always gives the same text whatever order its keys were built in, so the text can be
 * hashed: the event hash chain, command fingerprints, ids derived from content.
 *
 * Written into one string as it walks, with keys sorted in place: every append renders each
 * event's data and metadata with it, and the arrays the plain map/filter/join form built were
 * the largest source of garbage in the scheduler (about a seventh of what it allocated per task).
 *
 * @example
 * canonicalJson({ b: 1, a: [true, undefined] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // What JSON.stringify writes (a finite number's shortest round-trip form; NaN and infinities as null), without the call.
      return Number.isFinite(value) ? `${value}` : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value as Record<string, unknown>);
    default: {
      // undefined, functions and symbols are not JSON; a bigint throws in JSON.stringify.
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
      return text;
    }
  }
}

function canonicalArray(items: readonly unknown[]): string {
  let text = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) text += ',';
    const item = items[i];
    text += item === undefined ? 'null' : canonicalJson(item);
  }
  return `${text}]`;
}

/** Above this many keys, the built-in sort; below, insertion sort in place (no copy). */
const INSERTION_SORT_MAX = 16;

/**
 * Object keys as JSON strings, by key: the same few dozen field names (`occurredAt`, `taskId`,
 * ...) recur in every event, and a map lookup costs less than quoting them again (a third of the
 * renderer's time on an event's metadata). Bounded, so keys that come from users' data cannot
 * grow it without end: once full, further keys are quoted each time.
 */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(key, quoted);
  }
  return quoted;
}

function canonicalObject(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  const n = keys.length;
  if (n > INSERTION_SORT_MAX) keys.sort();
  else {
    for (let i = 1; i < n; i++) {
      const key = keys[i]!;
      let j = i - 1;
      // Code-unit order, as the built-in sort compares strings.
      while (j >= 0 && keys[j]! > key) {
        keys[j + 1] = keys[j]!;
        j--;
      }
      keys[j + 1] = key;
    }
  }
  let text = '{';
  let first = true;
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const member = record[key];
    if (member === undefined) continue;
    if (!first) text += ',';
    first = false;
    text += quotedKey(key);
    text += ':';
    text += canonicalJson(member);
  }
  return `${text}}`;
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
