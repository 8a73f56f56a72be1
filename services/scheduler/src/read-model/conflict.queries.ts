import type { ConflictKind, ConflictView, TaskStatus } from '@baton/contracts';
import { sql } from 'kysely';
import type { InFlightFiles, WorkItemTask } from '../domain/conflict';
import type { ConflictDb, ConflictRow } from './conflict.tables';

/**
 * The SQL behind the conflict checks and list-conflicts. The task queries spell the partial
 * index predicates of migration `2026_11_22_0003_create_conflicts` literally (not as bind
 * parameters), so Postgres can use those indexes.
 */

/** A waiting task that declares constraints, as stored (its `inputs` keys read raw; the domain parses them). */
export interface ConstrainedTaskRow {
  readonly taskId: string;
  readonly runId: string | null;
  readonly createdAt: string;
  readonly leaseEpoch: number;
  readonly inputs: Record<string, unknown>;
}

/** Of these waiting tasks, the ones that declare `files`, `dependsOn` or a work item id. */
export async function constrainedQueued(db: ConflictDb, taskIds: readonly string[]): Promise<ConstrainedTaskRow[]> {
  if (taskIds.length === 0) return [];
  const { rows } = await sql<{ task_id: string; run_id: string | null; created_at: Date; lease_epoch: number; files: unknown; depends_on: unknown; wi: unknown; wi2: unknown }>`
    SELECT task_id, run_id, created_at, lease_epoch,
           inputs->'files' AS files, inputs->'dependsOn' AS depends_on, inputs->'workItemId' AS wi, inputs->'work_item_id' AS wi2
      FROM scheduler.tasks
     WHERE status = 'queued' AND inputs ?| array['files', 'dependsOn', 'workItemId', 'work_item_id']
       AND task_id = ANY(${[...taskIds]}::text[])`.execute(db);
  return rows.map((r) => ({
    taskId: r.task_id,
    runId: r.run_id,
    createdAt: r.created_at.toISOString(),
    leaseEpoch: r.lease_epoch,
    inputs: Object.fromEntries(
      (
        [
          ['files', r.files],
          ['dependsOn', r.depends_on],
          ['workItemId', r.wi],
          ['work_item_id', r.wi2],
        ] as const
      ).filter(([, v]) => v !== null && v !== undefined),
    ),
  }));
}

/** Status of each of these tasks the read model knows. */
export async function taskStatuses(db: ConflictDb, taskIds: readonly string[]): Promise<Map<string, TaskStatus>> {
  if (taskIds.length === 0) return new Map();
  const rows = await db.selectFrom('scheduler.tasks').select(['task_id', 'status']).where('task_id', 'in', [...taskIds]).execute();
  return new Map(rows.map((r) => [r.task_id, r.status]));
}

/** Live (not ended) tasks of these work items. */
export async function liveWorkItemTasks(db: ConflictDb, workItemIds: readonly string[]): Promise<WorkItemTask[]> {
  if (workItemIds.length === 0) return [];
  const { rows } = await sql<{ task_id: string; status: TaskStatus; created_at: Date; wi: string }>`
    SELECT task_id, status, created_at, btrim(coalesce(inputs->>'workItemId', inputs->>'work_item_id')) AS wi
      FROM scheduler.tasks
     WHERE status NOT IN ('completed', 'failed', 'cancelled') AND (inputs ? 'workItemId' OR inputs ? 'work_item_id')
       AND btrim(coalesce(inputs->>'workItemId', inputs->>'work_item_id')) = ANY(${[...workItemIds]}::text[])`.execute(db);
  return rows.map((r) => ({ taskId: r.task_id, status: r.status, createdAt: r.created_at.toISOString(), workItemId: r.wi }));
}

/**
 * Tasks that declare files and are in flight: held by an agent in the read model, or assigned by
 * this dispatcher a moment ago (`justAssigned`, not shown by the read model yet).
 */
export async function inFlightFiles(db: ConflictDb, justAssigned: readonly string[]): Promise<InFlightFiles[]> {
  const { rows } = await sql<{ task_id: string; agent_id: string | null; files: unknown }>`
    SELECT task_id, agent_id, inputs->'files' AS files
      FROM scheduler.tasks
     WHERE status IN ('assigned', 'accepted', 'blocked') AND inputs ? 'files'
    UNION ALL
    SELECT task_id, agent_id, inputs->'files' AS files
      FROM scheduler.tasks
     WHERE task_id = ANY(${[...justAssigned]}::text[]) AND status = 'queued' AND inputs ? 'files'`.execute(db);
  return rows.map((r) => ({
    taskId: r.task_id,
    agentId: r.agent_id,
    files: Array.isArray(r.files) ? r.files.filter((f): f is string => typeof f === 'string' && f.trim() !== '') : [],
  }));
}

export async function findConflict(db: ConflictDb, conflictId: string): Promise<ConflictRow | undefined> {
  return db.selectFrom('scheduler.conflicts').selectAll().where('conflict_id', '=', conflictId).executeTakeFirst();
}

export interface ConflictFilter {
  readonly status?: 'open' | 'resolved';
  readonly runId?: string;
  readonly kind?: ConflictKind;
  readonly taskId?: string;
  readonly limit: number;
}

/** Conflicts, newest first. */
export async function listConflicts(db: ConflictDb, filter: ConflictFilter): Promise<ConflictRow[]> {
  let q = db.selectFrom('scheduler.conflicts').selectAll();
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.runId) q = q.where('run_id', '=', filter.runId);
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  if (filter.taskId) q = q.where(sql<boolean>`task_ids @> ARRAY[${filter.taskId}]::text[]`);
  return q.orderBy('detected_at', 'desc').orderBy('conflict_id').limit(filter.limit).execute();
}

/** The reply shape of list-conflicts and resolve-conflict. */
export function toConflictView(row: ConflictRow): ConflictView {
  return {
    conflictId: row.conflict_id,
    kind: row.kind,
    taskIds: row.task_ids,
    agentId: row.agent_id,
    runId: row.run_id,
    description: row.description,
    status: row.status,
    resolution: row.resolution,
    detectedAt: row.detected_at.toISOString(),
    resolvedAt: row.resolved_at ? row.resolved_at.toISOString() : null,
    autoResolution: row.auto_resolution,
    needsDecision: row.needs_decision,
    details: row.details,
    resolvedBy: row.resolved_by,
    reason: row.reason,
    reassignTo: row.reassign_to,
  };
}
