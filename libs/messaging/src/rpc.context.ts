import { BaseRpcContext } from '@nestjs/microservices';
import type { Context } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { MessageDefinition } from '@baton/contracts';
import { traceIdOf } from './trace-context';

type BatonRpcContextArgs = [subject: string, headers: MsgHdrs | undefined, trace: Context, definition: MessageDefinition];

/**
 * The context a Baton command or query handler receives (`@Ctx() ctx: BatonRpcContext`):
 * the subject, the NATS headers and the caller's trace context.
 */
export class BatonRpcContext extends BaseRpcContext<BatonRpcContextArgs> {
  /** Subject the request arrived on. */
  getSubject(): string {
    return this.args[0];
  }

  /** NATS headers of the request, if any. */
  getHeaders(): MsgHdrs | undefined {
    return this.args[1];
  }

  /** One header value (case-insensitive), or undefined. */
  getHeader(name: string): string | undefined {
    const h = this.args[1];
    if (!h) return undefined;
    const values = h.values(name, 'insensitive');
    return values[0];
  }

  /** The OpenTelemetry context extracted from the request's `traceparent`/`tracestate`. */
  getTraceContext(): Context {
    return this.args[2];
  }

  /** Trace id of the caller, or undefined when the request carried none. */
  getTraceId(): string | undefined {
    return traceIdOf(this.args[2]);
  }

  /** The command or query definition the handler was registered with. */
  getDefinition(): MessageDefinition {
    return this.args[3];
  }
}
