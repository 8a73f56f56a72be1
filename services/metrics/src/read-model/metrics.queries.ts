import { sql, type Kysely } from 'kysely';
import type { MetricsDatabase, RunRow, StageRunRow, TaskRow } from './metrics.tables';

type Db = Kysely<MetricsDatabase>;

/** Which runs, executions and token reports a report covers. */
export interface Scope {
  readonly workflowId?: string | undefined;
  readonly agentId?: string | undefined;
  /** Runs started, executions ended and tokens reported at or after this time. */
  readonly since?: Date | undefined;
  readonly limit?: number | undefined;
}

/** Runs of the scope, newest first; with an agent, only runs that agent worked in. */
export async function runsOf(db: Db, scope: Scope): Promise<RunRow[]> {
  let q = db.selectFrom('baton_metrics.runs').selectAll().orderBy('started_at', 'desc').orderBy('run_id');
  if (scope.workflowId !== undefined) q = q.where('workflow_id', '=', scope.workflowId);
  if (scope.since !== undefined) q = q.where('started_at', '>=', scope.since);
  if (scope.agentId !== undefined) {
    const agentId = scope.agentId;
    q = q.where((eb) => eb.exists(eb.selectFrom('baton_metrics.tasks as t').select('t.task_id').whereRef('t.run_id', '=', 'baton_metrics.runs.run_id').where('t.agent_id', '=', agentId)));
  }
  if (scope.limit !== undefined) q = q.limit(scope.limit);
  return q.execute();
}

export async function getRun(db: Db, runId: string): Promise<RunRow | undefined> {
  return db.selectFrom('baton_metrics.runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
}

/** Finished successful runs of a workflow version (the ETA's history), newest first. */
export async function finishedRunsOf(db: Db, workflowId: string, version: string, limit = 200): Promise<RunRow[]> {
  return db
    .selectFrom('baton_metrics.runs')
    .selectAll()
    .where('workflow_id', '=', workflowId)
    .where('version', '=', version)
    .where('status', '=', 'success')
    .orderBy('ended_at', 'desc')
    .limit(limit)
    .execute();
}

export async function runningRuns(db: Db, runId?: string): Promise<RunRow[]> {
  let q = db.selectFrom('baton_metrics.runs').selectAll().where('status', 'in', ['running', 'paused']).orderBy('started_at');
  if (runId !== undefined) q = q.where('run_id', '=', runId);
  return q.execute();
}

export async function stageRunsOf(db: Db, runIds: readonly string[]): Promise<StageRunRow[]> {
  if (runIds.length === 0) return [];
  return db.selectFrom('baton_metrics.stage_runs').selectAll().where('run_id', 'in', [...runIds]).orderBy('started_at').orderBy('stage_id').execute();
}

/** The stage tasks of the runs (tasks a stage created). */
export async function stageTasksOf(db: Db, runIds: readonly string[]): Promise<TaskRow[]> {
  if (runIds.length === 0) return [];
  return db.selectFrom('baton_metrics.tasks').selectAll().where('run_id', 'in', [...runIds]).where('iteration', 'is not', null).orderBy('task_id').execute();
}

/** Tokens reported, summed by run and model. */
export async function tokensByRun(db: Db, runIds: readonly string[]): Promise<{ run_id: string; model: string | null; tokens: number }[]> {
  if (runIds.length === 0) return [];
  const rows = await db
    .selectFrom('baton_metrics.token_reports')
    .select(['run_id', 'model', sql<number>`sum(tokens)::float8`.as('tokens')])
    .where('run_id', 'in', [...runIds])
    .groupBy(['run_id', 'model'])
    .execute();
  return rows.map((r) => ({ run_id: r.run_id!, model: r.model, tokens: r.tokens }));
}

/** One agent or model's executions, handoffs and tokens in the scope. */
export interface PerformerRow {
  readonly key: string;
  readonly executions: number;
  readonly errors: number;
  readonly meanLatencyMs: number | null;
  readonly handoffs: number;
  readonly firstTry: number;
  /** Tokens by model (for an agent, the models it ran on; for a model, itself). */
  readonly tokens: readonly { readonly model: string | null; readonly tokens: number }[];
}

/** Executions, handoffs and tokens grouped by agent or by model (`unknown` for none). */
export async function performers(db: Db, by: 'agent' | 'model', scope: Scope): Promise<PerformerRow[]> {
  const col = by === 'agent' ? sql.ref('agent_id') : sql`coalesce(model, 'unknown')`;
  const since = scope.since ?? new Date(0);
  const agent = scope.agentId === undefined ? sql`true` : sql`agent_id = ${scope.agentId}`;
  const executions = await sql<{ key: string; executions: number; errors: number; mean_latency_ms: number | null }>`
    SELECT ${col} AS key, count(*)::int AS executions, count(*) FILTER (WHERE outcome = 'failed')::int AS errors, avg(duration_ms)::float8 AS mean_latency_ms
      FROM baton_metrics.executions WHERE ended_at >= ${since} AND ${agent} GROUP BY 1`.execute(db);
  // A handoff is a completed stage task; at the first try when never rejected and its stage iteration was not sent back.
  const handoffs = await sql<{ key: string; handoffs: number; first_try: number }>`
    SELECT ${by === 'agent' ? sql`t.agent_id` : sql`coalesce(t.model, 'unknown')`} AS key, count(*)::int AS handoffs,
           count(*) FILTER (WHERE t.rejections = 0 AND NOT coalesce(s.sent_back, false))::int AS first_try
      FROM baton_metrics.tasks t
      LEFT JOIN baton_metrics.stage_runs s ON s.run_id = t.run_id AND s.stage_id = t.stage_id AND s.iteration = t.iteration
     WHERE t.status = 'completed' AND t.iteration IS NOT NULL AND t.agent_id IS NOT NULL AND t.ended_at >= ${since}
       AND ${scope.agentId === undefined ? sql`true` : sql`t.agent_id = ${scope.agentId}`}
     GROUP BY 1`.execute(db);
  const tokens = await sql<{ key: string; model: string | null; tokens: number }>`
    SELECT ${col} AS key, model, sum(tokens)::float8 AS tokens
      FROM baton_metrics.token_reports r
     WHERE ${agent} AND EXISTS (SELECT 1 FROM baton_metrics.tasks t WHERE t.task_id = r.task_id AND t.created_at >= ${since})
     GROUP BY 1, 2`.execute(db);
  const keys = new Set([...executions.rows, ...handoffs.rows, ...tokens.rows].map((r) => r.key));
  return [...keys].sort().map((key) => {
    const e = executions.rows.find((r) => r.key === key);
    const h = handoffs.rows.find((r) => r.key === key);
    return {
      key,
      executions: e?.executions ?? 0,
      errors: e?.errors ?? 0,
      meanLatencyMs: e?.mean_latency_ms ?? null,
      handoffs: h?.handoffs ?? 0,
      firstTry: h?.first_try ?? 0,
      tokens: tokens.rows.filter((r) => r.key === key).map((r) => ({ model: r.model, tokens: r.tokens })),
    };
  });
}
