/** What {@link ArtifactStore.put} did: the artifact's address, and whether these bytes were new. */
export interface PutArtifactResult {
  /** `sha256:<64 hex>` of the bytes ({@link contentAddress}). */
  readonly hash: string;
  readonly size: number;
  /** The media type stored with the bytes: the one they were first put with. */
  readonly mediaType: string;
  /** False when the same bytes were already stored (nothing was written). */
  readonly created: boolean;
}

/** Bytes read back from an {@link ArtifactStore}. */
export interface StoredArtifact {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
}

/** Bytes to store, with the media type they are stored with when they are new. */
export interface NewArtifact {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
}

/**
 * Content-addressed artifact storage: an artifact's address is the SHA-256 of its bytes, so the
 * same bytes are stored once however often they are handed over, and an address always names
 * the same bytes. Adapters: `PostgresArtifactStore` (table `baton_handoff.artifacts`). Another
 * backend (an S3-style object store) implements these four methods, computes the address with
 * {@link contentAddress} and is passed to `startHandoffValidator({ artifactStore })`; see the
 * service README.
 */
export interface ArtifactStore {
  /**
   * Stores each artifact's bytes under their hash unless already there, all in one go (a handoff's
   * artifacts are stored together); one result per artifact, in order. Idempotent; safe to call
   * concurrently with the same bytes.
   */
  put(artifacts: readonly NewArtifact[]): Promise<PutArtifactResult[]>;
  /** The bytes and media type stored under `hash`, or null when none are. */
  get(hash: string): Promise<StoredArtifact | null>;
  /** The subset of `hashes` that is stored. */
  has(hashes: readonly string[]): Promise<ReadonlySet<string>>;
  /**
   * True when every one of `hashes` is known to be stored already, from what this process
   * remembers (no read): a `put` of them then writes nothing. False says nothing either way, so
   * an adapter that remembers nothing may always answer false.
   */
  knownStored(hashes: readonly string[]): boolean;
}
