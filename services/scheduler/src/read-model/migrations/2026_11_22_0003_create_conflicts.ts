import { sql, type Kysely } from 'kysely';

/**
 * Conflicts (seed 004 AC3): the list-conflicts read model, the conflict manager's links, and
 * partial indexes on `scheduler.tasks` so the dispatcher's conflict checks touch only tasks that
 * declare `files`, `dependsOn` or a work item id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.schema.withSchema('scheduler');
  await s
    .createTable('conflicts')
    .addColumn('conflict_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('duplicate_task', 'dependency_clash', 'file_overlap', 'agent_idle_timeout')`))
    .addColumn('task_ids', sql`text[]`, (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('run_id', 'text')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('auto_resolution', 'text', (c) => c.check(sql`auto_resolution IN ('reassign', 'queue', 'escalate')`))
    .addColumn('needs_decision', 'boolean', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('open', 'resolved')`))
    .addColumn('resolution', 'text', (c) => c.check(sql`resolution IN ('reassign', 'queue', 'escalate')`))
    .addColumn('resolved_by', 'jsonb')
    .addColumn('reason', 'text')
    .addColumn('reassign_to', 'text')
    .addColumn('detected_at', 'timestamptz', (c) => c.notNull())
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .execute();
  await s.createIndex('conflicts_status_idx').on('conflicts').columns(['status', 'detected_at']).execute();
  await s.createIndex('conflicts_run_idx').on('conflicts').column('run_id').execute();
  await sql`CREATE INDEX conflicts_tasks_idx ON scheduler.conflicts USING gin (task_ids)`.execute(db);

  await s
    .createTable('conflict_links')
    .addColumn('conflict_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role IN ('held', 'dependency')`))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('lease_epoch', 'integer', (c) => c.notNull())
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
