import {
  AgentRegisteredV1,
  AgentUpdatedV1,
  BatonError,
  BudgetEventSchemas,
  categoryOf,
  HealthEventSchemas,
  TaskEventSchemas,
  TaskHandoffRejectedV1,
  WorkflowVersionRegisteredV1,
  type RecordedEvent,
} from '@baton/contracts';
import { sql, type Transaction, type Updateable } from 'kysely';
import { parseWorkflow } from '@baton/workflow-dsl';
import { z } from 'zod';
import { PROJECTED_TABLES, type MetricsDatabase, type TasksTable } from './metrics.tables';

/** Name of the projection (its checkpoint row in `baton_metrics.projection_checkpoints`). */
export const METRICS_PROJECTION = 'metrics';

/**
 * The events the metrics are made of: runs, tasks and workflow versions (scheduler), agents
 * (registry), health checks and budget decisions (this service).
 */
export const METRICS_FILTER = { categories: ['run', 'task', 'workflow', 'agent', 'health', 'budget'] } as const;

// Run events' schemas live in the scheduler: only the fields read here.
const RUN_INPUTS = {
  RunStarted: z.object({ runId: z.string(), workflowId: z.string(), version: z.string(), priority: z.string(), startedAt: z.string() }),
  StageStarted: z.object({
    runId: z.string(),
    stageId: z.string(),
    iteration: z.number().int(),
    tasks: z.array(z.object({ taskId: z.string(), priority: z.string() })),
    slaMs: z.number().nullable().default(null),
    startedAt: z.string(),
  }),
  StageCompleted: z.object({ runId: z.string(), stageId: z.string(), iteration: z.number().int(), completedAt: z.string() }),
  StageFailed: z.object({ runId: z.string(), stageId: z.string(), iteration: z.number().int(), failedAt: z.string() }),
  StageReworkRequested: z.object({ runId: z.string(), stageId: z.string(), backTo: z.array(z.string()) }),
  RunCompleted: z.object({ runId: z.string(), completedAt: z.string() }),
  RunFailed: z.object({ runId: z.string(), failedAt: z.string() }),
  RunCancelled: z.object({ runId: z.string(), cancelledAt: z.string() }),
  RunPaused: z.object({ runId: z.string() }),
  RunResumed: z.object({ runId: z.string() }),
} as const;

const INPUTS: Readonly<Record<string, Readonly<Record<string, z.ZodType>>>> = {
  run: RUN_INPUTS,
  task: { ...TaskEventSchemas, TaskHandoffRejected: TaskHandoffRejectedV1 },
  agent: { AgentRegistered: AgentRegisteredV1, AgentUpdated: AgentUpdatedV1 },
  health: HealthEventSchemas,
  workflow: { WorkflowVersionRegistered: WorkflowVersionRegisteredV1 },
  budget: BudgetEventSchemas,
};

type Data<S extends z.ZodType> = z.infer<S>;
type Trx = Transaction<MetricsDatabase>;

/** The event's data through the schema of its type, or undefined for a type the metrics do not read. */
function read(event: RecordedEvent): { type: string; data: unknown } | undefined {
  const schema = INPUTS[categoryOf(event.streamId)]?.[event.type];
  if (schema === undefined) return undefined;
  if (event.schemaVersion !== 1) {
    throw new BatonError('UNKNOWN_SCHEMA_VERSION', `${event.type} version ${event.schemaVersion} of ${event.streamId} is not known to the metrics service`, { type: event.type, schemaVersion: event.schemaVersion });
  }
  const parsed = schema.safeParse(event.data);
  if (!parsed.success) throw new BatonError('VALIDATION_FAILED', `${event.type} ${event.eventId} of ${event.streamId} does not match its schema: ${parsed.error.message}`);
  return { type: event.type, data: parsed.data };
}

const at = (iso: string): Date => new Date(iso);

/**
 * The apply function of the metrics projection: one run, task, agent or health event to the
 * read model (inside the runner's transaction). Rows copy what the events say; the figures are
 * computed when they are read (app/metrics.report.ts), so a change of definition needs no rebuild.
 */
export async function applyMetricsEvent(trx: Trx, event: RecordedEvent): Promise<void> {
  const input = read(event);
  if (input === undefined) return;
  switch (categoryOf(event.streamId)) {
    case 'run':
      return applyRunEvent(trx, input.type as keyof typeof RUN_INPUTS, input.data);
    case 'task':
      return applyTaskEvent(trx, event, input.type, input.data);
    case 'agent':
      return applyAgentEvent(trx, input.type, input.data);
    case 'health':
      return applyHealthEvent(trx, event, input.type, input.data);
    case 'workflow':
      return applyWorkflowVersion(trx, input.data as Data<typeof WorkflowVersionRegisteredV1>);
    case 'budget':
      return applyBudgetEvent(trx, event, input.type, input.data);
  }
}

