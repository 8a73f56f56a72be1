import type { RecordedEvent } from '@baton/contracts';
import { occurredAtOf, patchRow, unhandledProjectionEvent, upsertRow } from '@baton/read-models';
import type { Transaction, Updateable } from 'kysely';
import { deleteAllEscalations } from './escalation.queries';
import type { EscalationDatabase, EscalationsTable } from './escalation.tables';
import { queryableOf } from './sql';
import { climbTimerId, deleteTimer, upsertTimer } from './watch.queries';
import { nextClimbAt, readEscalationEvent, type EscalationRaisedData } from '../domain';

/** Name of the escalations projection (its checkpoint row in `baton_escalation.projection_checkpoints`). */
export const ESCALATIONS_PROJECTION = 'escalations';

/** Events the projection reads (and the relay publishes): every event of `escalation-*` streams. */
export const ESCALATIONS_FILTER = { categories: ['escalation'] } as const;

/** Arms the climb timer of an open escalation at its next threshold, or drops it (L3). */
async function armClimb(trx: Transaction<EscalationDatabase>, raised: Pick<EscalationRaisedData, 'escalationId' | 'trigger' | 'since' | 'ladder'>, level: number): Promise<void> {
  const q = queryableOf(trx);
  const next = nextClimbAt(raised.trigger, new Date(raised.since), level as EscalationRaisedData['level'], raised.ladder);
  if (next === undefined) await deleteTimer(q, climbTimerId(raised.escalationId));
  else await upsertTimer(q, { timerId: climbTimerId(raised.escalationId), kind: 'climb', escalationId: raised.escalationId, dueAt: next, payload: {} });
}

/**
 * The apply function of the escalations projection: one escalation event to
 * `baton_escalation.escalations` (inside the runner's transaction). Raising and climbing also
 * arm the escalation's durable climb timer for its next level, and resolving drops it, in the
 * same transaction; the timer poller sets the same due time when it fires, so replays agree.
 */
export async function applyEscalationEvent(trx: Transaction<EscalationDatabase>, recorded: RecordedEvent): Promise<void> {
  const event = readEscalationEvent(recorded);
  const at = occurredAtOf(recorded);
  const patchEscalation = (escalationId: string, patch: Updateable<EscalationsTable>) =>
    patchRow(trx, 'baton_escalation.escalations', 'escalation_id', escalationId, patch, { revision: recorded.revision, at });
  switch (event.type) {
    case 'EscalationRaised': {
      const d = event.data;
      await upsertRow(trx, 'baton_escalation.escalations', 'escalation_id', {
        escalation_id: d.escalationId,
        trigger: d.trigger,
        level: d.level,
        start_level: d.level,
        assignee_kind: d.assignee.kind,
        assignee_id: d.assignee.id,
        status: 'open',
        issue: d.issue,
        workflow_stage: d.workflowStage,
        options: JSON.stringify(d.options),
        recommendation: d.recommendation,
        blocking: d.blocking,
        run_id: d.runId,
        stage_id: d.stageId,
        task_id: d.taskId,
        agent_id: d.agentId,
        since: new Date(d.since),
        ladder: JSON.stringify(d.ladder),
        raised_at: new Date(d.raisedAt),
        updated_at: at,
        resolution: null,
        resolved_by: null,
        resolution_reason: null,
        resolved_at: null,
        revision: recorded.revision,
      });
      await armClimb(trx, d, d.level);
      return;
    }
    case 'EscalationLevelRaised': {
      const d = event.data;
      const row = await patchEscalation(d.escalationId, { level: d.to, assignee_kind: d.assignee.kind, assignee_id: d.assignee.id });
      if (row?.status === 'open') {
        await armClimb(trx, { escalationId: d.escalationId, trigger: d.trigger, since: row.since.toISOString(), ladder: row.ladder }, d.to);
      }
      return;
    }
    case 'EscalationResolved': {
      const d = event.data;
      await patchEscalation(d.escalationId, { status: 'resolved', resolution: d.resolution, resolved_by: JSON.stringify(d.by), resolution_reason: d.reason, resolved_at: new Date(d.resolvedAt) });
      await deleteTimer(queryableOf(trx), climbTimerId(d.escalationId));
      return;
    }
    default:
      return unhandledProjectionEvent('escalations', event);
  }
}

/** Empties the read model before a rebuild (timers are kept; replaying re-arms the same ones). */
export async function resetEscalations(trx: Transaction<EscalationDatabase>): Promise<void> {
  await deleteAllEscalations(trx);
}
