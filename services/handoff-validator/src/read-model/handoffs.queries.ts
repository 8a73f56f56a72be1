import type { DataOf, HandoffStatus, HandoffView, ListHandoffs } from '@baton/contracts';
import type { Kysely, Transaction, Updateable } from 'kysely';
import type { HandoffDatabase, HandoffRow, HandoffsTable, NewHandoffRow } from './handoffs.table';

type Db = Kysely<HandoffDatabase> | Transaction<HandoffDatabase>;

/** Inserts or replaces a handoff's row. */
export async function upsertHandoff(db: Db, row: NewHandoffRow): Promise<void> {
  const { handoff_id: _id, ...rest } = row;
  await db
    .insertInto('baton_handoff.handoffs')
    .values(row)
    .onConflict((oc) => oc.column('handoff_id').doUpdateSet(rest))
    .execute();
}

/** Changes some columns of a handoff's row. */
export async function patchHandoff(db: Db, handoffId: string, patch: Updateable<HandoffsTable>): Promise<void> {
  await db.updateTable('baton_handoff.handoffs').set(patch).where('handoff_id', '=', handoffId).execute();
}

/** Empties the read model (projection reset before a rebuild); the artifact store is left alone. */
export async function deleteAllHandoffs(db: Db): Promise<void> {
  await db.deleteFrom('baton_handoff.handoffs').execute();
}

/** Decided handoffs matching every given filter, oldest first (in the store's order), at most `limit`. */
export async function selectHandoffs(db: Db, filter: DataOf<typeof ListHandoffs>): Promise<HandoffRow[]> {
  let q = db.selectFrom('baton_handoff.handoffs').selectAll().where('status', '!=', 'pending');
  if (filter.runId !== undefined) q = q.where('run_id', '=', filter.runId);
  if (filter.taskId !== undefined) q = q.where('task_id', '=', filter.taskId);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  return q.orderBy('submitted_at').orderBy('submitted_commit').orderBy('submitted_prepare').limit(filter.limit).execute();
}

/** A decided row as the list-handoffs view (the shape get-handoff folds from the stream). */
export function toHandoffView(row: HandoffRow): HandoffView {
  return {
    handoffId: row.handoff_id,
    taskId: row.task_id,
    runId: row.run_id,
    stageId: row.stage_id,
    iteration: row.iteration,
    fromAgentId: row.from_agent_id,
    status: row.status as HandoffStatus,
    specIds: row.spec_ids,
    artifacts: row.artifacts,
    context: row.context,
    failures: row.failures,
    submittedAt: row.submitted_at.toISOString(),
  };
}