/** The token budgets a registered workflow version declares (the run's and each stage's). */
async function applyWorkflowVersion(trx: Trx, d: Data<typeof WorkflowVersionRegisteredV1>): Promise<void> {
  // The scheduler registers only definitions that parse; one that does not (a newer language) has no budgets here.
  const parsed = parseWorkflow(d.yaml, { file: `${d.workflowId}@${d.version}` });
  if (!parsed.ok) return;
  const def = parsed.workflow;
  const rows = [
    ...(def.budget ? [{ stage_id: '', ...def.budget }] : []),
    ...Object.values(def.stages).flatMap((s) => (s.budget ? [{ stage_id: s.id, ...s.budget }] : [])),
  ].map((b) => ({ workflow_id: d.workflowId, version: d.version, stage_id: b.stage_id, tokens: b.tokens, on_exceed: b.onExceed }));
  if (rows.length === 0) return;
  await trx
    .insertInto('baton_metrics.budgets')
    .values(rows)
    .onConflict((oc) => oc.columns(['workflow_id', 'version', 'stage_id']).doNothing())
    .execute();
}

async function applyBudgetEvent(trx: Trx, event: RecordedEvent, type: string, raw: unknown): Promise<void> {
  const d = raw as Data<(typeof BudgetEventSchemas)['BudgetExceeded']> & Data<(typeof BudgetEventSchemas)['BudgetWarningReached']>;
  const exceeded = type === 'BudgetExceeded';
  await trx
    .insertInto('baton_metrics.budget_decisions')
    .values({
      event_id: event.eventId,
      run_id: d.runId,
      stage_id: d.stageId,
      kind: exceeded ? 'exceeded' : 'warning',
      used: d.used,
      tokens: d.tokens,
      policy: d.policy,
      at: at(exceeded ? d.exceededAt : d.reachedAt),
    })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
}

async function endRun(trx: Trx, runId: string, status: string, endedAt: string | null): Promise<void> {
  await trx
    .updateTable('baton_metrics.runs')
    .set({ status, ...(endedAt === null ? {} : { ended_at: at(endedAt) }) })
    .where('run_id', '=', runId)
    .execute();
}

async function endStage(trx: Trx, d: { runId: string; stageId: string; iteration: number }, status: string, endedAt: string): Promise<void> {
  await trx
    .updateTable('baton_metrics.stage_runs')
    .set({ status, ended_at: at(endedAt) })
    .where('run_id', '=', d.runId)
    .where('stage_id', '=', d.stageId)
    .where('iteration', '=', d.iteration)
    .execute();
}

async function applyRunEvent(trx: Trx, type: keyof typeof RUN_INPUTS, raw: unknown): Promise<void> {
  switch (type) {
    case 'RunStarted': {
      const d = raw as Data<typeof RUN_INPUTS.RunStarted>;
      await trx
        .insertInto('baton_metrics.runs')
        .values({ run_id: d.runId, workflow_id: d.workflowId, version: d.version, priority: d.priority, status: 'running', started_at: at(d.startedAt), ended_at: null, blockers: 0 })
        .onConflict((oc) => oc.column('run_id').doNothing())
        .execute();
      return;
    }
    case 'StageStarted': {
      const d = raw as Data<typeof RUN_INPUTS.StageStarted>;
      await trx
        .insertInto('baton_metrics.stage_runs')
        .values({ run_id: d.runId, stage_id: d.stageId, iteration: d.iteration, started_at: at(d.startedAt), ended_at: null, status: 'running', sla_ms: d.slaMs, sent_back: false })
        .onConflict((oc) => oc.columns(['run_id', 'stage_id', 'iteration']).doNothing())
        .execute();
      // The task may be created before or after this event: either way it learns its stage here.
      for (const t of d.tasks) {
        await trx
          .insertInto('baton_metrics.tasks')
          .values({ task_id: t.taskId, run_id: d.runId, stage_id: d.stageId, iteration: d.iteration, priority: t.priority, status: 'queued', created_at: at(d.startedAt), rejections: 0 })
          .onConflict((oc) => oc.column('task_id').doUpdateSet({ run_id: d.runId, stage_id: d.stageId, iteration: d.iteration }))
          .execute();
      }
      return;
    }
    case 'StageCompleted': {
      const d = raw as Data<typeof RUN_INPUTS.StageCompleted>;
      return endStage(trx, d, 'completed', d.completedAt);
    }
    case 'StageFailed': {
      const d = raw as Data<typeof RUN_INPUTS.StageFailed>;
      return endStage(trx, d, 'failed', d.failedAt);
    }
    case 'StageReworkRequested': {
      const d = raw as Data<typeof RUN_INPUTS.StageReworkRequested>;
      // The work sent back is each named stage's latest iteration.
      for (const stageId of d.backTo) {
        await sql`
          UPDATE baton_metrics.stage_runs SET sent_back = true
           WHERE run_id = ${d.runId} AND stage_id = ${stageId}
             AND iteration = (SELECT max(iteration) FROM baton_metrics.stage_runs WHERE run_id = ${d.runId} AND stage_id = ${stageId})`.execute(trx);
      }
      return;
    }
    case 'RunCompleted': {
      const d = raw as Data<typeof RUN_INPUTS.RunCompleted>;
      return endRun(trx, d.runId, 'success', d.completedAt);
    }
    case 'RunFailed': {
      const d = raw as Data<typeof RUN_INPUTS.RunFailed>;
      return endRun(trx, d.runId, 'failure', d.failedAt);
    }
    case 'RunCancelled': {
      const d = raw as Data<typeof RUN_INPUTS.RunCancelled>;
      return endRun(trx, d.runId, 'cancelled', d.cancelledAt);
    }
    case 'RunPaused':
      return endRun(trx, (raw as Data<typeof RUN_INPUTS.RunPaused>).runId, 'paused', null);
    case 'RunResumed':
      return endRun(trx, (raw as Data<typeof RUN_INPUTS.RunResumed>).runId, 'running', null);
  }
}

