import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { env } from './infra';

export interface TestDatabase {
  /** Connection URL of the fresh database. */
  readonly url: string;
  readonly name: string;
  /** A pool on the fresh database (closed by `drop`). */
  readonly pool: Pool;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** URL of the server the harness resolved (set by the global setup). */
export function testDatabaseUrl(): string {
  const url = env('TEST_DATABASE_URL');
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run integration tests through jest (the int/e2e projects run the harness global setup)');
  return url;
}

export function testNatsUrl(): string {
  const url = env('TEST_NATS_URL');
  if (!url) throw new Error('TEST_NATS_URL is not set: run integration tests through jest (the int/e2e projects run the harness global setup)');
  return url;
}

/**
 * What an in-process Baton service under test starts with: the test database `databaseUrl`, the
 * test NATS server, HTTP on a free loopback port, and no logs. Spread it into the service's start
 * options and add what the test sets itself.
 *
 * @example
 * const registry = await startAgentRegistry({ ...serviceTestOptions(tdb.url), clock });
 */
export function serviceTestOptions(databaseUrl: string) {
  return { databaseUrl, natsUrl: testNatsUrl(), httpPort: 0, httpHost: '127.0.0.1', logger: false as const };
}

/**
 * Creates an empty database for one test file, so files never see each other's rows.
 *
 * @example
 * let db: TestDatabase;
 * beforeAll(async () => { db = await createTestDatabase('event_store'); });
 * afterAll(() => db.drop());
 */
export async function createTestDatabase(label = 't'): Promise<TestDatabase> {
  const base = new URL(testDatabaseUrl());
  const name = `baton_t_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const admin = new Pool({ connectionString: base.toString(), max: 1 });
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const pool = new Pool({ connectionString: url.toString(), max: 10 });
  // An idle client whose session ends (the drop's FORCE, a restart) emits 'error' on the pool;
  // without a listener that fails whichever test runs then. The next query reconnects.
  pool.on('error', () => undefined);
  let dropped = false;
  return {
    url: url.toString(),
    name,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end();
      const a = new Pool({ connectionString: base.toString(), max: 1 });
      try {
        await dropDatabase(a, name);
      } finally {
        await a.end();
      }
    },
  };
}

/**
 * DROP DATABASE ... WITH (FORCE), once more after a pause while it is refused with
 * insufficient_privilege: FORCE must be allowed to terminate every other session in the
 * database, and an autovacuum worker that happens to be in it (a test that wrote a lot) is no
 * session of ours. A plain DROP makes Postgres ask the worker to stop and waits for it.
 * For any scratch database (tests, benches): `await dropDatabase(adminPool, name)`.
 */
export async function dropDatabase(admin: Pool, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(attempt % 2 === 1 ? `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)` : `DROP DATABASE IF EXISTS "${name}"`);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      // 42501: a session FORCE may not end; 55006: a session still there for the plain DROP.
      if ((code !== '42501' && code !== '55006') || attempt >= 6) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}
