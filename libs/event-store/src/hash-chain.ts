import { createHash } from 'node:crypto';

/**
 * Canonical JSON: keys sorted by code unit, no whitespace, so the same value always gives
 * the same text whatever the key order it was built with. Used for the hash chain of
 * adapters that hash in the application (Kurrent).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The parts of an event covered by its hash. */
export interface HashedEventFields {
  readonly streamId: string;
  readonly revision: number;
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: unknown;
}

/**
 * Hash of one event in a stream's chain: hex SHA-256 of `prevHash` followed by the
 * canonical JSON of `[streamId, revision, eventId, type, schemaVersion, data, metadata]`.
 * Changing any field, or the previous event, changes the hash.
 */
export function eventHash(prevHash: string, e: HashedEventFields): string {
  return createHash('sha256')
    .update(prevHash)
    .update(canonicalJson([e.streamId, e.revision, e.eventId, e.type, e.schemaVersion, e.data, e.metadata]))
    .digest('hex');
}
