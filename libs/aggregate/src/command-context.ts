import { canonicalJson, shortDigest, type Actor, type CommandEnvelope } from '@baton/contracts';
import { recordingSpan, traceHeadersOf, type TraceHeaders } from '@baton/telemetry';

export type { TraceHeaders } from '@baton/telemetry';

/**
 * Who asked, and why: the kernel copies it into the metadata of every event a command appends.
 * Build it with {@link commandContextOf} from a NATS request, or {@link serviceContext} for a
 * command a service sends itself.
 */
export interface CommandContext {
  /** Idempotency key: the same id on the same stream returns the first outcome. */
  readonly commandId: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly actor?: Actor;
  /**
   * The trace the command was sent in (the request's span). The kernel runs the command in a span
   * under it when it is part of the stream's trace, else under the stream's first span with a link
   * to it; see {@link CommandRunner}.
   */
  readonly trace?: TraceHeaders;
  /**
   * Spans the command follows from without being their child: the event a process manager reacts
   * to (a task's completion, for the run it belongs to). Recorded as span links.
   */
  readonly causes?: readonly TraceHeaders[];
  /**
   * Digest of what the command asked for (its subject and data). A command id seen before with
   * another fingerprint is refused with IDEMPOTENCY_CONFLICT instead of answered with the first
   * outcome. Commands a service derives itself (deterministic ids) leave it out.
   */
  readonly fingerprint?: string;
}

/** The part of a request context the kernel reads: header lookup (case-insensitive). */
export interface HeaderSource {
  getHeader(name: string): string | undefined;
}

/** The digest stored as `commandHash` in event metadata: subject and data, canonical. */
export function commandFingerprint(subject: string, data: unknown): string {
  return shortDigest(`${subject}\u0000${canonicalJson(data ?? null)}`, 32);
}

/**
 * The command context of a request as it arrived over NATS: ids and actor from the envelope,
 * the trace (the transport's server span when tracing is on, else the request's own trace
 * headers, passed through), and a fingerprint of subject + data.
 *
 * @example
 * const ctx = commandContextOf(command, rpcCtx, rpcCtx.getSubject());
 * await runner.execute(agentId, build, ctx);
 */
export function commandContextOf(envelope: CommandEnvelope, headers?: HeaderSource, subject?: string, overrides: Partial<CommandContext> = {}): CommandContext {
  const server = recordingSpan();
  const own = server ? traceHeadersOf(server.spanContext()) : undefined;
  const traceparent = own ? own.traceparent : headers?.getHeader('traceparent');
  const tracestate = own ? own.tracestate : headers?.getHeader('tracestate');
  return {
    commandId: envelope.commandId,
    ...(envelope.correlationId ? { correlationId: envelope.correlationId } : {}),
    ...(envelope.causationId ? { causationId: envelope.causationId } : {}),
    ...(envelope.actor ? { actor: envelope.actor } : {}),
    ...(traceparent || tracestate ? { trace: { ...(traceparent ? { traceparent } : {}), ...(tracestate ? { tracestate } : {}) } } : {}),
    ...(subject !== undefined ? { fingerprint: commandFingerprint(subject, envelope.data) } : {}),
    ...overrides,
  };
}

/**
 * The context of a command a service sends on its own (timers, reactions to events): a
 * deterministic command id, the service as actor, and the cause it reacts to.
 *
 * @example
 * serviceContext('scheduler', `expire:${taskId}:${epoch}`, { causationId: event.eventId, trace })
 */
export function serviceContext(service: string, commandId: string, extra: Omit<Partial<CommandContext>, 'commandId'> = {}): CommandContext {
  return { commandId, actor: { kind: 'service', id: service }, ...extra };
}
