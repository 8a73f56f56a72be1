import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { context, SpanKind, SpanStatusCode, type Context } from '@opentelemetry/api';
import { lastValueFrom } from 'rxjs';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  MAX_JSON_DEPTH,
  MAX_MESSAGE_BYTES,
  Subjects,
  agentIdOfSubject,
  assertJsonDepth,
  bindAgent,
  type CommandEnvelope,
  parseCommand,
  parseQuery,
  parseReplyData,
  type MessageDefinition,
  type Reply,
  type ServiceName,
} from '@baton/contracts';
import { connectNats, type ManagedNatsConnection } from './nats-connection';
import { BATON_MESSAGE_DEFINITION } from './rpc.decorators';
import { BatonRpcContext } from './rpc.context';
import { rpcErrorReply } from './rpc-exception.filter';
import { BatonAttributes, MessagingAttributes, NATS_SYSTEM, inSpan } from '@baton/telemetry';
import { extractTraceContext, traceIdOf } from './trace-context';
import type { MessagingLogger } from './messaging.logger';

export interface BatonRpcTransportOptions {
  /** The service whose handlers this process hosts; its queue group is `Subjects.queueGroup(service)`. */
  readonly service: ServiceName;
  /** Use this connection (e.g. the one from `NatsModule`); the transport then leaves it open on close. */
  readonly connection?: NatsConnection;
  /** Or connect here (drained on close). Ignored when `connection` is given. */
  readonly url?: string;
  /** Connection name when the transport connects itself. Default: the service name. */
  readonly name?: string;
  readonly logger?: MessagingLogger;
  /**
   * Deepest nesting of objects and arrays a body may have (envelope included); deeper bodies get
   * VALIDATION_FAILED before they are parsed. Default {@link MAX_JSON_DEPTH} (32).
   */
  readonly maxJsonDepth?: number;
}

const encoder = new TextEncoder();

/**
 * Nest custom transport for Baton commands and queries: plain JSON on NATS core
 * request/reply, so any NATS client can call a service.
 *
 * - Each `@CommandHandler`/`@QueryHandler` subject is subscribed in the service's queue group.
 * - The raw body is validated with the handler's definition (`parseCommand`/`parseQuery`:
 *   PAYLOAD_TOO_LARGE, INVALID_JSON, VALIDATION_FAILED, UNKNOWN_SCHEMA_VERSION) before
 *   the handler runs, after its nesting depth is checked (`maxJsonDepth`, VALIDATION_FAILED);
 *   the handler gets the envelope and a {@link BatonRpcContext}.
 * - The handler runs in a SERVER span `process <subject>`, a child of the caller's trace
 *   context (from `traceparent`); an error reply marks it failed with the error's code.
 * - The reply is sent once the handler's promise resolves: `{ok: true, data}` after the data
 *   passes `parseReplyData`, or `{ok: false, error}` via {@link rpcErrorReply}.
 * - Requests without a reply subject are logged and ignored.
 *
 * @example
 * const app = await NestFactory.createMicroservice(AppModule, {
 *   strategy: new BatonRpcTransport({ service: 'agent-registry', url: env.natsUrl }),
 * });
 */
