import { BatonError, WorkflowVersionRegisteredV1, type RecordedEvent } from '@baton/contracts';
import { compareVersions, nextRunAfter, parseWorkflow } from '@baton/workflow-dsl';
import { executeLiteralWrite, insertRowsSql, updateRowSql } from '@baton/read-models';
import type { Transaction } from 'kysely';
import type { RunsTable, SchedulerDatabase } from './scheduler.tables';
import { toRunEvent, type RunEvent } from '../domain';

/** Name of the workflows projection (definitions, runs, cron timers). */
export const WORKFLOWS_PROJECTION = 'workflows';
export const WORKFLOWS_PROJECTION_FILTER = { categories: ['workflow', 'run'] } as const;

type Trx = Transaction<SchedulerDatabase>;

/**
 * Run events that change no row here (a run's row changes when it starts, ends, pauses or
 * resumes): the projection runner applies a batch of only these without a transaction (its
 * `inert`), most of a workflow's events.
 */
const RUN_EVENTS_WITHOUT_ROW = [
  'StageStarted', 'StageTaskFinished', 'StageCompleted', 'StageFailed', 'StageSkipped', 'StageSlaBreached', 'StageCleanupStarted', 'FailureStepsStarted',
  'StageApprovalRequested', 'StageApproved', 'StageRejected', 'StageReworkRequested', 'StageEscalated', 'StageReused', 'RunRerunStarted', 'RunSlaBreached',
] as const satisfies readonly RunEvent['type'][];
type RunEventWithoutRow = (typeof RUN_EVENTS_WITHOUT_ROW)[number];
const WITHOUT_ROW: ReadonlySet<string> = new Set(RUN_EVENTS_WITHOUT_ROW);

/** The workflows projection's `inert`: a run event that changes no row of its read model. */
export function workflowsProjectionInert(recorded: RecordedEvent): boolean {
  return WITHOUT_ROW.has(recorded.type) && recorded.streamId.startsWith('run-');
}

/** Timer id of a workflow's cron trigger (one per workflow: its latest version's schedule). */
export const cronTimerId = (workflowId: string): string => `cron:${workflowId}`;

/** A run's row, written once per run as text (see literal-sql in @baton/read-models); a row there already is left as it is. */
const INSERT_RUN = insertRowsSql<RunsTable>('scheduler.runs', ['run_id', 'workflow_id', 'version', 'state', 'started_at', 'ended_at', 'revision'], { key: 'run_id', nothing: true });

/**
 * Applies `workflow-*` and `run-*` events to `scheduler.workflow_definitions` and
 * `scheduler.runs`, and keeps one durable cron timer per scheduled workflow (the latest
 * version's `trigger.schedule`; next run from `nextRunAfter(trigger, now)`). A registration
 * that keeps the same cron keeps the pending due time, so re-registering never adds a tick.
 */
export function workflowsProjection(now: () => Date): (trx: Trx, recorded: RecordedEvent) => Promise<void> {
  return async (trx, recorded) => {
    if (recorded.type === 'WorkflowVersionRegistered') {
      const d = WorkflowVersionRegisteredV1.parse(recorded.data);
      const parsed = parseWorkflow(d.yaml, { file: `${d.workflowId}.yml` });
      if (!parsed.ok) throw new BatonError('INTERNAL', `stored workflow ${d.workflowId}@${d.version} does not parse`);
      const def = parsed.workflow;
      const trigger = def.trigger;
      await trx
        .insertInto('scheduler.workflow_definitions')
        .values({
          workflow_id: d.workflowId,
          version: d.version,
          hash: d.hash,
          name: def.name,
          description: def.description,
          trigger_kind: trigger.kind,
          item_types: JSON.stringify(trigger.kind === 'work_item' ? trigger.itemTypes : []) as never,
          cron: trigger.kind === 'schedule' ? trigger.cron : null,
          yaml: d.yaml,
          registered_at: new Date(d.registeredAt),
        })
        .onConflict((oc) => oc.columns(['workflow_id', 'version']).doNothing())
        .execute();
      const versions = await trx.selectFrom('scheduler.workflow_definitions').select('version').where('workflow_id', '=', d.workflowId).execute();
      const latest = versions.every((v) => compareVersions(d.version, v.version) >= 0);
      if (!latest) return;
      const timerId = cronTimerId(d.workflowId);
      const next = nextRunAfter(trigger, now());
      if (trigger.kind !== 'schedule' || next === null) {
        await trx.deleteFrom('scheduler.run_timers').where('timer_id', '=', timerId).execute();
        return;
      }
      const existing = await trx.selectFrom('scheduler.run_timers').select('cron').where('timer_id', '=', timerId).executeTakeFirst();
      if (existing?.cron === trigger.cron) return;
      await trx
        .insertInto('scheduler.run_timers')
        .values({ timer_id: timerId, kind: 'cron', workflow_id: d.workflowId, run_id: null, stage_id: null, iteration: null, cron: trigger.cron, due_at: next })
        .onConflict((oc) => oc.column('timer_id').doUpdateSet({ cron: trigger.cron, due_at: next }))
        .execute();
      return;
    }
    if (!recorded.streamId.startsWith('run-') || workflowsProjectionInert(recorded)) return;
    // Every other run event type is handled below (a new one fails to compile until it is here or in RUN_EVENTS_WITHOUT_ROW).
    const event = toRunEvent(recorded) as Exclude<RunEvent, { type: RunEventWithoutRow }>;
    const at = (iso: string) => new Date(iso);
    const update = (runId: string, set: { state: RunsTable['state']; ended_at?: Date }) =>
      executeLiteralWrite(trx, updateRowSql('scheduler.runs', { ...set, revision: recorded.revision }, 'run_id', runId));
    switch (event.type) {
      case 'RunStarted':
        await executeLiteralWrite(
          trx,
          INSERT_RUN([
            {
              run_id: event.data.runId,
              workflow_id: event.data.workflowId,
              version: event.data.version,
              state: 'running',
              started_at: at(event.data.startedAt),
              ended_at: null,
              revision: recorded.revision,
            },
          ]),
        );
        return;
      case 'RunCompleted':
        await update(event.data.runId, { state: 'success', ended_at: at(event.data.completedAt) });
        return;
      case 'RunFailed':
        await update(event.data.runId, { state: 'failure', ended_at: at(event.data.failedAt) });
        return;
      case 'RunCancelled':
        await update(event.data.runId, { state: 'cancelled', ended_at: at(event.data.cancelledAt) });
        return;
      case 'RunPaused':
        await update(event.data.runId, { state: 'paused' });
        return;
      case 'RunResumed':
        await update(event.data.runId, { state: 'running' });
        return;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  };
}

/** Empties the workflows read models before a rebuild (cron timers are recreated from the definitions). */
export async function resetWorkflows(trx: Trx): Promise<void> {
  await trx.deleteFrom('scheduler.runs').execute();
  await trx.deleteFrom('scheduler.workflow_definitions').execute();
  await trx.deleteFrom('scheduler.run_timers').where('kind', '=', 'cron').execute();
}
