import type { Kysely } from 'kysely';
import type { RunFacts } from '../domain';
import type { NotifierDatabase } from './notifier.tables';

/** Records a run's workflow version and priority (idempotent). */
export async function upsertRun(db: Kysely<NotifierDatabase>, run: { runId: string; workflowId: string; version: string; priority: string }): Promise<void> {
  await db
    .insertInto('baton_notifier.runs')
    .values({ run_id: run.runId, workflow_id: run.workflowId, version: run.version, priority: run.priority })
    .onConflict((oc) => oc.column('run_id').doNothing())
    .execute();
}

/** Records a workflow version's name and stage actions (idempotent). */
export async function upsertWorkflow(db: Kysely<NotifierDatabase>, wf: { workflowId: string; version: string; name: string | null; stageActions: Record<string, string | null> }): Promise<void> {
  await db
    .insertInto('baton_notifier.workflows')
    .values({ workflow_id: wf.workflowId, version: wf.version, name: wf.name, stage_actions: JSON.stringify(wf.stageActions) })
    .onConflict((oc) => oc.columns(['workflow_id', 'version']).doNothing())
    .execute();
}

/** What the notifier knows of a run: its version and priority, with its workflow's name and stage actions when registered. */
export async function runFacts(db: Kysely<NotifierDatabase>, runId: string): Promise<RunFacts | null> {
  const row = await db
    .selectFrom('baton_notifier.runs as r')
    .leftJoin('baton_notifier.workflows as w', (j) => j.onRef('w.workflow_id', '=', 'r.workflow_id').onRef('w.version', '=', 'r.version'))
    .select(['r.run_id', 'r.workflow_id', 'r.version', 'r.priority', 'w.name', 'w.stage_actions'])
    .where('r.run_id', '=', runId)
    .executeTakeFirst();
  if (row === undefined) return null;
  return { runId: row.run_id, workflowId: row.workflow_id, version: row.version, priority: row.priority, workflowName: row.name ?? null, stageActions: row.stage_actions ?? {} };
}

/** A workflow version's name and stage actions, before any of its runs started. */
export async function workflowFacts(db: Kysely<NotifierDatabase>, workflowId: string, version: string): Promise<{ name: string | null; stageActions: Record<string, string | null> } | null> {
  const row = await db.selectFrom('baton_notifier.workflows').select(['name', 'stage_actions']).where('workflow_id', '=', workflowId).where('version', '=', version).executeTakeFirst();
  return row === undefined ? null : { name: row.name, stageActions: row.stage_actions };
}
