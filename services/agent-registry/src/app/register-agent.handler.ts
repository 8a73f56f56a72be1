import {
  agentStreamId,
  errorCodeOf,
  type Actor,
  type CommandEnvelope,
  type EventMetadata,
  type RecordedEvent,
  type RegisterAgentData,
} from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import { decide, fold, toAgentEvent, type AgentEvent } from '../domain';
import type { Clock, IdSource } from './ports';

export interface RegisterAgentResult {
  readonly agentId: string;
  /** Revision of the agent stream after the command. */
  readonly revision: number;
}

/** Trace headers of the request, stored in event metadata so the relay can continue the trace. */
export interface TraceHeaders {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** How many times a command is re-decided after losing a race on the stream's revision. */
const MAX_ATTEMPTS = 3;

/**
 * Handles RegisterAgent: loads `agent-<id>`, folds it, decides, appends at the expected
 * revision with the command id as idempotency key. A command id already in the stream
 * returns the first outcome and appends nothing; losing a race re-reads and re-decides
 * (so the loser sees CONFLICT, or its own earlier outcome).
 */
export class RegisterAgentHandler {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly ids: IdSource,
  ) {}

  async handle(command: CommandEnvelope<RegisterAgentData>, trace: TraceHeaders = {}): Promise<RegisterAgentResult> {
    const agentId = command.data.agentId;
    const streamId = agentStreamId(agentId);
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(streamId);
      const earlier = outcomeOf(recorded, command.commandId);
      if (earlier !== undefined) return { agentId, revision: earlier };

      const now = this.clock.now().toISOString();
      const state = fold(recorded.map(toAgentEvent));
      const events = decide({ type: 'RegisterAgent', data: command.data, metadata: { commandId: command.commandId, now } }, state);
      const last = recorded[recorded.length - 1];
      try {
        const result = await this.store.append(
          streamId,
          events.map((event) => this.toNewEvent(event, command, now, trace)),
          { expectedRevision: last === undefined ? 'no_stream' : last.revision, commandId: command.commandId },
        );
        return { agentId, revision: result.nextExpectedRevision };
      } catch (err) {
        if (errorCodeOf(err) === 'WRONG_EXPECTED_VERSION' && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  private toNewEvent(event: AgentEvent, command: CommandEnvelope<RegisterAgentData>, now: string, trace: TraceHeaders) {
    const metadata: EventMetadata & { actor?: Actor } = {
      occurredAt: now,
      commandId: command.commandId,
      correlationId: command.correlationId ?? command.commandId,
      causationId: command.causationId ?? command.commandId,
      ...(command.actor ? { actor: command.actor } : {}),
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
