import type { RecordedEvent } from '@baton/contracts';
import { occurredAtOf, unhandledProjectionEvent } from '@baton/read-models';
import type { Transaction } from 'kysely';
import { withConflictTablesTrx, type ConflictDatabase } from './conflict.tables';
import type { SchedulerDatabase } from './scheduler.tables';
import { toConflictEvent } from '../domain/conflict';

/** The stream category of conflicts: `conflict-<id>`. */
export const CONFLICT_CATEGORY = 'conflict';

/**
 * Task and conflict events: what the tasks projection runner applies (the tasks read model and
 * `scheduler.conflicts`) and what the `relay-scheduler` relay publishes (`baton.evt.task.*`,
 * `baton.evt.conflict.*`). One store subscription each instead of two.
 */
export const TASKS_AND_CONFLICTS_FILTER = { categories: ['task', CONFLICT_CATEGORY] } as const;

type Trx = Transaction<ConflictDatabase>;

/**
 * Wraps the tasks projection's page apply so the same runner (one subscription, the same
 * transaction and checkpoint) also keeps `scheduler.conflicts`: `conflict-*` events go to
 * {@link applyConflictEvent} one by one, and each stretch of other events between them to
 * `applyPage`, so the order of the store is kept.
 */
export function withConflictEvents(
  applyPage: (trx: Transaction<SchedulerDatabase>, events: readonly RecordedEvent[]) => Promise<void>,
): (trx: Transaction<SchedulerDatabase>, events: readonly RecordedEvent[]) => Promise<void> {
  return async (trx, events) => {
    let stretch: RecordedEvent[] = [];
    for (const e of events) {
      if (!e.streamId.startsWith(`${CONFLICT_CATEGORY}-`)) {
        stretch.push(e);
        continue;
      }
      if (stretch.length > 0) await applyPage(trx, stretch);
      stretch = [];
      await applyConflictEvent(withConflictTablesTrx(trx), e);
    }
    if (stretch.length > 0) await applyPage(trx, stretch);
  };
}

/**
 * Applies one conflict event to `scheduler.conflicts` (called by the tasks projection runner
 * inside the transaction that moves its checkpoint; runs on every replica).
 */
export async function applyConflictEvent(trx: Trx, recorded: RecordedEvent): Promise<void> {
  const event = toConflictEvent(recorded);
  const meta = { updated_at: occurredAtOf(recorded), revision: recorded.revision };
  switch (event.type) {
    case 'ConflictDetected': {
      const d = event.data;
      await trx
        .insertInto('scheduler.conflicts')
        .values({
          conflict_id: d.conflictId,
          kind: d.kind,
          task_ids: d.taskIds,
          agent_id: d.agentId,
          run_id: d.runId,
          description: d.description,
          details: JSON.stringify(d.details) as never,
          auto_resolution: d.autoResolution,
          needs_decision: d.autoResolution === null,
          status: 'open',
          resolution: null,
          resolved_by: null,
          reason: null,
          reassign_to: null,
          detected_at: new Date(d.detectedAt),
          resolved_at: null,
          ...meta,
        })
        .onConflict((oc) => oc.column('conflict_id').doNothing())
        .execute();
      return;
    }
    case 'ConflictResolved': {
      const d = event.data;
      await trx
        .updateTable('scheduler.conflicts')
        .set({
          status: 'resolved',
          needs_decision: false,
          resolution: d.resolution,
          resolved_by: JSON.stringify(d.by) as never,
          reason: d.reason,
          reassign_to: d.reassignTo,
          resolved_at: new Date(d.resolvedAt),
          ...meta,
        })
        .where('conflict_id', '=', d.conflictId)
        .execute();
      return;
    }
    case 'ConflictNeedsDecision':
      await trx.updateTable('scheduler.conflicts').set({ needs_decision: true, ...meta }).where('conflict_id', '=', event.data.conflictId).execute();
      return;
    default:
      return unhandledProjectionEvent('conflicts', event);
  }
}

/** Empties the conflicts read model before a rebuild. */
export async function resetConflicts(trx: Transaction<SchedulerDatabase>): Promise<void> {
  await withConflictTablesTrx(trx).deleteFrom('scheduler.conflicts').execute();
}
