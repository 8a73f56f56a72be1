import { createTable, notNull, primaryKey } from '@baton/read-models';
import { sql, type Kysely } from 'kysely';

/**
 * Conflicts (seed 004 AC3): the list-conflicts read model, the conflict manager's links, and
 * partial indexes on `scheduler.tasks` so the dispatcher's conflict checks touch only tasks that
 * declare `files`, `dependsOn` or a work item id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('scheduler');
  await createTable(s, 'conflicts', {
    conflict_id: primaryKey('text'),
    kind: notNull('text', { check: sql`kind IN ('duplicate_task', 'dependency_clash', 'file_overlap', 'agent_idle_timeout')` }),
    task_ids: notNull(sql`text[]`),
    agent_id: 'text',
    run_id: 'text',
    description: notNull('text'),
    details: notNull('jsonb'),
    auto_resolution: { type: 'text', check: sql`auto_resolution IN ('reassign', 'queue', 'escalate')` },
    needs_decision: notNull('boolean'),
    status: notNull('text', { check: sql`status IN ('open', 'resolved')` }),
    resolution: { type: 'text', check: sql`resolution IN ('reassign', 'queue', 'escalate')` },
    resolved_by: 'jsonb',
    reason: 'text',
    reassign_to: 'text',
    detected_at: notNull('timestamptz'),
    resolved_at: 'timestamptz',
    updated_at: notNull('timestamptz'),
    revision: notNull('integer'),
  }).execute();
  await s.createIndex('conflicts_status_idx').on('conflicts').columns(['status', 'detected_at']).execute();
  await s.createIndex('conflicts_run_idx').on('conflicts').column('run_id').execute();
  await sql`CREATE INDEX conflicts_tasks_idx ON scheduler.conflicts USING gin (task_ids)`.execute(db);

  await createTable(s, 'conflict_links', {
    conflict_id: notNull('text'),
    task_id: notNull('text'),
    role: notNull('text', { check: sql`role IN ('held', 'dependency')` }),
    kind: notNull('text'),
    agent_id: 'text',
    lease_epoch: notNull('integer'),
  })
    .addPrimaryKeyConstraint('conflict_links_pk', ['conflict_id', 'task_id', 'role'])
    .execute();
  await s.createIndex('conflict_links_task_idx').on('conflict_links').columns(['task_id', 'role']).execute();

  // Waiting tasks that declare something to check: the only ones the dispatcher looks at twice.
  await sql`CREATE INDEX tasks_constrained_idx ON scheduler.tasks (task_id)
    WHERE status = 'queued' AND inputs ?| array['files', 'dependsOn', 'workItemId', 'work_item_id']`.execute(db);
  // Live tasks by work item (the same work item submitted twice).
  await sql`CREATE INDEX tasks_work_item_idx ON scheduler.tasks ((btrim(coalesce(inputs->>'workItemId', inputs->>'work_item_id'))))
    WHERE status NOT IN ('completed', 'failed', 'cancelled') AND (inputs ? 'workItemId' OR inputs ? 'work_item_id')`.execute(db);
  // In-flight tasks that declare files (file overlap).
  await sql`CREATE INDEX tasks_files_held_idx ON scheduler.tasks (task_id)
    WHERE status IN ('assigned', 'accepted', 'blocked') AND inputs ? 'files'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS scheduler.tasks_files_held_idx`.execute(db);
  await sql`DROP INDEX IF EXISTS scheduler.tasks_work_item_idx`.execute(db);
  await sql`DROP INDEX IF EXISTS scheduler.tasks_constrained_idx`.execute(db);
  const s = db.schema.withSchema('scheduler');
  await s.dropTable('conflict_links').execute();
  await s.dropTable('conflicts').execute();
}
