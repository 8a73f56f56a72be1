import { agentStreamId, errorCodeOf, type Actor, type EventMetadata, type RecordedEvent } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import { decide, fold, toAgentEvent, type AgentCommand, type AgentEvent, type AgentState, type CommandMetadata } from '../domain';
import type { Clock, IdSource } from './ports';

export interface AgentCommandResult {
  readonly agentId: string;
  /** Revision of the agent stream after the command (-1 when the stream does not exist). */
  readonly revision: number;
  /** Events this call appended (0 for a repeat or a command that changed nothing). */
  readonly appended: number;
}

/** Trace headers of the request, stored in event metadata so the relay can continue the trace. */
export interface TraceHeaders {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** Who asked, and why: copied into the metadata of every event the command appends. */
export interface CommandContext {
  /** Idempotency key: the same id on the same stream returns the first outcome. */
  readonly commandId: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly actor?: Actor;
  readonly trace?: TraceHeaders;
}

/** How many times a command is re-decided after losing a race on the stream's revision. */
const MAX_ATTEMPTS = 3;

/**
 * Runs any command of the agent aggregate: loads `agent-<id>`, folds it, decides, appends at
 * the expected revision with the command id as idempotency key. A command id already in the
 * stream returns the first outcome and appends nothing; losing a race re-reads and re-decides
 * (so the loser sees the domain's answer to the new state, e.g. CONFLICT).
 *
 * @example
 * await handler.execute('MCT-BE-001', (metadata) => ({ type: 'RemoveAgent', data: { agentId: 'MCT-BE-001' }, metadata }), { commandId });
 */
export class AgentCommandHandler {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly ids: IdSource,
  ) {}

  async execute(agentId: string, build: (metadata: CommandMetadata) => AgentCommand, ctx: CommandContext): Promise<AgentCommandResult> {
    const streamId = agentStreamId(agentId);
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(streamId);
      const earlier = outcomeOf(recorded, ctx.commandId);
      if (earlier !== undefined) return { agentId, revision: earlier, appended: 0 };

      const now = this.clock.now().toISOString();
      const state = fold(recorded.map(toAgentEvent));
      const events = decide(build({ commandId: ctx.commandId, now }), state);
      const last = recorded[recorded.length - 1];
      if (events.length === 0) return { agentId, revision: last?.revision ?? -1, appended: 0 };
      try {
        const result = await this.store.append(
          streamId,
          events.map((event) => this.toNewEvent(event, ctx, now)),
          { expectedRevision: last === undefined ? 'no_stream' : last.revision, commandId: ctx.commandId },
        );
        return { agentId, revision: result.nextExpectedRevision, appended: result.duplicate ? 0 : events.length };
      } catch (err) {
        if (errorCodeOf(err) === 'WRONG_EXPECTED_VERSION' && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** The current state of one agent, folded from its stream. */
  async load(agentId: string): Promise<{ state: AgentState; revision: number }> {
    const recorded = await this.store.readStream(agentStreamId(agentId));
    return { state: fold(recorded.map(toAgentEvent)), revision: recorded[recorded.length - 1]?.revision ?? -1 };
  }

  private toNewEvent(event: AgentEvent, ctx: CommandContext, now: string) {
    const trace = ctx.trace ?? {};
    const metadata: EventMetadata & { actor?: Actor } = {
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

/** Revision of the last event an earlier run of the same command appended, if any. */
function outcomeOf(recorded: readonly RecordedEvent[], commandId: string): number | undefined {
  let revision: number | undefined;
  for (const e of recorded) if (e.metadata.commandId === commandId) revision = e.revision;
  return revision;
}
