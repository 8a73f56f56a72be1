import type { Clock } from '@baton/aggregate';
import { BatonError } from '@baton/contracts';
import { sql, type Kysely } from 'kysely';
import { contentAddress } from '../app/artifact-content';
import type { ArtifactStore, NewArtifact, PutArtifactResult, StoredArtifact } from '../app/ports';
import { RecentMap } from '../app/recent-map';
import type { HandoffDatabase } from '../read-model/handoffs.table';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Addresses this process knows to be stored, by default (about 100 bytes each). */
const DEFAULT_KNOWN_HASHES = 10_000;

interface Known {
  readonly size: number;
  readonly mediaType: string;
}

/**
 * The {@link ArtifactStore} on PostgreSQL: `baton_handoff.artifacts`, keyed by hash, bytes in a
 * `bytea` column. `put` inserts with ON CONFLICT DO NOTHING, so the same bytes put twice (or by
 * two requests at once) are stored once. Suits artifacts up to a few MiB (the validator's limit
 * is below 1 MiB); larger or many more call for an object-store adapter.
 *
 * Agents hand the same documents over stage after stage, so the addresses this process has
 * stored or read (at most `knownHashes`, least recently used go first) are not written again:
 * rows are never deleted or changed (an address always names the same bytes, and the media type
 * is the first one stored), so what was stored once is stored for good.
 */
export class PostgresArtifactStore implements ArtifactStore {
  private readonly known: RecentMap<string, Known>;

  constructor(
    private readonly db: Kysely<HandoffDatabase>,
    private readonly clock: Clock,
    options: { readonly knownHashes?: number } = {},
  ) {
    this.known = new RecentMap({ maxEntries: options.knownHashes ?? DEFAULT_KNOWN_HASHES });
  }

  /**
   * One round trip for every artifact not known to be stored, new or already there: the insert
   * and the read of rows that were there before run in one statement. Only a row committed by a
   * concurrent put after the statement began (the insert then does nothing, and the read does
   * not see it) costs a second read.
   */
  async put(artifacts: readonly NewArtifact[]): Promise<PutArtifactResult[]> {
    const hashes = artifacts.map((a) => contentAddress(a.bytes));
    const stored = new Map<string, Known & { created: boolean }>();
    const unknown = new Map<string, NewArtifact>();
    hashes.forEach((hash, i) => {
      const k = this.known.get(hash);
      if (k !== undefined) stored.set(hash, { ...k, created: false });
      else unknown.set(hash, artifacts[i]!);
    });
    if (unknown.size > 0) {
      const rows = [...unknown];
      const { rows: found } = await sql<{ hash: string; size: number; media_type: string; created: boolean }>`
        WITH input AS (
          SELECT * FROM unnest(${rows.map(([h]) => h)}::text[], ${rows.map(([, a]) => a.bytes.byteLength)}::int[],
                               ${rows.map(([, a]) => a.mediaType)}::text[], ${rows.map(([, a]) => asBuffer(a.bytes))}::bytea[])
            AS i(hash, size, media_type, content)
        ), inserted AS (
          INSERT INTO baton_handoff.artifacts (hash, size, media_type, content, created_at)
          SELECT hash, size, media_type, content, ${this.clock.now()} FROM input
          ON CONFLICT (hash) DO NOTHING
          RETURNING hash, size, media_type, true AS created
        )
        SELECT hash, size, media_type, created FROM inserted
        UNION ALL
        SELECT a.hash, a.size, a.media_type, false AS created FROM baton_handoff.artifacts a
         WHERE a.hash IN (SELECT hash FROM input) AND a.hash NOT IN (SELECT hash FROM inserted)`.execute(this.db);
      for (const row of found) stored.set(row.hash, { size: row.size, mediaType: row.media_type, created: row.created });
      const late = rows.map(([h]) => h).filter((h) => !stored.has(h));
      if (late.length > 0) {
        const rest = await this.db.selectFrom('baton_handoff.artifacts').select(['hash', 'size', 'media_type']).where('hash', 'in', late).execute();
        for (const row of rest) stored.set(row.hash, { size: row.size, mediaType: row.media_type, created: false });
      }
      for (const [hash, k] of stored) if (unknown.has(hash)) this.known.set(hash, { size: k.size, mediaType: k.mediaType });
    }
    return hashes.map((hash) => {
      const k = stored.get(hash);
      if (k === undefined) throw new BatonError('INTERNAL', `artifact ${hash} was neither stored nor found after its insert`);
      return { hash, size: k.size, mediaType: k.mediaType, created: k.created };
    });
  }

  knownStored(hashes: readonly string[]): boolean {
    return hashes.every((h) => this.known.get(h) !== undefined);
  }

  async get(hash: string): Promise<StoredArtifact | null> {
    const row = await this.db.selectFrom('baton_handoff.artifacts').select(['media_type', 'content']).where('hash', '=', hash).executeTakeFirst();
    if (!row) return null;
    this.known.set(hash, { size: row.content.byteLength, mediaType: row.media_type });
    return { bytes: row.content, mediaType: row.media_type };
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
