import { errorCodeOf, type Actor, type EventMetadata, type NewEvent, type Position, type RecordedEvent } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import type { CommandMetadata } from '../domain';
import type { Clock, IdSource, TraceHeaders } from './ports';

/** Who sent the command, and the ids that tie its events to a run and a cause. */
export interface CommandContext {
  readonly commandId: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly actor?: Actor;
  readonly trace?: TraceHeaders;
}

/** A stream as read: its folded state, the revision of its last event (-1: no stream) and the events. */
export interface LoadedStream<S> {
  readonly state: S;
  readonly revision: number;
  readonly recorded: RecordedEvent[];
}

export interface StreamCommandResult<S, E> {
  readonly state: S;
  /** Revision of the stream after the command (-1 when the stream does not exist). */
  readonly revision: number;
  /** Events appended now (empty when the command was a repeat or changed nothing). */
  readonly appended: readonly E[];
  /** Position of the last appended event, to wait for read models. */
  readonly position: Position | undefined;
  /** True when the command id was already in the stream (a retried command). */
  readonly repeat: boolean;
}

/** One aggregate's pure parts and stream naming, as the handler needs them. */
export interface AggregateSpec<S, C, E extends { readonly type: string; readonly data: unknown }> {
  readonly streamId: (id: string) => string;
  readonly toEvent: (recorded: RecordedEvent) => E;
  readonly fold: (events: readonly E[]) => S;
  readonly decide: (command: C, state: S) => E[];
  readonly evolve: (state: S, event: E) => S;
  /** The run an event belongs to (its correlation id), if any. */
  readonly runIdOf: (event: E, state: S) => string | null;
}

/** How many times a command is re-decided after losing a race on the stream's revision. */
const MAX_ATTEMPTS = 5;

/**
 * Runs one command against one aggregate's stream: read, fold, decide, append at the expected
 * revision with the command id as idempotency key. A command id already in the stream returns
 * the state as it is and appends nothing; losing a race re-reads and re-decides, so of two
 * racing commands the loser sees the winner's outcome (CONFLICT, or nothing to do).
 */
export class StreamCommandHandler<S, C, E extends { readonly type: string; readonly data: unknown }> {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly aggregate: AggregateSpec<S, C, E>,
  ) {}

  async load(id: string): Promise<LoadedStream<S>> {
    const recorded = await this.store.readStream(this.aggregate.streamId(id));
    const state = this.aggregate.fold(recorded.map(this.aggregate.toEvent));
    const last = recorded[recorded.length - 1];
    return { state, revision: last === undefined ? -1 : last.revision, recorded };
  }

  /**
   * Builds the command from the command metadata (the clock's now), decides and appends.
   * `loaded`: the stream as the caller just read it (`load`), used for the first attempt instead
   * of reading it again.
   */
  async execute(id: string, build: (metadata: CommandMetadata) => C, ctx: CommandContext, loaded?: LoadedStream<S>): Promise<StreamCommandResult<S, E>> {
    const streamId = this.aggregate.streamId(id);
    for (let attempt = 1; ; attempt++) {
      const { state, revision, recorded } = attempt === 1 && loaded !== undefined ? loaded : await this.load(id);
      if (recorded.some((e) => e.metadata.commandId === ctx.commandId)) return { state, revision, appended: [], position: undefined, repeat: true };
      const now = this.clock.now().toISOString();
      const events = this.aggregate.decide(build({ commandId: ctx.commandId, now }), state);
      if (events.length === 0) return { state, revision, appended: [], position: undefined, repeat: false };
      try {
        const result = await this.store.append(
          streamId,
          events.map((e) => this.toNewEvent(e, state, ctx, now)),
          { expectedRevision: revision < 0 ? 'no_stream' : revision, commandId: ctx.commandId },
        );
        if (result.duplicate) continue;
        return { state: events.reduce(this.aggregate.evolve, state), revision: result.nextExpectedRevision, appended: events, position: result.position, repeat: false };
      } catch (err) {
        if (errorCodeOf(err) === 'WRONG_EXPECTED_VERSION' && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  private toNewEvent(event: E, state: S, ctx: CommandContext, now: string): NewEvent {
    const runId = this.aggregate.runIdOf(event, state);
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
