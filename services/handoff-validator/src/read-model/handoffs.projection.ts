import type { RecordedEvent } from '@baton/contracts';
import { unhandledProjectionEvent } from '@baton/read-models';
import type { Transaction } from 'kysely';
import { toHandoffEvent } from '../domain';
import { deleteAllHandoffs, patchHandoff, upsertHandoffs } from './handoffs.queries';
import type { HandoffDatabase, NewHandoffRow } from './handoffs.table';

/** Name of the handoffs projection (its checkpoint row in `baton_handoff.projection_checkpoints`). */
export const HANDOFFS_PROJECTION = 'handoffs';

/** Events the handoffs projection (and the relay) read: every event of `handoff-*` streams. */
export const HANDOFFS_FILTER = { categories: ['handoff'] } as const;

/** The columns a verdict sets on a handoff's row. */
type Decision = Pick<NewHandoffRow, 'status' | 'failures' | 'rules_checked' | 'decided_at' | 'revision'>;

/**
 * The apply function of the handoffs projection: the handoff events of one transaction to
 * `baton_handoff.handoffs` (called by the projection runner inside its transaction, events in
 * order). A handoff's submission and verdict are appended together, so its row is usually
 * written whole by one statement; a verdict whose submission came in an earlier transaction
 * changes the row in place. Rows take their times from the events, so a rebuild gives identical
 * rows.
 */
export async function applyHandoffEvents(trx: Transaction<HandoffDatabase>, events: readonly RecordedEvent[]): Promise<void> {
  const rows = new Map<string, NewHandoffRow>();
  const patches = new Map<string, Decision>();
  const decide = (handoffId: string, decision: Decision): void => {
    const row = rows.get(handoffId);
    if (row) rows.set(handoffId, { ...row, ...decision });
    else patches.set(handoffId, { ...patches.get(handoffId), ...decision });
  };
  for (const recorded of events) {
    const event = toHandoffEvent(recorded);
    switch (event.type) {
      case 'HandoffSubmitted': {
        const d = event.data;
        patches.delete(d.handoffId);
        rows.set(d.handoffId, {
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
        break;
      }
      case 'HandoffAccepted':
        decide(event.data.handoffId, {
          status: 'accepted',
          failures: '[]',
          rules_checked: event.data.rulesChecked,
          decided_at: new Date(event.data.acceptedAt),
          revision: recorded.revision,
        });
        break;
      case 'HandoffRejected':
        decide(event.data.handoffId, {
          status: 'rejected',
          failures: JSON.stringify(event.data.failures),
          rules_checked: event.data.rulesChecked,
          decided_at: new Date(event.data.rejectedAt),
          revision: recorded.revision,
        });
        break;
      default:
        return unhandledProjectionEvent('handoffs', event);
    }
  }
  await upsertHandoffs(trx, [...rows.values()]);
  for (const [handoffId, decision] of patches) await patchHandoff(trx, handoffId, decision);
}

/** Empties the handoffs read model before a rebuild. */
export async function resetHandoffs(trx: Transaction<HandoffDatabase>): Promise<void> {
  await deleteAllHandoffs(trx);
}
