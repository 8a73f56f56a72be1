import { errorCodeOf, escalationStreamId, type Actor, type EventMetadata, type RecordedEvent } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import { decide, fold, toEscalationEvent, type CommandMetadata, type EscalationCommand, type EscalationEvent, type EscalationState } from '../domain';
import type { Clock, IdSource } from './ports';

export interface EscalationCommandResult {
  readonly escalationId: string;
  /** The state after the command (after an earlier run of it, for a repeat). */
  readonly state: EscalationState;
  /** Revision of the stream after the command (-1 when the stream does not exist). */
  readonly revision: number;
  /** Events this call appended (0 for a repeat or a command that changed nothing). */
  readonly appended: number;
}

/** Who asked, and why: copied into the metadata of every event the command appends. */
export interface CommandContext {
  /** Idempotency key: the same id on the same stream returns the first outcome. */
  readonly commandId: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly actor?: Actor;
  readonly trace?: { readonly traceparent?: string; readonly tracestate?: string };
}

export interface ExecuteOptions {
  /**
   * Runs after the decision and before the append, only when there is something to append
   * (not for a repeated command id): a side effect the append depends on, such as the
   * scheduler approving a stage. If it throws, nothing is appended.
   */
  readonly beforeAppend?: (state: EscalationState, events: readonly EscalationEvent[]) => Promise<void>;
}

const MAX_ATTEMPTS = 3;

/**
 * Runs any command of the escalation aggregate: loads `escalation-<id>`, folds it, decides,
 * appends at the expected revision with the command id as idempotency key. A command id
 * already in the stream returns the state and appends nothing; losing a race re-reads and
 * re-decides.
 *
 * @example
 * await handler.execute(id, (metadata) => ({ type: 'ClimbLevel', data, metadata }), { commandId: `climb:${id}:2` });
 */
export class EscalationCommandHandler {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly ids: IdSource,
  ) {}

  async execute(
    escalationId: string,
    build: (metadata: CommandMetadata) => EscalationCommand,
    ctx: CommandContext,
    options: ExecuteOptions = {},
  ): Promise<EscalationCommandResult> {
    const streamId = escalationStreamId(escalationId);
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(streamId);
      const events = recorded.map(toEscalationEvent);
      const last = recorded[recorded.length - 1];
      const revision = last?.revision ?? -1;
      if (seen(recorded, ctx.commandId)) return { escalationId, state: fold(events), revision, appended: 0 };

      const now = this.clock.now().toISOString();
      const state = fold(events);
      const decided = decide(build({ commandId: ctx.commandId, now }), state);
      if (decided.length === 0) return { escalationId, state, revision, appended: 0 };
      await options.beforeAppend?.(state, decided);
      try {
        const result = await this.store.append(
          streamId,
          decided.map((event) => this.toNewEvent(event, ctx, now)),
          { expectedRevision: last === undefined ? 'no_stream' : last.revision, commandId: ctx.commandId },
        );
        if (result.duplicate) return this.load(escalationId).then((l) => ({ escalationId, ...l, appended: 0 }));
        return { escalationId, state: fold([...events, ...decided]), revision: result.nextExpectedRevision, appended: decided.length };
      } catch (err) {
        if (errorCodeOf(err) === 'WRONG_EXPECTED_VERSION' && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** The current state of one escalation, folded from its stream. */
  async load(escalationId: string): Promise<{ state: EscalationState; revision: number }> {
    const recorded = await this.store.readStream(escalationStreamId(escalationId));
    return { state: fold(recorded.map(toEscalationEvent)), revision: recorded[recorded.length - 1]?.revision ?? -1 };
  }

  private toNewEvent(event: EscalationEvent, ctx: CommandContext, now: string) {
    const trace = ctx.trace ?? {};
    const metadata: EventMetadata = {
      occurredAt: now,
      commandId: ctx.commandId,
      correlationId: ctx.correlationId ?? ctx.commandId,
      causationId: ctx.causationId ?? ctx.commandId,
      ...(ctx.actor ? { actor: ctx.actor } : {}),
      ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
      ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
    };
    return { eventId: this.ids.newId(), type: event.type, schemaVersion: 1, data: event.data, metadata };
  }
}

function seen(recorded: readonly RecordedEvent[], commandId: string): boolean {
  return recorded.some((e) => e.metadata.commandId === commandId);
}
