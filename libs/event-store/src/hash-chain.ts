import { hash as digest } from 'node:crypto';
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
 * How a stored event's hash was computed. Version 1 (Postgres events appended before
 * migration 0004, and the SQL functions `append` / `append_group`): SHA-256 in SQL over the
 * text jsonb renders, so only Postgres can recompute it (`event_hash`). Version 2 (every
 * append of the Postgres adapter since, and every KurrentDB event): `eventHash` below,
 * computed in Node over canonical JSON, so the database hashes nothing.
 */
export const HASH_VERSION_SQL_JSONB = 1;
export const HASH_VERSION_CANONICAL_JSON = 2;

/**
 * Hash of one event in a stream's chain (hash version 2): hex SHA-256 of `prevHash`
 * followed by the canonical JSON of `[streamId, revision, eventId, type, schemaVersion,
 * data, metadata]`. Changing any field, or the previous event, changes the hash.
 */
export function eventHash(prevHash: string, e: HashedEventFields): string {
  return sha256Hex(prevHash + canonicalJson([e.streamId, e.revision, e.eventId, e.type, e.schemaVersion, e.data, e.metadata]));
}

/** One-shot SHA-256: about half the CPU of a Hash object for texts of an event's size. */
function sha256Hex(text: string): string {
  return digest('sha256', text, 'hex');
}

/** An event about to be chained: its revision comes from its place in the append. */
export type ChainInput = Omit<HashedEventFields, 'streamId' | 'revision'>;

/** One event linked into its stream's chain, with the canonical JSON texts it was hashed over. */
export interface ChainLink {
  readonly revision: number;
  readonly prevHash: string;
  readonly hash: string;
  /** canonicalJson(data) and canonicalJson(metadata): what gets stored, so each is rendered once. */
  readonly dataJson: string;
  readonly metadataJson: string;
}

/**
 * Links events after a stream head (revision `headRevision`, -1 for a new stream, and its
 * hash): the same hashes as `eventHash`, with data and metadata rendered once for both the
 * hash and the row.
 */
export function chainEvents(streamId: string, headRevision: number, headHash: string, events: readonly ChainInput[]): ChainLink[] {
  const stream = JSON.stringify(streamId);
  let prevHash = headHash;
  return events.map((e, i) => {
    const revision = headRevision + 1 + i;
    const dataJson = canonicalJson(e.data);
    const metadataJson = canonicalJson(e.metadata);
    // Byte for byte canonicalJson([streamId, revision, eventId, type, schemaVersion, data, metadata]).
    const hash = sha256Hex(`${prevHash}[${stream},${revision},${JSON.stringify(e.eventId)},${JSON.stringify(e.type)},${e.schemaVersion},${dataJson},${metadataJson}]`);
    const link = { revision, prevHash, hash, dataJson, metadataJson };
    prevHash = hash;
    return link;
  });
}

/** A stored event as a chain verifier sees it. */
export interface StoredLink extends HashedEventFields {
  readonly prevHash: string;
  readonly hash: string;
  readonly hashVersion: number;
  /** Version 1 only: the hash recomputed by the database (the text it hashes is jsonb's). */
  readonly recomputedInSql?: string | null;
}

/** The first broken link of a chain: the revision and why. */
export interface ChainBreak {
  readonly brokenAt: number;
  readonly reason: string;
}

/**
 * Walks a stream's chain one stored event at a time, in revision order: each revision in
 * turn, each prev_hash against the hash before it, each hash recomputed by its version.
 */
export class ChainWalk {
  /** Revision the next event must have; after the walk, the number of events checked. */
  expectedRevision = 0;
  /** Hash of the last event checked (the genesis hash before the first). */
  prevHash: string;

  constructor(genesisHash: string) {
    this.prevHash = genesisHash;
  }

  /** Checks the next stored event; returns the break, or undefined when the link holds. */
  next(e: StoredLink): ChainBreak | undefined {
    if (e.revision !== this.expectedRevision) {
      return { brokenAt: this.expectedRevision, reason: `revision ${this.expectedRevision} is missing (next stored revision is ${e.revision})` };
    }
    if (e.prevHash !== this.prevHash) {
      return { brokenAt: e.revision, reason: `prev_hash ${e.prevHash} does not match the hash ${this.prevHash} of revision ${e.revision - 1}` };
    }
    const recomputed = recomputeHash(e);
    if (recomputed !== e.hash) {
      return {
        brokenAt: e.revision,
        reason: `stored event does not match its hash: expected ${e.hash}, recomputed ${recomputed ?? `nothing (unknown hash version ${e.hashVersion})`} (data, metadata or header was changed)`,
      };
    }
    this.prevHash = e.hash;
    this.expectedRevision++;
    return undefined;
  }
}

function recomputeHash(e: StoredLink): string | undefined {
  if (e.hashVersion === HASH_VERSION_CANONICAL_JSON) return eventHash(e.prevHash, e);
  if (e.hashVersion === HASH_VERSION_SQL_JSONB) return e.recomputedInSql ?? undefined;
  return undefined;
}