type TaskData<K extends keyof typeof TaskEventSchemas> = Data<(typeof TaskEventSchemas)[K]>;

async function setTask(trx: Trx, taskId: string, patch: Updateable<TasksTable>): Promise<void> {
  await trx.updateTable('baton_metrics.tasks').set(patch).where('task_id', '=', taskId).execute();
}

async function taskRow(trx: Trx, taskId: string) {
  return trx.selectFrom('baton_metrics.tasks').selectAll().where('task_id', '=', taskId).executeTakeFirst();
}

async function applyTaskEvent(trx: Trx, event: RecordedEvent, type: string, raw: unknown): Promise<void> {
  switch (type) {
    case 'TaskCreated': {
      const d = raw as TaskData<'TaskCreated'>;
      await trx
        .insertInto('baton_metrics.tasks')
        .values({ task_id: d.taskId, run_id: d.runId, stage_id: d.stageId, iteration: null, priority: d.priority, status: 'queued', created_at: at(d.createdAt), rejections: 0 })
        .onConflict((oc) => oc.column('task_id').doUpdateSet({ priority: d.priority, created_at: at(d.createdAt) }))
        .execute();
      return;
    }
    case 'TaskAssigned': {
      const d = raw as TaskData<'TaskAssigned'>;
      const agent = await trx.selectFrom('baton_metrics.agents').select('model').where('agent_id', '=', d.agentId).executeTakeFirst();
      return setTask(trx, d.taskId, { status: 'assigned', agent_id: d.agentId, model: agent?.model ?? null, assigned_at: at(d.assignedAt), accepted_at: null });
    }
    case 'TaskAccepted': {
      const d = raw as TaskData<'TaskAccepted'>;
      return setTask(trx, d.taskId, { status: 'accepted', accepted_at: at(d.acceptedAt) });
    }
    case 'TaskBlocked': {
      const d = raw as TaskData<'TaskBlocked'>;
      await setTask(trx, d.taskId, { status: 'blocked' });
      const task = await taskRow(trx, d.taskId);
      if (task?.run_id) await sql`UPDATE baton_metrics.runs SET blockers = blockers + 1 WHERE run_id = ${task.run_id}`.execute(trx);
      return;
    }
    case 'TaskUnblocked':
      return setTask(trx, (raw as TaskData<'TaskUnblocked'>).taskId, { status: 'accepted' });
    case 'TaskProgressReported': {
      const d = raw as TaskData<'TaskProgressReported'>;
      const tokens = d.tokensUsed;
      if (tokens === null) return;
      const task = await taskRow(trx, d.taskId);
      // tokensUsed is the attempt's running total: the latest report of each lease counts.
      await trx
        .insertInto('baton_metrics.token_reports')
        .values({ task_id: d.taskId, lease_epoch: d.leaseEpoch, run_id: task?.run_id ?? null, stage_id: task?.stage_id ?? null, agent_id: d.agentId, model: task?.model ?? null, tokens })
        .onConflict((oc) => oc.columns(['task_id', 'lease_epoch']).doUpdateSet({ tokens }))
        .execute();
      return;
    }
    case 'TaskHandoffRejected': {
      const d = raw as Data<typeof TaskHandoffRejectedV1>;
      await sql`UPDATE baton_metrics.tasks SET rejections = rejections + 1 WHERE task_id = ${d.taskId}`.execute(trx);
      return;
    }
    case 'TaskCompleted': {
      const d = raw as TaskData<'TaskCompleted'>;
      const task = await taskRow(trx, d.taskId);
      await setTask(trx, d.taskId, { status: 'completed', ended_at: at(d.completedAt) });
      await insertExecution(trx, event, { taskId: d.taskId, runId: task?.run_id ?? null, agentId: d.agentId, model: task?.model ?? null, outcome: 'completed', durationMs: d.durationMs, endedAt: d.completedAt });
      return;
    }
    case 'TaskFailed': {
      const d = raw as TaskData<'TaskFailed'>;
      const task = await taskRow(trx, d.taskId);
      await setTask(trx, d.taskId, d.final ? { status: 'failed', ended_at: at(d.failedAt) } : { status: 'queued' });
      if (d.agentId !== null) {
        const durationMs = task?.assigned_at ? Math.max(0, at(d.failedAt).getTime() - task.assigned_at.getTime()) : null;
        await insertExecution(trx, event, { taskId: d.taskId, runId: task?.run_id ?? null, agentId: d.agentId, model: task?.model ?? null, outcome: 'failed', durationMs, endedAt: d.failedAt });
      }
      return;
    }
    case 'TaskReleased':
      return setTask(trx, (raw as TaskData<'TaskReleased'>).taskId, { status: 'queued' });
    case 'TaskCancelled': {
      const d = raw as TaskData<'TaskCancelled'>;
      return setTask(trx, d.taskId, { status: 'cancelled', ended_at: at(d.cancelledAt) });
    }
  }
}

