import { conflictStreamId, errorCodeOf, type EventMetadata, type NewEvent, type Position, type RecordedEvent } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import type { CommandMetadata } from '../domain';
import { decideConflict, evolveConflict, foldConflict, toConflictEvent, type ConflictCommand, type ConflictEvent, type ConflictState } from '../domain/conflict';
import type { Clock, IdSource } from './ports';
import type { CommandContext } from './task-command.handler';

export interface ConflictCommandResult {
  readonly state: ConflictState;
  /** Revision of the conflict stream after the command (-1 when it does not exist). */
  readonly revision: number;
  /** Events appended now (empty for a repeat or a no-op). */
  readonly appended: readonly ConflictEvent[];
  readonly position: Position | undefined;
  /** True when the command id was already in the stream (a retried command). */
  readonly repeat: boolean;
}

const MAX_ATTEMPTS = 5;

/**
 * Runs one command against a `conflict-<id>` stream: read, fold, decide, append at the expected
 * revision, idempotent by command id (a repeat appends nothing), re-deciding after a lost race.
 * The same shape as the task command handler.
 */
export class ConflictCommandHandler {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly ids: IdSource,
  ) {}

  async load(conflictId: string): Promise<{ state: ConflictState; revision: number; recorded: RecordedEvent[] }> {
    const recorded = await this.store.readStream(conflictStreamId(conflictId));
    const state = foldConflict(recorded.map(toConflictEvent));
    const last = recorded[recorded.length - 1];
    return { state, revision: last === undefined ? -1 : last.revision, recorded };
  }

  async execute(conflictId: string, build: (metadata: CommandMetadata) => ConflictCommand, ctx: CommandContext): Promise<ConflictCommandResult> {
    const streamId = conflictStreamId(conflictId);
    for (let attempt = 1; ; attempt++) {
      const { state, revision, recorded } = await this.load(conflictId);
      if (recorded.some((e) => e.metadata.commandId === ctx.commandId)) return { state, revision, appended: [], position: undefined, repeat: true };
      const now = this.clock.now().toISOString();
      const events = decideConflict(build({ commandId: ctx.commandId, now }), state);
      if (events.length === 0) return { state, revision, appended: [], position: undefined, repeat: false };
      try {
        const result = await this.store.append(
          streamId,
          events.map((e) => this.toNewEvent(e, state, ctx, now)),
          { expectedRevision: revision < 0 ? 'no_stream' : revision, commandId: ctx.commandId },
        );
        if (result.duplicate) continue;
        return { state: events.reduce(evolveConflict, state), revision: result.nextExpectedRevision, appended: events, position: result.position, repeat: false };
      } catch (err) {
        if (errorCodeOf(err) === 'WRONG_EXPECTED_VERSION' && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  private toNewEvent(event: ConflictEvent, state: ConflictState, ctx: CommandContext, now: string): NewEvent {
    const runId = event.type === 'ConflictDetected' ? event.data.runId : state.exists ? state.runId : null;
    const metadata: EventMetadata = {
      occurredAt: now,
      commandId: ctx.commandId,
      correlationId: runId ?? ctx.correlationId ?? ctx.commandId,
      causationId: ctx.causationId ?? ctx.commandId,
      ...(ctx.actor ? { actor: ctx.actor } : {}),
      ...(ctx.trace?.traceparent ? { traceparent: ctx.trace.traceparent } : {}),
      ...(ctx.trace?.tracestate ? { tracestate: ctx.trace.tracestate } : {}),
    };
    return { eventId: this.ids.newId(), type: event.type, schemaVersion: 1, data: event.data, metadata };
  }
}
