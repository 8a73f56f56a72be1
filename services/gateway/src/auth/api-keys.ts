import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { GatewayRole } from '@baton/contracts';
import type { Principal } from './principal';

/**
 * The API-key file (`BATON_API_KEYS_FILE`): service accounts and the SHA-256 of their keys. Keys
 * are long random strings (`openssl rand -hex 32`), so one fast hash is enough to keep them
 * unreadable at rest and costs a microsecond per request; the plaintext key is never stored.
 */
export const ApiKeysFile = z.strictObject({
  keys: z.array(
    z.strictObject({
      /** The service account: the actor its commands carry. */
      id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/),
      name: z.string().max(200).optional(),
      /** Hex SHA-256 of the key. */
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      roles: z.array(GatewayRole).min(1),
      groups: z.array(z.string().min(1).max(200)).default([]),
    }),
  ),
});
export type ApiKeysFile = z.infer<typeof ApiKeysFile>;

/** Hex SHA-256 of an API key, as the key file stores it. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Service accounts by key hash. */
export class ApiKeyRing {
  /**
   * Keys already presented and found, so each further request of an account (a busy one, or one
   * that floods and is refused) costs a map lookup instead of a hash. Only keys that match an
   * account enter, so it holds at most one entry per account, and a reload makes a new ring.
   */
  private readonly seen = new Map<string, Principal>();

  private constructor(private readonly byHash: ReadonlyMap<string, Principal>) {}

  static empty(): ApiKeyRing {
    return new ApiKeyRing(new Map());
  }

  static of(file: ApiKeysFile): ApiKeyRing {
    const byHash = new Map<string, Principal>();
    for (const k of file.keys) byHash.set(k.sha256, { id: k.id, kind: 'service', name: k.name ?? null, roles: k.roles, groups: k.groups });
    return new ApiKeyRing(byHash);
  }

  /** Reads and checks the key file; a malformed file stops start-up (or a reload) with the reason. */
  static async load(file: string): Promise<ApiKeyRing> {
    const parsed = ApiKeysFile.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return ApiKeyRing.of(parsed.data);
  }

  get size(): number {
    return this.byHash.size;
  }

  /**
   * The account of a presented key, or undefined. An unknown key is looked up by its hash: what a
   * timing difference could reveal is how much of a hash matched, which says nothing usable about
   * a key. The map of keys already seen compares two strings' text only after their engine
   * hashes agree, so there too a near guess is no quicker to tell from a far one.
   */
  principalOf(key: string): Principal | undefined {
    const seen = this.seen.get(key);
    if (seen !== undefined) return seen;
    const principal = this.byHash.get(hashApiKey(key));
    if (principal !== undefined) this.seen.set(key, principal);
    return principal;
  }
}
