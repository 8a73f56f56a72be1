import type { Clock } from '@baton/aggregate';
import type { Kysely } from 'kysely';
import { contentAddress } from '../app/artifact-content';
import type { ArtifactStore, PutArtifactResult, StoredArtifact } from '../app/ports';
import type { HandoffDatabase } from '../read-model/handoffs.table';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The {@link ArtifactStore} on PostgreSQL: `baton_handoff.artifacts`, keyed by hash, bytes in a
 * `bytea` column. `put` inserts with ON CONFLICT DO NOTHING, so the same bytes put twice (or by
 * two requests at once) are stored once. Suits artifacts up to a few MiB (the validator's limit
 * is below 1 MiB); larger or many more call for an object-store adapter.
 */
export class PostgresArtifactStore implements ArtifactStore {
  constructor(
    private readonly db: Kysely<HandoffDatabase>,
    private readonly clock: Clock,
  ) {}

  async put(bytes: Uint8Array, mediaType: string): Promise<PutArtifactResult> {
    const hash = contentAddress(bytes);
    const inserted = await this.db
      .insertInto('baton_handoff.artifacts')
      .values({ hash, size: bytes.byteLength, media_type: mediaType, content: asBuffer(bytes), created_at: this.clock.now() })
      .onConflict((oc) => oc.column('hash').doNothing())
      .returning(['size', 'media_type'])
      .executeTakeFirst();
    if (inserted) return { hash, size: inserted.size, mediaType: inserted.media_type, created: true };
    const existing = await this.db
      .selectFrom('baton_handoff.artifacts')
      .select(['size', 'media_type'])
      .where('hash', '=', hash)
      .executeTakeFirstOrThrow();
    return { hash, size: existing.size, mediaType: existing.media_type, created: false };
  }

  async get(hash: string): Promise<StoredArtifact | null> {
    const row = await this.db.selectFrom('baton_handoff.artifacts').select(['media_type', 'content']).where('hash', '=', hash).executeTakeFirst();
    return row ? { bytes: row.content, mediaType: row.media_type } : null;
  }

  async has(hashes: readonly string[]): Promise<ReadonlySet<string>> {
    if (hashes.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('baton_handoff.artifacts')
      .select('hash')
      .where('hash', 'in', [...new Set(hashes)])
      .execute();
    return new Set(rows.map((r) => r.hash));
  }
}
