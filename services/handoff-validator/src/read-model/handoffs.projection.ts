import { BatonError, type RecordedEvent } from '@baton/contracts';
import type { Transaction } from 'kysely';
import { toHandoffEvent } from '../domain';
import { deleteAllHandoffs, patchHandoff, upsertHandoff } from './handoffs.queries';
import type { HandoffDatabase } from './handoffs.table';

/** Name of the handoffs projection (its checkpoint row in `baton_handoff.projection_checkpoints`). */
export const HANDOFFS_PROJECTION = 'handoffs';

/** Events the handoffs projection (and the relay) read: every event of `handoff-*` streams. */
export const HANDOFFS_FILTER = { categories: ['handoff'] } as const;

/**
 * The apply function of the handoffs projection: one handoff event to `baton_handoff.handoffs`
 * (called by the projection runner inside its transaction). Rows take their times from the
 * events, so a rebuild gives identical rows.
 */
export async function applyHandoffEvent(trx: Transaction<HandoffDatabase>, recorded: RecordedEvent): Promise<void> {
  const event = toHandoffEvent(recorded);
  switch (event.type) {
    case 'HandoffSubmitted': {
      const d = event.data;
      await upsertHandoff(trx, {
        handoff_id: d.handoffId,
        task_id: d.taskId,
        run_id: d.runId,
        stage_id: d.stageId,
        iteration: d.iteration,
        from_agent_id: d.fromAgentId,
        to_agent_ids: [...d.toAgentIds],
        status: 'pending',
        spec_ids: [...d.specIds],
        artifacts: JSON.stringify(d.artifacts),
        context: JSON.stringify(d.context),
        failures: '[]',
        rules_checked: null,
        submitted_at: new Date(d.submittedAt),
        submitted_commit: recorded.position.commit,
        submitted_prepare: recorded.position.prepare,
        decided_at: null,
        revision: recorded.revision,
      });
      return;
    }
    case 'HandoffAccepted':
      await patchHandoff(trx, event.data.handoffId, {
        status: 'accepted',
        failures: '[]',
        rules_checked: event.data.rulesChecked,
        decided_at: new Date(event.data.acceptedAt),
        revision: recorded.revision,
      });
      return;
    case 'HandoffRejected':
      await patchHandoff(trx, event.data.handoffId, {
        status: 'rejected',
        failures: JSON.stringify(event.data.failures),
        rules_checked: event.data.rulesChecked,
        decided_at: new Date(event.data.rejectedAt),
        revision: recorded.revision,
      });
      return;
    default: {
      const unhandled: never = event;
      throw new BatonError('INTERNAL', `handoffs projection does not handle ${String((unhandled as { type: unknown }).type)}`);
    }
  }
}

/** Empties the handoffs read model before a rebuild. */
export async function resetHandoffs(trx: Transaction<HandoffDatabase>): Promise<void> {
  await deleteAllHandoffs(trx);
}
