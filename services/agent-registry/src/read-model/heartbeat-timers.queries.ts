import { sql, type Kysely, type Transaction } from 'kysely';
import type { AgentRegistryDatabase, HeartbeatTimerRow } from './agents.table';

type Db = Kysely<AgentRegistryDatabase> | Transaction<AgentRegistryDatabase>;

/**
 * Arms the timer of a (re-)registered agent: the window starts at the later of its last
 * heartbeat and `since` (the registration time), so an agent that never sends one still
 * goes offline. Replaying an old registration never moves a later heartbeat back.
 */
export async function armOnRegistration(db: Db, agentId: string, since: Date, windowMs: number): Promise<void> {
  const due = new Date(since.getTime() + windowMs);
  await db
    .insertInto('agent_registry.heartbeat_timers')
    .values({ agent_id: agentId, registered: true, last_heartbeat_at: null, offline_due_at: due, offline: false })
    .onConflict((oc) =>
      oc.column('agent_id').doUpdateSet({
        registered: true,
        offline: false,
        offline_due_at: sql<Date>`greatest(agent_registry.heartbeat_timers.last_heartbeat_at + ${`${windowMs} milliseconds`}::interval, ${due})`,
      }),
    )
    .execute();
}

/** Disarms the timer of a removed agent; its heartbeats are dropped from now on. */
export async function disarmOnRemoval(db: Db, agentId: string): Promise<void> {
  await db
    .updateTable('agent_registry.heartbeat_timers')
    .set({ registered: false, offline_due_at: null })
    .where('agent_id', '=', agentId)
    .execute();
}

/** Locks an agent's timer row for a heartbeat (waits for a poller holding it). */
export async function lockTimer(trx: Transaction<AgentRegistryDatabase>, agentId: string): Promise<HeartbeatTimerRow | undefined> {
  return trx.selectFrom('agent_registry.heartbeat_timers').selectAll().where('agent_id', '=', agentId).forUpdate().executeTakeFirst();
}

/** Stores a heartbeat and pushes the timer to `at + windowMs`. */
export async function recordHeartbeatAt(db: Db, agentId: string, at: Date, windowMs: number): Promise<void> {
  await db
    .updateTable('agent_registry.heartbeat_timers')
    .set({ last_heartbeat_at: at, offline_due_at: new Date(at.getTime() + windowMs) })
    .where('agent_id', '=', agentId)
    .execute();
}

/**
 * Gives every armed timer a fresh window from `now` (a start of the service): a timer keeps
 * its due time only if that is later. Heartbeats sent while no replica listened were lost, so
 * a due time that passed meanwhile says nothing about the agent. Returns how many moved.
 */
export async function rearmFrom(db: Db, now: Date, windowMs: number): Promise<number> {
  const fresh = new Date(now.getTime() + windowMs);
  const result = await db
    .updateTable('agent_registry.heartbeat_timers')
    .set({ offline_due_at: fresh })
    .where('registered', '=', true)
    .where('offline', '=', false)
    .where('offline_due_at', '<', fresh)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function setOffline(db: Db, agentId: string, offline: boolean): Promise<void> {
  await db.updateTable('agent_registry.heartbeat_timers').set({ offline }).where('agent_id', '=', agentId).execute();
}

/**
 * Takes the advisory lock of the timer poller for this transaction, so one replica fires
 * timers at a time; false when another replica holds it.
 */
export async function tryTimerLease(trx: Transaction<AgentRegistryDatabase>): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(hashtext('agent_registry.heartbeat_timers')) AS ok`.execute(trx);
  return rows[0]?.ok === true;
}

/** Due timers, oldest first, locked for this transaction; rows another transaction holds are skipped. */
export async function lockDueTimers(trx: Transaction<AgentRegistryDatabase>, now: Date, limit: number): Promise<HeartbeatTimerRow[]> {
  return trx
    .selectFrom('agent_registry.heartbeat_timers')
    .selectAll()
    .where('offline_due_at', '<=', now)
    .orderBy('offline_due_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** Sets what a fired timer leaves behind. */
export async function settleTimer(
  db: Db,
  agentId: string,
  values: { registered: boolean; offline: boolean; offline_due_at: Date | null },
): Promise<void> {
  await db.updateTable('agent_registry.heartbeat_timers').set(values).where('agent_id', '=', agentId).execute();
}

export async function findTimer(db: Db, agentId: string): Promise<HeartbeatTimerRow | undefined> {
  return db.selectFrom('agent_registry.heartbeat_timers').selectAll().where('agent_id', '=', agentId).executeTakeFirst();
}