async function insertExecution(
  trx: Trx,
  event: RecordedEvent,
  e: { taskId: string; runId: string | null; agentId: string; model: string | null; outcome: 'completed' | 'failed'; durationMs: number | null; endedAt: string },
): Promise<void> {
  await trx
    .insertInto('baton_metrics.executions')
    .values({ event_id: event.eventId, task_id: e.taskId, run_id: e.runId, agent_id: e.agentId, model: e.model, outcome: e.outcome, duration_ms: e.durationMs, ended_at: at(e.endedAt) })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
}

async function applyAgentEvent(trx: Trx, type: string, raw: unknown): Promise<void> {
  if (type === 'AgentRegistered') {
    const d = raw as Data<typeof AgentRegisteredV1>;
    await trx
      .insertInto('baton_metrics.agents')
      .values({ agent_id: d.agentId, model: d.model ?? null, max_concurrency: d.maxConcurrency })
      .onConflict((oc) => oc.column('agent_id').doUpdateSet({ model: d.model ?? null, max_concurrency: d.maxConcurrency }))
      .execute();
    return;
  }
  const d = raw as Data<typeof AgentUpdatedV1>;
  const patch = {
    ...(d.changes.model !== undefined ? { model: d.changes.model } : {}),
    ...(d.changes.maxConcurrency !== undefined ? { max_concurrency: d.changes.maxConcurrency } : {}),
  };
  if (Object.keys(patch).length > 0) await trx.updateTable('baton_metrics.agents').set(patch).where('agent_id', '=', d.agentId).execute();
}

async function applyHealthEvent(trx: Trx, event: RecordedEvent, type: string, raw: unknown): Promise<void> {
  const breached = type === 'HealthCheckBreached';
  const d = raw as Data<(typeof HealthEventSchemas)['HealthCheckBreached']> & Data<(typeof HealthEventSchemas)['HealthCheckRecovered']>;
  const row = {
    check: d.check,
    subject: d.subject,
    status: breached ? ('breached' as const) : ('ok' as const),
    value: d.value,
    unit: d.unit,
    threshold: JSON.stringify(d.threshold),
    actions: JSON.stringify(breached ? d.actions : []),
    since: at(breached ? d.breachedAt : d.recoveredAt),
    breach_event_id: breached ? event.eventId : null,
  };
  const { check: _c, subject: _s, ...update } = row;
  await trx
    .insertInto('baton_metrics.health_checks')
    .values(row)
    .onConflict((oc) => oc.columns(['check', 'subject']).doUpdateSet(update))
    .execute();
}

/** Empties the projected tables before a rebuild (investigations are kept: they record escalations raised). */
export async function resetMetrics(trx: Trx): Promise<void> {
  for (const table of PROJECTED_TABLES) await trx.deleteFrom(`baton_metrics.${table}`).execute();
}
