import { randomUUID } from 'node:crypto';
import { context, SpanKind } from '@opentelemetry/api';
import type { NatsConnection } from '@nats-io/transport-node';
import { BatonError, Subjects, ValidationError, decodeJson, isErrorReply, type DataOf, type MessageDefinition, type ReplyOf } from '@baton/contracts';
import { errorFromBody, transportError } from './errors';
import { inAgentSpan, traceHeaders } from './tracing';

/**
 * The wire body of a command (plain JSON, docs/messaging.md): the data is checked against the
 * definition's latest schema first, so a mistake is a local VALIDATION_FAILED, not a round trip.
 */
export function encodeCommand<D extends MessageDefinition>(def: D, data: DataOf<D>, commandId: string): string {
  const schema = def.versions[def.latestVersion];
  if (!schema) throw new BatonError('INTERNAL', `${def.subject} has no schema for its latest version ${def.latestVersion}`);
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
    throw new ValidationError(`invalid ${def.subject} data: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
  }
  return JSON.stringify({ commandId, schemaVersion: def.latestVersion, data: parsed.data });
}

/** The wire body of a query. */
export function encodeQuery<D extends MessageDefinition>(def: D, data: DataOf<D>): string {
  return JSON.stringify({ schemaVersion: def.latestVersion, data });
}

/**
 * Reads a reply: the data of `{ok: true}` checked against the definition's reply schema, or the
 * error of `{ok: false}` thrown as a {@link BatonError} with the service's code.
 */
export function decodeReply<D extends MessageDefinition>(def: D, raw: Uint8Array | string): ReplyOf<D> {
  const body = decodeJson(raw);
  if (isErrorReply(body)) throw errorFromBody(def.subject, body.error);
  if (typeof body !== 'object' || body === null || (body as { ok?: unknown }).ok !== true) {
    throw new BatonError('INTERNAL', `${def.subject}: the reply is neither {ok: true} nor {ok: false}`);
  }
  const parsed = def.reply.safeParse((body as { data?: unknown }).data);
  if (!parsed.success) throw new BatonError('INTERNAL', `${def.subject}: the reply data does not match its schema: ${parsed.error.message}`);
  return parsed.data as ReplyOf<D>;
}

/** Exponential back-off between retries: doubles from `min` up to `max`. */
export function nextDelay(previousMs: number, minMs: number, maxMs: number): number {
  return Math.min(Math.max(previousMs * 2, minMs), maxMs);
}

/** The command id of a report that must stay idempotent across redeliveries and restarts. */
export function reportCommandId(kind: 'complete' | 'fail', taskId: string, agentId: string, leaseEpoch: number): string {
  return `${kind}:${agentId}:${taskId}:${leaseEpoch}`;
}

export interface CommandClientOptions {
  /**
   * Send as this agent: agent commands (those with an agent field) go to
   * `baton.agent.<agentId>.cmd.<name>`, the only command subjects an agent's credentials may
   * publish on; the service takes the agent from that subject (docs/security.md).
   */
  readonly asAgent?: string;
  /** Per-request time-out. Default 5000 ms. */
  readonly requestTimeoutMs?: number;
  /** How long a retryable failure (no service listening, time-out, lost race) keeps being retried. Default 30000 ms. */
  readonly retryForMs?: number;
  /** First back-off; doubles up to `retryMaxMs`. Defaults 100 and 2000 ms. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

/**
 * Request/reply with Baton services over a NATS connection. Retryable failures are retried with
 * the same command id (idempotent) until `retryForMs` has passed or `signal` is aborted. Each call
 * (its retries included) is a CLIENT span `send <subject>` whose context goes in the request's
 * `traceparent` header; without an active trace no header is sent.
 */
export class CommandClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly options: CommandClientOptions = {},
  ) {}

  /** Sends a command and returns its reply data; throws a BatonError with the service's code. */
  async command<D extends MessageDefinition>(def: D, data: DataOf<D>, opts: { commandId?: string; signal?: AbortSignal; retryForMs?: number; timeoutMs?: number } = {}): Promise<ReplyOf<D>> {
    const body = encodeCommand(def, data, opts.commandId ?? randomUUID());
    return this.withRetry(def, body, opts.signal, opts.retryForMs, opts.timeoutMs);
  }

  /** Where a command goes: the agent-scoped subject when this client sends as an agent and the command is an agent command. */
  subjectOf(def: MessageDefinition): string {
    return this.options.asAgent !== undefined && def.agentSubject !== undefined ? Subjects.agentCommand(this.options.asAgent, def.name) : def.subject;
  }

  /** Sends a query and returns its reply data. */
  async query<D extends MessageDefinition>(def: D, data: DataOf<D>, opts: { signal?: AbortSignal } = {}): Promise<ReplyOf<D>> {
    return this.withRetry(def, encodeQuery(def, data), opts.signal);
  }

  private withRetry<D extends MessageDefinition>(def: D, body: string, signal: AbortSignal | undefined, retryForMs?: number, timeoutMs?: number): Promise<ReplyOf<D>> {
    const subject = def.kind === 'command' ? this.subjectOf(def) : def.subject;
    return inAgentSpan(
      `send ${def.subject}`,
      SpanKind.CLIENT,
      context.active(),
      () => ({ 'messaging.system': 'nats', 'messaging.operation.type': 'send', 'messaging.destination.name': subject, 'messaging.message.body.size': Buffer.byteLength(body) }),
      () => this.requestWithRetry(def, subject, body, signal, retryForMs, timeoutMs),
    );
  }

  private async requestWithRetry<D extends MessageDefinition>(
    def: D,
    subject: string,
    body: string,
    signal: AbortSignal | undefined,
    retryForMs: number | undefined,
    timeoutMs: number | undefined,
  ): Promise<ReplyOf<D>> {
    const headers = traceHeaders();
    const minMs = this.options.retryMinMs ?? 100;
    const maxMs = this.options.retryMaxMs ?? 2000;
    const deadline = Date.now() + (retryForMs ?? this.options.retryForMs ?? 30_000);
    let delay = 0;
    for (;;) {
      let error: BatonError;
      try {
        const msg = await this.nc.request(subject, body, { timeout: timeoutMs ?? this.options.requestTimeoutMs ?? 5000, ...(headers ? { headers } : {}) });
        return decodeReply(def, msg.data);
      } catch (err) {
        error = err instanceof BatonError ? err : transportError(subject, err);
      }
      if (!error.retryable || Date.now() >= deadline || signal?.aborted || this.nc.isClosed()) throw error;
      delay = nextDelay(delay, minMs, maxMs);
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
