import { conflictStreamId } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import { decideConflict, evolveConflict, foldConflict, toConflictEvent, type ConflictCommand, type ConflictEvent, type ConflictState } from '../domain/conflict';
import type { Clock, IdSource } from './ports';
import { StreamCommandHandler, type StreamCommandResult } from './stream-command.handler';

export type ConflictCommandResult = StreamCommandResult<ConflictState, ConflictEvent>;

/** Runs one command against a `conflict-<id>` stream (see StreamCommandHandler); events are correlated with the conflict's run. */
export class ConflictCommandHandler extends StreamCommandHandler<ConflictState, ConflictCommand, ConflictEvent> {
  constructor(store: EventStore, clock: Clock, ids: IdSource) {
    super(store, clock, ids, {
      streamId: conflictStreamId,
      toEvent: toConflictEvent,
      fold: foldConflict,
      decide: decideConflict,
      evolve: evolveConflict,
      runIdOf: (event, state) => (event.type === 'ConflictDetected' ? event.data.runId : state.exists ? state.runId : null),
    });
  }
}
