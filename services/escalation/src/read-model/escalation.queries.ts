import type { EscalationLevel, EscalationTrigger, EscalationView } from '@baton/contracts';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { EscalationDatabase, EscalationRow } from './escalation.tables';

type Db = Kysely<EscalationDatabase> | Transaction<EscalationDatabase>;

export async function deleteAllEscalations(db: Db): Promise<void> {
  await db.deleteFrom('baton_escalation.escalations').execute();
}

export async function findEscalation(db: Db, escalationId: string): Promise<EscalationRow | undefined> {
  return db.selectFrom('baton_escalation.escalations').selectAll().where('escalation_id', '=', escalationId).executeTakeFirst();
}

export interface EscalationRowFilter {
  readonly status?: 'open' | 'resolved';
  readonly runId?: string;
  readonly level?: EscalationLevel;
  readonly limit: number;
}

/** Escalations matching every given filter, newest first. */
export async function selectEscalations(db: Db, f: EscalationRowFilter): Promise<EscalationRow[]> {
  let q = db.selectFrom('baton_escalation.escalations').selectAll();
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.runId !== undefined) q = q.where('run_id', '=', f.runId);
  if (f.level !== undefined) q = q.where('level', '=', f.level);
  return q.orderBy('raised_at', 'desc').orderBy('escalation_id').limit(f.limit).execute();
}

/** The row as the EscalationView reply shape. */
export function toEscalationViewOfRow(row: EscalationRow): EscalationView {
  return {
    escalationId: row.escalation_id,
    trigger: row.trigger as EscalationTrigger,
    level: row.level as EscalationLevel,
    assignee: { kind: row.assignee_kind as 'agent' | 'human', id: row.assignee_id },
    status: row.status,
    issue: row.issue,
    workflowStage: row.workflow_stage,
    options: row.options,
    recommendation: row.recommendation,
    blocking: row.blocking,
    runId: row.run_id,
    stageId: row.stage_id,
    taskId: row.task_id,
    agentId: row.agent_id,
    raisedAt: row.raised_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    resolution: row.resolution as EscalationView['resolution'],
    resolvedBy: row.resolved_by,
    resolutionReason: row.resolution_reason,
    resolvedAt: row.resolved_at ? row.resolved_at.toISOString() : null,
  };
}

/**
 * Escalations that reached each level, by trigger (raised at it, or climbed to it): every
 * escalation counts once at each level from its start level to its current one. Levels only
 * go up and rows are never deleted, so the figures only grow (a Prometheus counter).
 */
export async function levelsReached(db: Db): Promise<{ trigger: string; level: number; n: number }[]> {
  const { rows } = await sql<{ trigger: string; level: number; n: number }>`
    SELECT e.trigger, l.level, count(*)::int AS n
      FROM baton_escalation.escalations e
      CROSS JOIN LATERAL generate_series(e.start_level, e.level) AS l(level)
     GROUP BY e.trigger, l.level
     ORDER BY e.trigger, l.level`.execute(db);
  return rows;
}

/** Open escalations per level. */
export async function openByLevel(db: Db): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('baton_escalation.escalations')
    .select(['level', sql<number>`count(*)::int`.as('n')])
    .where('status', '=', 'open')
    .groupBy('level')
    .execute();
  return new Map(rows.map((r) => [r.level, r.n]));
}
