import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import {
  BatonError,
  UnavailableError,
  decodeJson,
  fromErrorBody,
  isErrorReply,
  parseReplyData,
  type Actor,
  type DataOf,
  type MessageDefinition,
  type ReplyOf,
} from '@baton/contracts';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BatonAttributes, MessagingAttributes, NATS_SYSTEM, inSpan } from '@baton/telemetry';
import { outgoingTraceHeaders } from './trace-context';

export interface CommandOptions {
  /** Idempotency key: retrying with the same id returns the first outcome. */
  readonly commandId: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly actor?: Actor;
  /** Version of `data`'s shape; default: the definition's latest. */
  readonly schemaVersion?: number;
  readonly timeoutMs?: number;
}

export interface QueryOptions {
  readonly schemaVersion?: number;
  readonly timeoutMs?: number;
}

export interface RawRequestOptions {
  readonly timeoutMs?: number;
  readonly headers?: MsgHdrs;
}

export interface BatonClientOptions {
  /** Default request time-out. Default 5000 ms. */
  readonly timeoutMs?: number;
}

const encoder = new TextEncoder();

function errorChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && out.length < 5; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

function isNoResponders(err: unknown): boolean {
  return errorChain(err).some((e) => {
    const x = e as { name?: unknown; isNoResponders?: () => boolean };
    return x.name === 'NoRespondersError' || (typeof x.isNoResponders === 'function' && x.isNoResponders());
  });
}

function isTimeout(err: unknown): boolean {
  return errorChain(err).some((e) => (e as { name?: unknown }).name === 'TimeoutError');
}

/**
 * Calls Baton commands and queries over NATS request/reply with plain JSON. Resolves with
 * the typed reply data, or throws a BatonError: the service's own error (same code,
 * message, details), TIMEOUT when no reply came in time, UNAVAILABLE when no service
 * instance is subscribed. Each request is a CLIENT span `send <subject>` whose context travels
 * in the request headers (W3C `traceparent`); without tracing, the active trace context (a
 * caller's) still travels, and with none no headers are sent.
 *
 * @example
 * const client = new BatonClient(nc);
 * const { revision } = await client.command(RegisterAgent, data, { commandId: randomUUID() });
 * const agent = await client.query(GetAgent, { agentId: 'a-1' });
 */
export class BatonClient {
  private readonly timeoutMs: number;

  constructor(
    private readonly nc: NatsConnection,
    options: BatonClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Sends a command and returns its reply data once the service has committed it. */
  async command<D extends MessageDefinition>(def: D, data: DataOf<D>, options: CommandOptions): Promise<ReplyOf<D>> {
    if (def.kind !== 'command') throw new BatonError('UNKNOWN_MESSAGE', `${def.subject} is a ${def.kind}, not a command`);
    const body = {
      commandId: options.commandId,
      schemaVersion: options.schemaVersion ?? def.latestVersion,
      ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
      ...(options.causationId === undefined ? {} : { causationId: options.causationId }),
      ...(options.actor === undefined ? {} : { actor: options.actor }),
      data,
    };
    return this.call(def, body, options.timeoutMs);
  }

  /** Sends a query and returns its reply data. */
  async query<D extends MessageDefinition>(def: D, data: DataOf<D>, options: QueryOptions = {}): Promise<ReplyOf<D>> {
    if (def.kind !== 'query') throw new BatonError('UNKNOWN_MESSAGE', `${def.subject} is a ${def.kind}, not a query`);
    return this.call(def, { schemaVersion: options.schemaVersion ?? def.latestVersion, data }, options.timeoutMs);
  }

  /**
   * Sends raw bytes and returns the decoded JSON reply, whatever it says (tests use it to
   * send invalid JSON or oversized bodies). Throws only TIMEOUT/UNAVAILABLE, or
   * INVALID_JSON when the reply is not JSON.
   */
  async requestRaw(subject: string, body: Uint8Array | string, options: RawRequestOptions = {}): Promise<unknown> {
    const timeout = options.timeoutMs ?? this.timeoutMs;
    const bytes = typeof body === 'string' ? encoder.encode(body) : body;
    return inSpan(
      `send ${subject}`,
      {
        kind: SpanKind.CLIENT,
        attributes: () => ({
          [MessagingAttributes.system]: NATS_SYSTEM,
          [MessagingAttributes.operationType]: 'send',
          [MessagingAttributes.destinationName]: subject,
          [MessagingAttributes.bodySize]: bytes.byteLength,
        }),
      },
      async (span) => {
        const reply = await this.request(subject, bytes, timeout, options.headers);
        if (span.isRecording() && isErrorReply(reply)) {
          span.setAttribute(BatonAttributes.errorCode, reply.error.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: reply.error.message });
        }
        return reply;
      },
    );
  }

  private async request(subject: string, bytes: Uint8Array, timeout: number, given: RawRequestOptions['headers']): Promise<unknown> {
    const headers = outgoingTraceHeaders(given);
    try {
      const msg = await this.nc.request(subject, bytes, { timeout, ...(headers && headers.keys().length > 0 ? { headers } : {}) });
      return decodeJson(msg.data, Number.MAX_SAFE_INTEGER);
    } catch (err) {
      if (err instanceof BatonError) throw err;
      if (isNoResponders(err)) {
        throw new UnavailableError(`no service is answering on ${subject}`, { subject }, { cause: err });
      }
      if (isTimeout(err)) {
        throw new BatonError('TIMEOUT', `no reply on ${subject} within ${timeout} ms`, { subject, timeoutMs: timeout }, true, { cause: err });
      }
      throw new UnavailableError(`request on ${subject} failed: ${(err as Error).message}`, { subject }, { cause: err });
    }
  }

  private async call<D extends MessageDefinition>(def: D, body: unknown, timeoutMs: number | undefined): Promise<ReplyOf<D>> {
    const reply = await this.requestRaw(def.subject, JSON.stringify(body), timeoutMs === undefined ? {} : { timeoutMs });
    if (isErrorReply(reply)) throw fromErrorBody(reply.error);
    if (typeof reply === 'object' && reply !== null && (reply as { ok?: unknown }).ok === true) {
      return parseReplyData(def, (reply as { data?: unknown }).data);
    }
    throw new BatonError('INTERNAL', `malformed reply on ${def.subject}: expected {ok, data} or {ok, error}`);
  }
}
