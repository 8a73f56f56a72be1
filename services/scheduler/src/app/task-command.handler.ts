import {
  errorCodeOf,
  taskStreamId,
  type Actor,
  type EventMetadata,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import { decide, evolve, fold, toTaskEvent, type CommandMetadata, type TaskCommand, type TaskEvent, type TaskState } from '../domain';
import type { Clock, IdSource, TraceHeaders } from './ports';

/** Who sent the command, and the ids that tie its events to a run and a cause. */
export interface CommandContext {
  readonly commandId: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly actor?: Actor;
  readonly trace?: TraceHeaders;
}

export interface TaskCommandResult {
  readonly state: TaskState;
  /** Revision of the task stream after the command (-1 when the stream does not exist). */
  readonly revision: number;
  /** Events appended now (empty when the command was a repeat or changed nothing). */
  readonly appended: readonly TaskEvent[];
  /** Position of the last appended event, to wait for read models. */
  readonly position: Position | undefined;
}

/** How many times a command is re-decided after losing a race on the stream's revision. */
const MAX_ATTEMPTS = 5;

/**
 * Runs one command against a `task-<id>` stream: read, fold, decide, append at the expected
 * revision with the command id as idempotency key. A command id already in the stream returns
 * the state as it is and appends nothing; losing a race re-reads and re-decides, so of two
 * agents claiming a task the loser sees CONFLICT (or its own earlier outcome).
 */
export class TaskCommandHandler {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly ids: IdSource,
  ) {}

  /** Loads a task's state and revision. */
  async load(taskId: string): Promise<{ state: TaskState; revision: number; recorded: RecordedEvent[] }> {
    const recorded = await this.store.readStream(taskStreamId(taskId));
    const state = fold(recorded.map(toTaskEvent));
    const last = recorded[recorded.length - 1];
    return { state, revision: last === undefined ? -1 : last.revision, recorded };
  }

  /** Builds the command from the command metadata (the clock's now), decides and appends. */
  /** `loaded`: the stream as the caller just read it (`load`), used for the first attempt instead of reading it again. */
  async execute(
    taskId: string,
    build: (metadata: CommandMetadata) => TaskCommand,
    ctx: CommandContext,
    loaded?: { state: TaskState; revision: number; recorded: RecordedEvent[] },
  ): Promise<TaskCommandResult> {
    const streamId = taskStreamId(taskId);
    for (let attempt = 1; ; attempt++) {
      const { state, revision, recorded } = attempt === 1 && loaded !== undefined ? loaded : await this.load(taskId);
      if (recorded.some((e) => e.metadata.commandId === ctx.commandId)) return { state, revision, appended: [], position: undefined };
      const now = this.clock.now().toISOString();
      const events = decide(build({ commandId: ctx.commandId, now }), state);
      if (events.length === 0) return { state, revision, appended: [], position: undefined };
      try {
        const result = await this.store.append(
          streamId,
          events.map((e) => this.toNewEvent(e, state, ctx, now)),
          { expectedRevision: revision < 0 ? 'no_stream' : revision, commandId: ctx.commandId },
        );
        if (result.duplicate) continue;
        return { state: events.reduce(evolve, state), revision: result.nextExpectedRevision, appended: events, position: result.position };
      } catch (err) {
        if (errorCodeOf(err) === 'WRONG_EXPECTED_VERSION' && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  private toNewEvent(event: TaskEvent, state: TaskState, ctx: CommandContext, now: string): NewEvent {
    const runId = event.type === 'TaskCreated' ? event.data.runId : state.exists ? state.runId : null;
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
