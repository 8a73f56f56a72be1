import { decideByType, existingState, foldWith, type AggregateSpec, unhandled } from '@baton/aggregate';
import { BatonError, conflictStreamId } from '@baton/contracts';
import type { ConflictCommand, DetectConflict, MarkNeedsDecision, ResolveConflict } from './conflict.commands';
import { ConflictAlreadyResolvedError, ConflictNotFoundError, InvalidResolutionError } from './conflict.errors';
import { toConflictEvent, type ConflictEvent } from './conflict.events';
import { initialConflictState, type Conflict, type ConflictState } from './conflict.state';

function existing(state: ConflictState, conflictId: string): Conflict {
  if (!state.exists) throw new ConflictNotFoundError(conflictId);
  return state;
}

function detect(command: DetectConflict, state: ConflictState): ConflictEvent[] {
  // Detection ids are deterministic: the same conflict seen again (another pass, a replay) records nothing.
  if (state.exists) return [];
  const d = command.data;
  if (d.taskIds.length === 0) throw new BatonError('INTERNAL', `conflict ${d.conflictId}: a conflict names at least one task`);
  return [
    {
      type: 'ConflictDetected',
      data: {
        conflictId: d.conflictId,
        kind: d.kind,
        taskIds: [...d.taskIds],
        agentId: d.agentId,
        runId: d.runId,
        description: d.description,
        details: { ...d.details },
        autoResolution: d.autoResolution,
        detectedAt: command.metadata.now,
      },
    },
  ];
}

function resolve(command: ResolveConflict, state: ConflictState): ConflictEvent[] {
  const d = command.data;
  const conflict = existing(state, d.conflictId);
  if (conflict.status === 'resolved') throw new ConflictAlreadyResolvedError(d.conflictId, conflict.resolution ?? 'unknown', conflict.resolvedAt);
  if (d.resolution === 'reassign' && d.reassignTo === null) throw new InvalidResolutionError(d.conflictId, 'reassign needs reassignTo (the agent to give the task to)');
  if (d.resolution !== 'reassign' && d.reassignTo !== null) throw new InvalidResolutionError(d.conflictId, `reassignTo is only for reassign, not ${d.resolution}`);
  return [
    {
      type: 'ConflictResolved',
      data: { conflictId: d.conflictId, kind: conflict.kind, resolution: d.resolution, by: d.by, reason: d.reason, reassignTo: d.reassignTo, resolvedAt: command.metadata.now },
    },
  ];
}

function needsDecision(command: MarkNeedsDecision, state: ConflictState): ConflictEvent[] {
  const conflict = existing(state, command.data.conflictId);
  if (conflict.status === 'resolved' || conflict.needsDecision) return [];
  return [
    {
      type: 'ConflictNeedsDecision',
      data: { conflictId: conflict.conflictId, kind: conflict.kind, taskIds: [...conflict.taskIds], runId: conflict.runId, reason: command.data.reason, at: command.metadata.now },
    },
  ];
}

/**
 * The conflict aggregate's decisions. Detect is idempotent by conflict id; resolve refuses an
 * unknown conflict (NOT_FOUND), a resolved one (ILLEGAL_TRANSITION) and a reassign without a
 * target or a target without reassign (VALIDATION_FAILED); marking "needs decision" twice, or
 * after resolution, is a no-op. Pure: time comes in on the command.
 */
export const decideConflict = decideByType<ConflictCommand, ConflictState, ConflictEvent>('conflict', {
  DetectConflict: detect,
  ResolveConflict: resolve,
  MarkNeedsDecision: needsDecision,
});

/** The next state after one event. Pure. */
export function evolveConflict(state: ConflictState, event: ConflictEvent): ConflictState {
  switch (event.type) {
    case 'ConflictDetected':
      // The detected finding is the conflict; it starts open, and waits for a decision when nothing resolves it on its own.
      return {
        exists: true,
        ...event.data,
        status: 'open',
        needsDecision: event.data.autoResolution === null,
        resolution: null,
        resolvedBy: null,
        reason: null,
        reassignTo: null,
        resolvedAt: null,
      };
    case 'ConflictResolved': {
      const d = event.data;
      return { ...existingState(state, event.type, 'ConflictDetected'), status: 'resolved', needsDecision: false, resolution: d.resolution, resolvedBy: d.by, reason: d.reason, reassignTo: d.reassignTo, resolvedAt: d.resolvedAt };
    }
    case 'ConflictNeedsDecision':
      return { ...existingState(state, event.type, 'ConflictDetected'), needsDecision: true };
    default:
      return unhandled('conflict', 'event', event);
  }
}

/** Folds a stream's events from the initial state. */
export function foldConflict(events: readonly ConflictEvent[]): ConflictState {
  return foldWith({ initialState: initialConflictState, evolve: evolveConflict }, events);
}

/** The conflict aggregate as the command kernel runs it: `conflict-<id>` streams, events correlated with the conflict's run. */
export const conflictAggregate: AggregateSpec<ConflictState, ConflictCommand, ConflictEvent> = {
  name: 'conflict',
  streamId: conflictStreamId,
  read: toConflictEvent,
  initialState: initialConflictState,
  evolve: evolveConflict,
  decide: decideConflict,
  correlationOf: (event, state) => (event.type === 'ConflictDetected' ? event.data.runId : state.exists ? state.runId : null),
  defaultActor: { kind: 'service', id: 'scheduler' },
};
