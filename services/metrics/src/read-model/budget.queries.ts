import { sql, type Kysely } from 'kysely';
import type { BudgetUsage } from '../domain';
import type { MetricsDatabase } from './metrics.tables';

type Db = Kysely<MetricsDatabase>;

/**
 * The budgets of running (or paused) runs that have reached a mark not yet recorded: 80 % with
 * no warning, or 100 % with no breach. Usage is the tokens reported for the run, or its stage.
 */
export async function budgetsToRecord(db: Db): Promise<BudgetUsage[]> {
  const rows = await sql<{ run_id: string; workflow_id: string; version: string; stage_id: string; tokens: number; on_exceed: 'escalate' | 'pause'; used: number }>`
    WITH usage AS (
      SELECT r.run_id, r.workflow_id, r.version, b.stage_id, b.tokens, b.on_exceed,
             coalesce((SELECT sum(t.tokens) FROM baton_metrics.token_reports t
                        WHERE t.run_id = r.run_id AND (b.stage_id = '' OR t.stage_id = b.stage_id)), 0)::float8 AS used
        FROM baton_metrics.runs r
        JOIN baton_metrics.budgets b ON b.workflow_id = r.workflow_id AND b.version = r.version
       WHERE r.status IN ('running', 'paused'))
    SELECT u.* FROM usage u
     WHERE (u.used >= u.tokens * 0.8 AND NOT EXISTS (SELECT 1 FROM baton_metrics.budget_decisions d WHERE d.run_id = u.run_id AND coalesce(d.stage_id, '') = u.stage_id AND d.kind = 'warning'))
        OR (u.used >= u.tokens AND NOT EXISTS (SELECT 1 FROM baton_metrics.budget_decisions d WHERE d.run_id = u.run_id AND coalesce(d.stage_id, '') = u.stage_id AND d.kind = 'exceeded'))
     ORDER BY u.run_id, u.stage_id`.execute(db);
  return rows.rows.map((r) => ({ runId: r.run_id, workflowId: r.workflow_id, version: r.version, stageId: r.stage_id === '' ? null : r.stage_id, used: r.used, tokens: r.tokens, policy: r.on_exceed }));
}

/** Exceeded budgets whose policy has not been carried out yet. */
export async function pendingBudgetActions(db: Db) {
  return db
    .selectFrom('baton_metrics.budget_decisions as d')
    .selectAll('d')
    .where('d.kind', '=', 'exceeded')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('baton_metrics.budget_actions as a').select('a.event_id').whereRef('a.event_id', '=', 'd.event_id'))))
    .orderBy('d.at')
    .execute();
}

export async function recordBudgetAction(db: Db, eventId: string, action: 'escalate' | 'pause', outcome: string, doneAt: Date): Promise<void> {
  await db.insertInto('baton_metrics.budget_actions').values({ event_id: eventId, action, outcome, done_at: doneAt }).onConflict((oc) => oc.column('event_id').doNothing()).execute();
}
