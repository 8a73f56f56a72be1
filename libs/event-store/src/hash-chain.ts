import { createHash } from 'node:crypto';
import { canonicalJson } from '@baton/contracts';

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
