import { BatonError, isErrorReply, fromErrorBody, Subjects, type DataOf, type MessageDefinition, type ReplyOf } from '@baton/contracts';
import type { BatonClient } from '@baton/messaging';
import { GatewayError } from '../http/problem';
import { actorOf, type Principal } from '../auth/principal';

/** A BatonClient error for "nobody answers on this subject" becomes SERVICE_UNAVAILABLE (503). */
function noResponder(err: unknown, subject: string): unknown {
  if (err instanceof BatonError && err.code === 'UNAVAILABLE' && (err.details as { subject?: unknown } | undefined)?.subject === subject) {
    return new GatewayError('SERVICE_UNAVAILABLE', `no service answers ${subject}; is it running?`, { subject });
  }
  return err;
}

/**
 * The gateway's only way to the services: commands and queries over NATS request/reply, each
 * command carrying the authenticated principal as its actor and the request's command id.
 */
export class BatonCalls {
  constructor(private readonly client: BatonClient) {}

  async query<D extends MessageDefinition>(def: D, data: DataOf<D>): Promise<ReplyOf<D>> {
    try {
      return await this.client.query(def, data);
    } catch (err) {
      throw noResponder(err, def.subject);
    }
  }

  async command<D extends MessageDefinition>(def: D, data: DataOf<D>, principal: Principal, commandId: string, correlationId?: string): Promise<ReplyOf<D>> {
    try {
      return await this.client.command(def, data, { commandId, actor: actorOf(principal), ...(correlationId === undefined ? {} : { correlationId }) });
    } catch (err) {
      throw noResponder(err, def.subject);
    }
  }

  /**
   * A query to a service whose messages the gateway does not declare (metrics, notifier): the data
   * goes as is and the reply data comes back as is; the service validates both.
   */
  async forwardQuery(service: 'metrics' | 'notifier', query: string, data: unknown): Promise<unknown> {
    let subject: string;
    try {
      subject = Subjects.query(service, query);
    } catch {
      throw new GatewayError('NOT_FOUND', `"${query}" is not a query name (lower-case letters, digits and dashes)`);
    }
    let reply: unknown;
    try {
      reply = await this.client.requestRaw(subject, JSON.stringify({ data }));
    } catch (err) {
      throw noResponder(err, subject);
    }
    if (isErrorReply(reply)) throw fromErrorBody(reply.error);
    if (typeof reply === 'object' && reply !== null && (reply as { ok?: unknown }).ok === true) return (reply as { data?: unknown }).data ?? null;
    throw new BatonError('INTERNAL', `malformed reply on ${subject}`);
  }
}
