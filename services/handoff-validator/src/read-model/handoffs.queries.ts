import type { DataOf, HandoffStatus, HandoffView, ListHandoffs } from '@baton/contracts';
import { executeLiteralWrite, insertRowsSql, updateRowSql } from '@baton/read-models';
import type { Kysely, Transaction, Updateable } from 'kysely';
import type { HandoffDatabase, HandoffRow, HandoffsTable, NewHandoffRow } from './handoffs.table';

type Db = Kysely<HandoffDatabase> | Transaction<HandoffDatabase>;

/** Columns an upsert replaces on a row already there: all but the key (a record, so a new column cannot be left out). */
const REPLACED: Record<Exclude<keyof HandoffsTable, 'handoff_id'>, true> = {
  task_id: true,
  run_id: true,
  stage_id: true,
  iteration: true,
  from_agent_id: true,
  to_agent_ids: true,
  status: true,
  spec_ids: true,
  artifacts: true,
  context: true,
  failures: true,
  rules_checked: true,
  submitted_at: true,
  submitted_commit: true,
  submitted_prepare: true,
  decided_at: true,
  revision: true,
};

const REPLACED_COLUMNS = Object.keys(REPLACED) as (keyof typeof REPLACED)[];

/** The projection's upsert as text, built once (see literal-sql in @baton/read-models): each page only writes its values. */
const UPSERT_HANDOFFS = insertRowsSql<NewHandoffRow>('baton_handoff.handoffs', ['handoff_id', ...REPLACED_COLUMNS], { key: 'handoff_id', update: REPLACED_COLUMNS });

/** Inserts or replaces handoffs' rows, in one statement (at most one row per handoff id). */
export async function upsertHandoffs(db: Db, rows: readonly NewHandoffRow[]): Promise<void> {
  if (rows.length === 0) return;
  await executeLiteralWrite(db, UPSERT_HANDOFFS(rows));
}

/** Changes some columns of a handoff's row (those `patch` sets; an undefined one is left as it is). */
export async function patchHandoff(db: Db, handoffId: string, patch: Updateable<HandoffsTable>): Promise<void> {
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  if (Object.keys(set).length === 0) return;
  await executeLiteralWrite(db, updateRowSql('baton_handoff.handoffs', set, 'handoff_id', handoffId));
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
