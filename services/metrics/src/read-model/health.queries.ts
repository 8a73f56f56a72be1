import { sql, type Kysely } from 'kysely';
import type { HealthObservation } from '../domain';
import type { MetricsDatabase } from './metrics.tables';

type Db = Kysely<MetricsDatabase>;

/**
 * What the health checks measure over the window ending now: per agent, the mean time from
 * assignment to acceptance (response time) and the share of its attempts that completed
 * (task completion rate); for the system, the share of attempts that failed (error rate) and the
 * tasks waiting in the queue (queue depth). A check with nothing to measure reports nothing.
 */
export async function healthObservations(db: Db, since: Date): Promise<HealthObservation[]> {
  const response = await sql<{ agent_id: string; ms: number }>`
    SELECT agent_id, avg(extract(epoch FROM accepted_at - assigned_at) * 1000)::float8 AS ms
      FROM baton_metrics.tasks WHERE accepted_at >= ${since} AND assigned_at IS NOT NULL AND agent_id IS NOT NULL
     GROUP BY 1 ORDER BY 1`.execute(db);
  const completion = await sql<{ agent_id: string; total: number; completed: number }>`
    SELECT agent_id, count(*)::int AS total, count(*) FILTER (WHERE outcome = 'completed')::int AS completed
      FROM baton_metrics.executions WHERE ended_at >= ${since} GROUP BY 1 ORDER BY 1`.execute(db);
  const queued = await db.selectFrom('baton_metrics.tasks').select(sql<number>`count(*)::int`.as('n')).where('status', '=', 'queued').executeTakeFirstOrThrow();
  const total = completion.rows.reduce((a, r) => a + r.total, 0);
  const failed = completion.rows.reduce((a, r) => a + r.total - r.completed, 0);
  return [
    ...response.rows.map((r) => ({ check: 'response_time' as const, subject: r.agent_id, value: r.ms })),
    ...completion.rows.map((r) => ({ check: 'task_completion_rate' as const, subject: r.agent_id, value: (r.completed / r.total) * 100 })),
    ...(total > 0 ? [{ check: 'error_rate' as const, subject: 'system', value: (failed / total) * 100 }] : []),
    { check: 'queue_depth' as const, subject: 'system', value: queued.n },
  ];
}

/** Breaches that ask to be investigated and have no escalation yet. */
export async function uninvestigatedBreaches(db: Db) {
  return db
    .selectFrom('baton_metrics.health_checks as h')
    .selectAll('h')
    .where('h.status', '=', 'breached')
    .where(sql<boolean>`h.actions ? 'investigate'`)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('baton_metrics.investigations as i').select('i.breach_event_id').whereRef('i.breach_event_id', '=', 'h.breach_event_id'))))
    .orderBy('h.since')
    .execute();
}

export async function recordInvestigation(db: Db, breachEventId: string, escalationId: string, raisedAt: Date): Promise<void> {
  await db
    .insertInto('baton_metrics.investigations')
    .values({ breach_event_id: breachEventId, escalation_id: escalationId, raised_at: raisedAt })
    .onConflict((oc) => oc.column('breach_event_id').doNothing())
    .execute();
}

export async function listHealthChecks(db: Db, status?: 'breached' | 'ok') {
  let q = db.selectFrom('baton_metrics.health_checks').selectAll().orderBy('check').orderBy('subject');
  if (status !== undefined) q = q.where('status', '=', status);
  return q.execute();
}
