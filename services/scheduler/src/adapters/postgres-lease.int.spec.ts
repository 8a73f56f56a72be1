import { createKysely, migrateSchema } from '@baton/read-models';
import { createTestDatabase, waitFor, type TestDatabase } from '@baton/testing';
import { sql, type Kysely } from 'kysely';
import { schedulerMigrations } from '../read-model/migrations';
import { PostgresLease } from './postgres-lease';
import { SCHEDULER_SCHEMA, type SchedulerDatabase } from '../read-model/scheduler.tables';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('PostgresLease (real Postgres)', () => {
  let tdb: TestDatabase;
  let db: Kysely<SchedulerDatabase>;
  const leases: PostgresLease[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase('scheduler_lease');
    db = createKysely<SchedulerDatabase>({ connectionString: tdb.url });
    await migrateSchema(db as Kysely<unknown>, { schema: SCHEDULER_SCHEMA, migrations: schedulerMigrations });
  });

  afterAll(async () => {
    for (const l of leases) await l.stop();
    await db?.destroy();
    await tdb?.drop();
  });

  function lease(holder: string, events: string[], on: Kysely<SchedulerDatabase> = db): PostgresLease {
    const l = new PostgresLease({
      db: on,
      name: 'dispatcher',
      holder,
      ttlMs: 600,
      renewEveryMs: 100,
      logger: quiet,
      onAcquired: (epoch) => void events.push(`${holder} acquired ${epoch}`),
      onLost: (epoch) => void events.push(`${holder} lost ${epoch}`),
    });
    leases.push(l);
    return l;
  }

  const row = async () =>
    (await sql<{ holder: string; epoch: string }>`SELECT holder, epoch FROM scheduler.leases WHERE name = 'dispatcher'`.execute(db)).rows;

  it('has one holder at a time; when the holder dies another replica takes over with a higher epoch, and the dead one stops acting', async () => {
    const events: string[] = [];
    const ownDb = createKysely<SchedulerDatabase>({ connectionString: tdb.url });
    const a = lease('a', events, ownDb);
    const b = lease('b', events);
    await a.start();
    await b.start();
    expect(a.isHeld()).toBe(true);
    expect(b.isHeld()).toBe(false);
    expect(a.currentEpoch).toBe(1);

    // Replica a loses its database (as good as dead): it cannot renew, so b takes over with epoch 2.
    await ownDb.destroy();
    await waitFor(() => b.isHeld(), { what: 'b to take the lease' });
    expect(b.currentEpoch).toBe(2);
    // a notices on its own that its lease ran out, and stops its duties.
    await waitFor(() => events.includes('a lost 1'), { what: 'a to notice it lost the lease' });
    expect(a.isHeld()).toBe(false);
    expect(await row()).toEqual([{ holder: 'b', epoch: '2' }]);

    // A holder that stops gives the lease up at once; the next replica gets epoch 3.
    await b.stop();
    const c = lease('c', events);
    await c.start();
    expect(c.isHeld()).toBe(true);
    expect(c.currentEpoch).toBe(3);
    expect(events).toEqual(expect.arrayContaining(['a acquired 1', 'b acquired 2', 'a lost 1', 'b lost 2', 'c acquired 3']));
  });

  it('a stalled holder whose lease expired finds it lost on its next renewal', async () => {
    const events: string[] = [];
    await sql`DELETE FROM scheduler.leases`.execute(db);
    const d = lease('d', events);
    await d.start();
    expect(d.isHeld()).toBe(true);
    // d stalls past its expiry and e takes the lease meanwhile.
    await sql`UPDATE scheduler.leases SET holder = 'e', epoch = epoch + 1, expires_at = now() + interval '1 minute'`.execute(db);
    await waitFor(() => events.includes('d lost 1'), { what: 'd to find its lease lost' });
    expect(d.isHeld()).toBe(false);
    expect((await row())[0]?.holder).toBe('e');
  });
});
