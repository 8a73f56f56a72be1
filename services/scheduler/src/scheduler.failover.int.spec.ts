import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@baton/testing';
import type { SchedulerApp } from './adapters/scheduler.app';
import { leaseTimings } from './adapters/postgres-lease';
import { readSchedulerConfig } from './config';
import { schedulerProcessEnv, startSchedulerProcess, startTestScheduler, stopSchedulerProcess, waitForSchedulerProcess, type SchedulerProcess } from './testing/test-scheduler';

/** The reassignment the product promises after a scheduler dies; the lease takeover must fit well inside it. */
const TAKEOVER_PROMISE_MS = 5000;

interface LeaseRow {
  readonly holder: string;
  readonly epoch: string;
  readonly expires_at: Date;
  readonly db_now: Date;
}

describe('scheduler failover: a standby takes the dispatcher lease when the holder is killed (child process, default lease settings)', () => {
  let tdb: TestDatabase;
  let holder: SchedulerProcess | undefined;
  let standby: SchedulerApp | undefined;
  const consumerName = uniqueId('sched-failover');
  // What an operator gets with nothing set.
  const defaults = readSchedulerConfig({});

  beforeAll(async () => {
    tdb = await createTestDatabase('scheduler_failover');
  });

  afterAll(async () => {
    await stopSchedulerProcess(holder, 'SIGKILL');
    await standby?.close();
    await tdb?.drop();
  });

  const lease = async (): Promise<LeaseRow | undefined> =>
    (await tdb.pool.query<LeaseRow>(`SELECT holder, epoch, expires_at, clock_timestamp() AS db_now FROM scheduler.leases WHERE name = 'dispatcher'`)).rows[0];

  it('the configured TTL, renewal and standby poll bound the takeover well inside the promise', () => {
    const t = leaseTimings({ ttlMs: defaults.leaseTtlMs });
    // Renewal well inside the TTL: two renewals may fail in a row before the holder loses its lease.
    expect(t.renewEveryMs * 3).toBeLessThanOrEqual(t.ttlMs);
    // A standby tries at least once per poll after the dead holder's lease ran out.
    expect(t.takeoverWithinMs).toBe(t.ttlMs + t.acquireEveryMs);
    expect(t.takeoverWithinMs).toBeLessThanOrEqual(TAKEOVER_PROMISE_MS);
    process.stdout.write(`${JSON.stringify({ leaseTimings: t })}\n`);
  });

  it('SIGKILL the holder: the standby holds the lease with the next epoch, never before the dead lease expired', async () => {
    const env = schedulerProcessEnv({ databaseUrl: tdb.url, consumerName, pollMs: 500 });
    delete env['SCHEDULER_LEASE_TTL_MS'];
    holder = startSchedulerProcess(env);
    const held = await waitForSchedulerProcess(holder, lease, 'the child scheduler to hold the dispatcher lease');

    standby = await startTestScheduler(tdb.url, { consumerName, leaseTtlMs: defaults.leaseTtlMs });
    expect(standby.lease.isHeld()).toBe(false);

    const before = (await lease())!;
    expect(before.holder).toBe(held.holder);
    const killedAt = performance.now();
    holder.proc.kill('SIGKILL');
    await holder.exited;
    const dbKilledAt = (await lease())!.db_now;

    await waitFor(() => standby!.lease.isHeld(), { what: 'the standby to take the lease', timeoutMs: 60_000, intervalMs: 10 });
    const tookMs = performance.now() - killedAt;
    const after = (await lease())!;
    // The database clock, which decides expiry: when the standby acquired and how that sits against the dead lease.
    const acquiredAt = after.expires_at.getTime() - defaults.leaseTtlMs;
    process.stdout.write(
      `${JSON.stringify({
        failover: {
          ttlMs: defaults.leaseTtlMs,
          killToStandbyHoldsMs: Math.round(tookMs),
          dbKillToAcquireMs: acquiredAt - dbKilledAt.getTime(),
          dbAcquireAfterDeadLeaseExpiredMs: acquiredAt - before.expires_at.getTime(),
        },
      })}\n`,
    );

    expect(after.holder).not.toBe(before.holder);
    expect(Number(after.epoch)).toBe(Number(before.epoch) + 1);
    expect(standby.lease.currentEpoch).toBe(Number(before.epoch) + 1);
    // Fencing unchanged: the dead holder's lease ran its full TTL before anyone else got it.
    expect(acquiredAt).toBeGreaterThanOrEqual(before.expires_at.getTime());
  });
});
