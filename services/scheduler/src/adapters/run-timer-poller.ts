import { serviceContext, type Clock } from '@baton/aggregate';
import { errorCodeOf, shortDigest } from '@baton/contracts';
import type { MessagingLogger } from '@baton/messaging';
import { nextRunAfter, resolveParams } from '@baton/workflow-dsl';
import { queryRows } from '@baton/read-models';
import type { Kysely, Selectable } from 'kysely';
import type { RunRunner } from '../app/runners';
import type { RunService } from '../app/run.service';
import type { WorkflowDefinitions } from '../app/workflow-definitions';
import type { RunTimersTable, SchedulerDatabase } from '../read-model/scheduler.tables';

/** The pass's two reads, as text (once per pass, under the lease: see `queryRows`). */
const DUE_RUN_TIMERS = 'SELECT * FROM scheduler.run_timers WHERE due_at <= $1 ORDER BY due_at, timer_id LIMIT 100';
const NEXT_RUN_TIMER = 'SELECT due_at FROM scheduler.run_timers ORDER BY due_at LIMIT 1';

export interface RunTimerPassOptions {
  readonly db: Kysely<SchedulerDatabase>;
  readonly runs: RunRunner;
  readonly runService: RunService;
  readonly definitions: WorkflowDefinitions;
  readonly clock: Clock;
  readonly isLeader: () => boolean;
  readonly logger: MessagingLogger;
}

/** Deterministic run id of the cron run due at `dueAt`: a fire repeated after a crash starts nothing new. */
export function cronRunId(workflowId: string, dueAt: Date): string {
  return `cron-${shortDigest(workflowId, 16)}-${dueAt.getTime()}`;
}

/**
 * One pass of the run timers (a WakeLoop under the dispatcher lease), `scheduler.run_timers`:
 * - `stage-sla`: appends `StageSlaBreached` if that stage iteration is still running; deleted after;
 * - `run-sla`: appends `RunSlaBreached` if the run is still open; deleted after;
 * - `cron`: starts one run of the workflow's latest version (run id from the due time), then moves
 *   the timer to `nextRunAfter(trigger, now)`. Catch-up policy: however many ticks were missed
 *   while the service was down, a due schedule fires ONCE, and the next tick is the first one
 *   after now.
 * Returns the milliseconds until the next timer is due.
 */
export async function runTimerPass(o: RunTimerPassOptions): Promise<number | void> {
  if (!o.isLeader()) return;
  const now = o.clock.now();
  const due = await queryRows<Selectable<RunTimersTable>>(o.db, DUE_RUN_TIMERS, [now]);
  for (const t of due) {
    if (!o.isLeader()) return;
    switch (t.kind) {
      case 'stage-sla': {
        if (t.run_id !== null && t.stage_id !== null && t.iteration !== null) {
          const stageId = t.stage_id;
          const iteration = t.iteration;
          await o.runs.execute(t.run_id, (metadata) => ({ type: 'BreachSla', data: { stageId, iteration }, metadata }), serviceContext('scheduler', `timer:${t.timer_id}`));
        }
        await o.db.deleteFrom('scheduler.run_timers').where('timer_id', '=', t.timer_id).execute();
        break;
      }
      case 'run-sla': {
        if (t.run_id !== null) await o.runs.execute(t.run_id, (metadata) => ({ type: 'BreachRunSla', data: {}, metadata }), serviceContext('scheduler', `timer:${t.timer_id}`));
        await o.db.deleteFrom('scheduler.run_timers').where('timer_id', '=', t.timer_id).execute();
        break;
      }
      case 'cron': {
        let next: Date | null = null;
        try {
          const { def } = await o.definitions.load(t.workflow_id);
          next = nextRunAfter(def.trigger, now);
          const params = resolveParams(def, {});
          if (!params.ok) o.logger.warn(`cron run of ${def.id} skipped: ${params.errors.join('; ')}`);
          else {
            await o.runService.startRun(
              { workflowId: def.id, version: def.version, params: params.params, priority: 'P1', runId: cronRunId(def.id, t.due_at), trigger: { kind: 'schedule', cron: t.cron, dueAt: t.due_at.toISOString() } },
              serviceContext('scheduler', `cron:${t.workflow_id}:${t.due_at.getTime()}`),
            );
          }
        } catch (err) {
          if (errorCodeOf(err) !== 'NOT_FOUND') throw err;
        }
        if (next === null) await o.db.deleteFrom('scheduler.run_timers').where('timer_id', '=', t.timer_id).where('due_at', '=', t.due_at).execute();
        else await o.db.updateTable('scheduler.run_timers').set({ due_at: next }).where('timer_id', '=', t.timer_id).where('due_at', '=', t.due_at).execute();
        break;
      }
      default: {
        const unhandled: never = t.kind;
        o.logger.error(`unknown run timer kind ${String(unhandled)}`);
      }
    }
  }
  const [next] = await queryRows<{ due_at: Date }>(o.db, NEXT_RUN_TIMER, []);
  return next === undefined ? undefined : Math.max(0, next.due_at.getTime() - o.clock.now().getTime());
}
