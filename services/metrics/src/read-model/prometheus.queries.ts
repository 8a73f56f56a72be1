import { sql, type Kysely } from 'kysely';
import type { MetricsDatabase } from './metrics.tables';

type Db = Kysely<MetricsDatabase>;

/** Cumulative counts of `column` (seconds) at each bound, with sum and count, grouped by `key`. */
async function histogram(db: Db, from: ReturnType<typeof sql>, key: ReturnType<typeof sql>, seconds: ReturnType<typeof sql>, bounds: readonly number[]) {
  const buckets = bounds.map((b, i) => sql`count(*) FILTER (WHERE ${seconds} <= ${b})::float8 AS ${sql.ref(`b${i}`)}`);
  const rows = await sql<Record<string, number | string>>`
    SELECT ${key} AS key, ${sql.join(buckets)}, coalesce(sum(${seconds}), 0)::float8 AS sum, count(*)::float8 AS count
      FROM ${from} GROUP BY 1 ORDER BY 1`.execute(db);
  return rows.rows.map((r) => ({ key: String(r['key']), buckets: bounds.map((_, i) => Number(r[`b${i}`])), sum: Number(r['sum']), count: Number(r['count']) }));
}

/** Finished runs by workflow and final status. */
export async function finishedRunCounts(db: Db) {
  return (await sql<{ workflow_id: string; status: string; n: number }>`
    SELECT workflow_id, status, count(*)::int AS n FROM baton_metrics.runs WHERE status IN ('success', 'failure', 'cancelled') GROUP BY 1, 2 ORDER BY 1, 2`.execute(db)).rows;
}

/** Runs not finished (running or paused), by workflow. */
export async function activeRunCounts(db: Db) {
  return (await sql<{ workflow_id: string; n: number }>`
    SELECT workflow_id, count(*)::int AS n FROM baton_metrics.runs WHERE status IN ('running', 'paused') GROUP BY 1 ORDER BY 1`.execute(db)).rows;
}

/** Cycle times of finished runs, by workflow. */
export function runDurations(db: Db, bounds: readonly number[]) {
  return histogram(db, sql`baton_metrics.runs WHERE ended_at IS NOT NULL`, sql`workflow_id`, sql`extract(epoch FROM ended_at - started_at)`, bounds);
}

/** Executions (attempts that ended) and failed ones, by agent. */
export async function executionCounts(db: Db) {
  return (await sql<{ agent_id: string; n: number; failed: number }>`
    SELECT agent_id, count(*)::int AS n, count(*) FILTER (WHERE outcome = 'failed')::int AS failed FROM baton_metrics.executions GROUP BY 1 ORDER BY 1`.execute(db)).rows;
}

/** Execution times by agent. */
export function executionLatencies(db: Db, bounds: readonly number[]) {
  return histogram(db, sql`baton_metrics.executions WHERE duration_ms IS NOT NULL`, sql`agent_id`, sql`duration_ms / 1000.0`, bounds);
}

/** Tasks waiting in the queue, by priority (every priority listed). */
export async function queueDepth(db: Db) {
  return (await sql<{ priority: string; n: number }>`
    SELECT p.priority, count(t.task_id)::int AS n
      FROM (VALUES ('P0'), ('P1'), ('P2')) AS p(priority)
      LEFT JOIN baton_metrics.tasks t ON t.priority = p.priority AND t.status = 'queued'
     GROUP BY 1 ORDER BY 1`.execute(db)).rows;
}

/** Tasks each agent holds now over the tasks it may hold (its max concurrency). */
export async function agentUtilisation(db: Db) {
  return (await sql<{ agent_id: string; held: number; capacity: number }>`
    SELECT a.agent_id, count(t.task_id)::int AS held, a.max_concurrency AS capacity
      FROM baton_metrics.agents a
      LEFT JOIN baton_metrics.tasks t ON t.agent_id = a.agent_id AND t.status IN ('assigned', 'accepted', 'blocked')
     GROUP BY a.agent_id, a.max_concurrency ORDER BY 1`.execute(db)).rows;
}

/** Tokens reported, by agent and model. */
export async function tokenTotals(db: Db) {
  return (await sql<{ agent_id: string; model: string; tokens: number }>`
    SELECT agent_id, coalesce(model, 'unknown') AS model, sum(tokens)::float8 AS tokens FROM baton_metrics.token_reports GROUP BY 1, 2 ORDER BY 1, 2`.execute(db)).rows;
}

/** Checks in breach now, with their actions. */
export async function breachedChecks(db: Db) {
  return db.selectFrom('baton_metrics.health_checks').select(['check', 'subject', 'actions']).where('status', '=', 'breached').orderBy('check').orderBy('subject').execute();
}
