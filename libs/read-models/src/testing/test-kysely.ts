import { createTestDatabase, type TestDatabase } from '@baton/testing';
import type { Kysely } from 'kysely';
import { createKysely } from '../kysely';

/** Test-only: a fresh test database and a Kysely on it (with a pool of its own). */
export interface TestKysely<DB> {
  readonly tdb: TestDatabase;
  readonly db: Kysely<DB>;
  /** Destroys the Kysely, then drops the database. */
  close(): Promise<void>;
}

/**
 * Test-only: creates a test database (`label` as in `createTestDatabase`) and a Kysely on it.
 *
 * @example
 * let t: TestKysely<Db>;
 * beforeAll(async () => { t = await createTestKysely<Db>('read_models_x'); });
 * afterAll(() => t.close());
 */
export async function createTestKysely<DB>(label: string): Promise<TestKysely<DB>> {
  const tdb = await createTestDatabase(label);
  const db = createKysely<DB>({ connectionString: tdb.url });
  return {
    tdb,
    db,
    close: async () => {
      await db.destroy();
      await tdb.drop();
    },
  };
}
