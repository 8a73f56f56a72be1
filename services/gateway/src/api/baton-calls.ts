import { headers as natsHeaders } from '@nats-io/transport-node';
import { ACTOR_ASSERTION_HEADER, BatonError, isErrorReply, fromErrorBody, parseReplyData, Subjects, type DataOf, type MessageDefinition, type ReplyOf } from '@baton/contracts';
import type { BatonClient } from '@baton/messaging';
import type { ActorSigner } from '../auth/actor-signer';
import { GatewayError } from '../http/problem';
import { actorOf, type Principal } from '../auth/principal';

/** A BatonClient error for "nobody answers on this subject" becomes SERVICE_UNAVAILABLE (503). */
function noResponder(err: unknown, subject: string): unknown {
  if (err instanceof BatonError && err.code === 'UNAVAILABLE' && (err.details as { subject?: unknown } | undefined)?.subject === subject) {
    return new GatewayError('SERVICE_UNAVAILABLE', `no service answers ${subject}; is it running?`, { subject });
  }
  return err;
}

/** The data of an `{ok, data}` reply, or the error of an `{ok: false, error}` one. */
function replyData(subject: string, reply: unknown): unknown {
  if (isErrorReply(reply)) throw fromErrorBody(reply.error);
  if (typeof reply === 'object' && reply !== null && (reply as { ok?: unknown }).ok === true) return (reply as { data?: unknown }).data ?? null;
  throw new BatonError('INTERNAL', `malformed reply on ${subject}`);
}

/**
 * The gateway's only way to the services: commands and queries over NATS request/reply. Each
 * command carries the authenticated principal as its actor, twice: in the envelope (as every
 * Baton client sends it) and in the signed `Baton-Actor` header, which a service given the
 * gateway's public key trusts instead of the envelope.
 */
export class BatonCalls {
  constructor(
    private readonly client: BatonClient,
    private readonly signer: ActorSigner,
  ) {}

  async query<D extends MessageDefinition>(def: D, data: DataOf<D>): Promise<ReplyOf<D>> {
    try {
      return await this.client.query(def, data);
    } catch (err) {
      throw noResponder(err, def.subject);
    }
  }

  async command<D extends MessageDefinition>(def: D, data: DataOf<D>, principal: Principal, commandId: string, correlationId?: string): Promise<ReplyOf<D>> {
    const actor = actorOf(principal);
    const body = { commandId, schemaVersion: def.latestVersion, ...(correlationId === undefined ? {} : { correlationId }), actor, data };
    const h = natsHeaders();
    h.set(ACTOR_ASSERTION_HEADER, await this.signer.sign({ sub: actor.id, act: principal.kind, cid: commandId, sbj: def.subject }));
    let reply: unknown;
    try {
      reply = await this.client.requestRaw(def.subject, JSON.stringify(body), { headers: h });
    } catch (err) {
      throw noResponder(err, def.subject);
    }
    return parseReplyData(def, replyData(def.subject, reply));
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
    return replyData(subject, reply);
  }
}
