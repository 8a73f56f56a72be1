import type { Clock } from '@baton/aggregate';
import { sql, type Kysely } from 'kysely';
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

  /**
   * One round trip when the bytes are new or already stored: the insert and the read of a row
   * that was there before run in one statement. Only a row committed by a concurrent put after
   * the statement began (the insert then does nothing, and the read does not see it) costs a
   * second read.
   */
  async put(bytes: Uint8Array, mediaType: string): Promise<PutArtifactResult> {
    const hash = contentAddress(bytes);
    const { rows } = await sql<{ size: number; media_type: string; created: boolean }>`
      WITH inserted AS (
        INSERT INTO baton_handoff.artifacts (hash, size, media_type, content, created_at)
        VALUES (${hash}, ${bytes.byteLength}, ${mediaType}, ${asBuffer(bytes)}, ${this.clock.now()})
        ON CONFLICT (hash) DO NOTHING
        RETURNING size, media_type, true AS created
      )
      SELECT size, media_type, created FROM inserted
      UNION ALL
      SELECT size, media_type, false AS created FROM baton_handoff.artifacts WHERE hash = ${hash} AND NOT EXISTS (SELECT 1 FROM inserted)`.execute(this.db);
    const row = rows[0];
    if (row) return { hash, size: row.size, mediaType: row.media_type, created: row.created };
    const existing = await this.db.selectFrom('baton_handoff.artifacts').select(['size', 'media_type']).where('hash', '=', hash).executeTakeFirstOrThrow();
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