export class BatonRpcTransport extends Server implements CustomTransportStrategy {
  private readonly log: MessagingLogger;
  private managed: ManagedNatsConnection | undefined;
  private nc: NatsConnection | undefined;
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: BatonRpcTransportOptions) {
    super();
    this.log = options.logger ?? new Logger(`BatonRpc:${options.service}`);
  }

  /** Connects (unless given a connection), subscribes every handler, then calls back. */
  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      if (this.options.connection) {
        this.nc = this.options.connection;
      } else {
        if (!this.options.url) throw new Error('BatonRpcTransport needs either `connection` or `url`');
        this.managed = await connectNats({ url: this.options.url, name: this.options.name ?? this.options.service });
        this.nc = this.managed.nc;
      }
      const nc = this.nc;
      const queue = Subjects.queueGroup(this.options.service);
      for (const [pattern, handler] of this.messageHandlers) {
        const def = (handler.extras as Record<string, unknown> | undefined)?.[BATON_MESSAGE_DEFINITION] as MessageDefinition | undefined;
        if (!def) {
          this.log.warn(`handler for "${pattern}" has no Baton definition (use @CommandHandler/@QueryHandler); not subscribed`);
          continue;
        }
        for (const subject of def.agentSubject === undefined ? [def.subject] : [def.subject, def.agentSubject]) {
          const sub = nc.subscribe(subject, {
            queue,
            callback: (err, msg) => {
              if (err) {
                this.log.error(`subscription ${subject} failed: ${err.message}`);
                return;
              }
              this.track(this.onMessage(def, handler, msg));
            },
          });
          this.subscriptions.push(sub);
        }
      }
      await nc.flush();
      this._status$.next('connected');
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /** Stops taking requests, waits for the ones in flight to be answered, then drains its own connection. */
  async close(): Promise<void> {
    await Promise.allSettled(this.subscriptions.map((s) => (s.isClosed() ? Promise.resolve() : s.drain())));
    this.subscriptions.length = 0;
    await Promise.allSettled([...this.inFlight]);
    if (this.managed) await this.managed.drain();
    this.managed = undefined;
    this.nc = undefined;
    this._status$.next('disconnected');
  }

  on(): never {
    throw new Error('BatonRpcTransport has no events; watch the NatsConnection status instead');
  }

  unwrap<T>(): T {
    if (!this.nc) throw new Error('BatonRpcTransport is not listening');
    return this.nc as T;
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async onMessage(def: MessageDefinition, handler: MessageHandler, msg: Msg): Promise<void> {
    if (!msg.reply) {
      this.log.warn(`ignoring a message on ${msg.subject} without a reply subject (commands and queries are request/reply)`);
      return;
    }
    const callerCtx = extractTraceContext(msg.headers);
    const reply = await inSpan(
      `process ${def.subject}`,
      {
        kind: SpanKind.SERVER,
        parent: callerCtx,
        attributes: () => ({
          [MessagingAttributes.system]: NATS_SYSTEM,
          [MessagingAttributes.operationType]: 'process',
          [MessagingAttributes.destinationName]: def.subject,
          [MessagingAttributes.consumerGroup]: Subjects.queueGroup(this.options.service),
          [MessagingAttributes.bodySize]: msg.data.byteLength,
        }),
      },
      async (span) => {
        // Handlers see the server span (or, tracing off, the caller's context) as their trace.
        const r = await this.process(def, handler, msg, context.active());
        if (!r.ok && span.isRecording()) {
          span.setAttribute(BatonAttributes.errorCode, r.error.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: r.error.message });
        }
        return r;
      },
    );
    try {
      msg.respond(encoder.encode(JSON.stringify(reply)));
    } catch (err) {
      this.log.error(`could not reply on ${msg.subject}: ${(err as Error).message}`);
    }
  }

  /**
   * On `baton.agent.<id>.cmd.<name>` the agent is the one the subject names (the NATS server let
   * only that agent publish there): the data must name it (else FORBIDDEN, AGENT_MISMATCH) and the
   * actor is that agent, whatever the envelope says.
   */
  private asSender(def: MessageDefinition, subject: string, envelope: CommandEnvelope<unknown>): CommandEnvelope<unknown> {
    if (subject === def.subject) return envelope;
    const agentId = agentIdOfSubject(subject);
    if (agentId === undefined) return envelope;
    return { ...envelope, data: bindAgent(def, envelope.data, agentId), actor: { kind: 'agent', id: agentId } };
  }

  private async process(
    def: MessageDefinition,
    handler: MessageHandler,
    msg: Msg,
    traceCtx: Context,
  ): Promise<Reply<unknown>> {
    const rpcCtx = new BatonRpcContext([msg.subject, msg.headers, traceCtx, def]);
    const scope = { subject: msg.subject, traceId: traceIdOf(traceCtx) };
    try {
      // An oversized body is left to parseCommand/parseQuery, which answer PAYLOAD_TOO_LARGE.
      if (msg.data.byteLength <= MAX_MESSAGE_BYTES) assertJsonDepth(msg.data, this.options.maxJsonDepth ?? MAX_JSON_DEPTH);
      const envelope = def.kind === 'command' ? this.asSender(def, msg.subject, parseCommand(def, msg.data)) : parseQuery(def, msg.data);
      const result$ = this.transformToObservable(await handler(envelope, rpcCtx));
      const data: unknown = await lastValueFrom(result$, { defaultValue: undefined });
      return { ok: true, data: parseReplyData(def, data) };
    } catch (err) {
      return rpcErrorReply(err, scope, this.log);
    }
  }
}
