import { canonicalJson, shortDigest, type Actor, type CommandEnvelope } from '@baton/contracts';

/** W3C trace headers of the request, stored in event metadata so the relay continues the trace. */
export interface TraceHeaders {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

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
  readonly trace?: TraceHeaders;
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
 * trace headers from the message, and a fingerprint of subject + data.
 *
 * @example
 * const ctx = commandContextOf(command, rpcCtx, rpcCtx.getSubject());
 * await runner.execute(agentId, build, ctx);
 */
export function commandContextOf(envelope: CommandEnvelope, headers?: HeaderSource, subject?: string, overrides: Partial<CommandContext> = {}): CommandContext {
  const traceparent = headers?.getHeader('traceparent');
  const tracestate = headers?.getHeader('tracestate');
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
